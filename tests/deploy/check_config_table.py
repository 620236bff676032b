#!/usr/bin/env python3
"""Checks that docs/configuration.md's configuration table agrees with the service's own key table.

The keys, their defaults and their environment variables come from `twiml-redirect check-config
--schema`; the document's table (between the config-table markers, written by scripts/config-table)
must list exactly those keys (every key but plain objects, whose keys are listed), each with that
default and that env var. Help texts are not compared: wording may be edited by hand.

Usage: check_config_table.py --repo DIR --binary PATH
Exit status: 0 when the table agrees, 1 otherwise (each disagreement is printed).
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

BEGIN = "<!-- config-table:"
END = "<!-- /config-table -->"
DOCUMENT = "docs/configuration.md"  # where the table lives, relative to the repository


def documented_rows(text):
    """{key: (default cell, env cell)} of the table between the markers, or None without markers."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    rows = {}
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) < 5 or not cells[0].startswith("`"):
            continue  # the header and its rule
        key = cells[0].strip("`")
        if key in rows:
            rows[key] = ("listed twice", "")
        else:
            rows[key] = (cells[2], cells[3])
    return rows


def expected_default(row):
    value = row["default"]
    return f"`{value}`" if isinstance(value, str) and value else f"`{json.dumps(value, separators=(',', ':'))}`"


def expected_env(row):
    if row.get("env"):
        return f"`{row['env']}`"
    if row.get("env_named_by"):
        return f"named by `{row['env_named_by'].rsplit('.', 1)[-1]}`"
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--binary", required=True, help="twiml-redirect, asked for check-config --schema")
    options = parser.parse_args()

    result = subprocess.run([options.binary, "check-config", "--schema"], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        print(f"FAIL: check-config --schema exited {result.returncode}: {result.stderr}")
        return 1
    schema = [row for row in json.loads(result.stdout) if row["type"] != "object"]
    documented = documented_rows((options.repo / DOCUMENT).read_text())
    if documented is None:
        print(f"FAIL: {DOCUMENT} has no config-table markers")
        return 1

    failures = []
    for row in schema:
        key = row["path"]
        if key not in documented:
            failures.append(f"{key}: missing from the table in {DOCUMENT}")
            continue
        default, env = documented[key]
        if default != expected_default(row):
            failures.append(f"{key}: documented default {default}, the service's is {expected_default(row)}")
        if env != expected_env(row):
            failures.append(f"{key}: documented env override '{env}', the service's is '{expected_env(row)}'")
    known = {row["path"] for row in schema}
    failures += [f"{key}: in the table in {DOCUMENT} but not a key of the service" for key in documented if key not in known]

    for failure in failures:
        print("  FAIL " + failure)
    print(f"{len(failures)} failure(s); regenerate with scripts/config-table --update {DOCUMENT}" if failures
          else f"{DOCUMENT}: the configuration table agrees with the {len(schema)} keys of check-config --schema")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
