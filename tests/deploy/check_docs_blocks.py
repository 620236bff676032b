#!/usr/bin/env python3
"""Runs every fenced code block of README.md and docs/*.md, so that none can go stale.

Each block is checked according to the annotation on the line just before its opening fence, an
HTML comment GitHub does not show:

  <!-- docs-test: run [server=CONFIG] [synthflow] [file:NAME=PATH ...] [env:NAME=VALUE ...] -->
      a bash block, run with `bash -euo pipefail` in a scratch directory, `twiml-redirect` on PATH
      (and `build/release/twiml-redirect` meaning it); it must exit 0. server=CONFIG starts
      `twiml-redirect serve --config CONFIG` (with the env: variables) on a free loopback port first
      ($URL is its address), and `127.0.0.1:3000` /
      `localhost:3000` in the block mean that server (config/twiml-redirect.json when the block
      names port 3000 and no server= is given). synthflow starts the tests' fake Synthflow and
      points SYNTHFLOW_API_URL and SYNTHFLOW_WORKSPACE_ID at it. file: copies a repository file into
      the scratch directory under NAME.
  <!-- docs-test: output-of [server=CONFIG] COMMAND -->
      the block is what COMMAND (bash, same environment) prints on stdout, exactly (json blocks:
      the same JSON value).
  <!-- docs-test: output-of-previous -->
      the block is how the stdout of the last `run` block of the file ends.
  <!-- docs-test: file NAME -->
      the block is a configuration (a fragment such as `"sip": {...}` is wrapped in braces), saved
      as NAME in the scratch directory for later blocks; `check-config` must accept it.
  <!-- docs-test: same-as PATH -->
      the block is the repository file PATH (comments stripped, compared as JSON), and is valid.
  <!-- docs-test: skip REASON -->
      not run, and the reason says why (a container engine, a cluster, the real Twilio API).

A json block without an annotation must parse as JSON; any other block without one is a failure,
so a block added to the docs is either run or says why it cannot be.

The environment holds no secret from the machine running the test.

Usage: check_docs_blocks.py --repo DIR --binary PATH --fake-synthflow PATH
Exit status: 0 when every block passes, 1 otherwise (each failure printed with file and line).
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANNOTATION = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
TIMEOUT_S = 60
FAKE_WORKSPACE = "1710107690998x536152705164378100"  # the fake Synthflow's default workspace
SECRETS = ["TWILIO_AUTH_TOKEN", "TWILIO_SHARED_KEYS", "TWILIO_WEBHOOK_PASSWORD", "TWILIO_WEBHOOK_USER", "SYNTHFLOW_API_KEY", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID",
           "CALL_CONTEXT_TOKEN", "CALL_CONTEXT_REDIS_PASSWORD", "TRUNK_PWD_FRONT_DESK", "PUBLIC_URL", "PORT", "HOST",
           "SYNTHFLOW_API_URL", "SYNTHFLOW_WORKSPACE_ID", "TWIML_REDIRECT_CONFIG", "LOG_FORMAT", "LOG_LEVEL"]


class Block:
    def __init__(self, doc, line, language, text, annotation):
        self.doc, self.line, self.language, self.text, self.annotation = doc, line, language, text, annotation

    def where(self):
        return f"{self.doc}:{self.line}"


def blocks_of(path, repo):
    """The fenced blocks of a Markdown file, with their annotations; indented fences (in lists) too."""
    lines = path.read_text().split("\n")
    out, i = [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, language, start = fence.group(1), fence.group(2), i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        annotation = None
        if start > 0 and (match := ANNOTATION.match(lines[start - 1])):
            annotation = match.group(1)
        out.append(Block(path.relative_to(repo), start + 1, language, "\n".join(body), annotation))
        i += 1
    return out


def strip_json_comments(text):
    """JSON with // line comments (the project's config files) as plain JSON; strings are kept."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


class Harness:
    def __init__(self, repo, binary, fake_synthflow, scratch):
        self.repo, self.binary, self.fake_synthflow, self.scratch = repo, binary, fake_synthflow, scratch
        self.servers = {}  # config path -> (process, port)
        self.fake = None   # (process, port)
        bin_dir = scratch / "bin"
        bin_dir.mkdir()
        (bin_dir / "twiml-redirect").symlink_to(binary)
        for shared in ("config", "deploy"):  # commands name the repository's files by these paths
            (scratch / shared).symlink_to(repo / shared)
        self.env = {k: v for k, v in os.environ.items() if k not in SECRETS}
        self.env["PATH"] = f"{bin_dir}:{self.env.get('PATH', '/usr/bin:/bin')}"
        self.env["LOG_FORMAT"] = "text"
        self.last_run_stdout = {}

    def close(self):
        for process, _ in list(self.servers.values()) + ([self.fake] if self.fake else []):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def config_path(self, name):
        in_scratch = self.scratch / name
        return in_scratch if in_scratch.exists() else self.repo / name

    def server(self, config, env_extra):
        """The port of a server on `config` with `env_extra` in its environment, started on first use."""
        key = (config, tuple(sorted(env_extra.items())))
        if key not in self.servers:
            log = open(self.scratch / f"server-{len(self.servers)}.log", "w+")
            env = dict(self.env, **env_extra, HOST="127.0.0.1", PORT="0")
            process = subprocess.Popen([str(self.binary), "serve", "--config", str(self.config_path(config))],
                                       env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.scratch)
            port = self.wait_for(log, re.compile(r"listening on 127\.0\.0\.1:(\d+)"), process, f"serve {config}")
            self.servers[key] = (process, int(port))
        return self.servers[key][1]

    def synthflow(self):
        if not self.fake:
            log = open(self.scratch / "fake-synthflow.log", "w+")
            process = subprocess.Popen([str(self.fake_synthflow), "--host", "127.0.0.1", "--port", "0"],
                                       stdout=log, stderr=subprocess.STDOUT, cwd=self.scratch)
            port = self.wait_for(log, re.compile(r"^(\d+)$", re.M), process, "fake-synthflow")
            self.fake = (process, int(port))
        return self.fake[1]

    @staticmethod
    def wait_for(log, pattern, process, what):
        # The line comes or the process ends; either is observable, and the deadline only stops a hang.
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            log.seek(0)
            text = log.read()
            if match := pattern.search(text):
                return match.group(1)
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited {process.returncode}: {text[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{what} did not start within {TIMEOUT_S} s")

    def options(self, text):
        """Splits the leading options of an annotation off the rest (a command, kept as written)."""
        env, server, rest = {}, None, text.strip()
        while rest:
            word, _, after = rest.partition(" ")
            if word.startswith("server="):
                server = word.split("=", 1)[1]
            elif word == "synthflow":
                port = self.synthflow()
                env.update(SYNTHFLOW_API_URL=f"http://127.0.0.1:{port}/v2", SYNTHFLOW_WORKSPACE_ID=FAKE_WORKSPACE)
            elif word.startswith("env:"):
                name, value = word[4:].split("=", 1)
                env[name] = value
            elif word.startswith("file:"):
                name, source = word[5:].split("=", 1)
                shutil.copyfile(self.repo / source, self.scratch / name)
            else:
                break
            rest = after.strip()
        return env, server, rest

    def shell(self, script, env_extra, server):
        script = script.replace("build/release/twiml-redirect", "twiml-redirect")
        if server is None and re.search(r"(127\.0\.0\.1|localhost):3000", script):
            server = "config/twiml-redirect.json"
        env = dict(self.env, **env_extra)
        if server:
            port = self.server(server, env_extra)
            script = re.sub(r"(127\.0\.0\.1|localhost):3000", f"127.0.0.1:{port}", script)
            env["URL"] = f"http://127.0.0.1:{port}"
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=self.scratch,
                              capture_output=True, text=True, timeout=TIMEOUT_S)

    def check_config(self, path):
        result = subprocess.run([str(self.binary), "check-config", "--config", str(path)], env=self.env,
                                capture_output=True, text=True, timeout=TIMEOUT_S)
        return None if result.returncode == 0 else f"check-config exited {result.returncode}: {result.stderr.strip()}"

    def check(self, block):
        """None when the block passes, else what is wrong."""
        if block.annotation is None:
            if block.language == "json":
                try:
                    json.loads(block.text)
                    return None
                except json.JSONDecodeError as error:
                    return f"not valid JSON: {error}"
            return "no docs-test annotation: run it (run, output-of, file, same-as) or say why not (skip REASON)"
        directive, _, rest = block.annotation.partition(" ")
        words = rest.split()
        if directive == "skip":
            return None if words else "skip needs a reason"
        if directive == "run":
            env, server, leftover = self.options(rest)
            if leftover:
                return f"run: unknown options {leftover}"
            result = self.shell(block.text, env, server)
            self.last_run_stdout[block.doc] = result.stdout
            if result.returncode != 0:
                return f"exited {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
            return None
        if directive == "output-of":
            env, server, command = self.options(rest)
            if not command:
                return "output-of needs a command"
            result = self.shell(command, env, server)
            if result.returncode != 0:
                return f"{command} exited {result.returncode}: {result.stderr}"
            return compare(block, result.stdout)
        if directive == "output-of-previous":
            stdout = self.last_run_stdout.get(block.doc)
            if stdout is None:
                return "no run block before it in this file"
            if not stdout.rstrip("\n").endswith(block.text.rstrip("\n")):
                return f"the previous run printed something else:\n{stdout}"
            return None
        if directive == "file":
            text = block.text.strip()
            document = "{" + text + "}" if text.startswith('"') else text
            (self.scratch / words[0]).write_text(document + "\n")
            return self.check_config(self.scratch / words[0])
        if directive == "same-as":
            try:
                shown = json.loads(strip_json_comments(block.text))
                actual = json.loads(strip_json_comments((self.repo / words[0]).read_text()))
            except json.JSONDecodeError as error:
                return f"not JSON: {error}"
            if shown != actual:
                return f"differs from {words[0]}"
            return self.check_config(self.repo / words[0])
        return f"unknown directive {directive!r}"


def compare(block, stdout):
    if block.language == "json":
        try:
            return None if json.loads(block.text) == json.loads(stdout) else f"the command printed:\n{stdout}"
        except json.JSONDecodeError as error:
            return f"not JSON: {error}: {stdout}"
    return None if stdout.rstrip("\n") == block.text.rstrip("\n") else f"the command printed:\n{stdout}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--fake-synthflow", required=True, type=Path)
    parser.add_argument("--only", help="only the files whose path contains this")
    options = parser.parse_args()
    repo = options.repo.resolve()
    docs = [repo / "README.md"] + sorted((repo / "docs").glob("*.md"))
    if options.only:
        docs = [d for d in docs if options.only in str(d)]
    failures, ran, skipped = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="docs-blocks-") as scratch:
        harness = Harness(repo, options.binary.resolve(), options.fake_synthflow.resolve(), Path(scratch))
        try:
            for doc in docs:
                for block in blocks_of(doc, repo):
                    try:
                        problem = harness.check(block)
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        problem = str(error)
                    if block.annotation and block.annotation.startswith("skip"):
                        skipped += 1
                    else:
                        ran += 1
                    print(f"  {'FAIL' if problem else 'ok  '} {block.where()} {block.annotation or block.language}")
                    if problem:
                        failures.append(f"{block.where()}: {problem}")
        finally:
            harness.close()
    for failure in failures:
        print("FAIL " + failure)
    print(f"{ran} code blocks checked, {skipped} skipped with a reason, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
