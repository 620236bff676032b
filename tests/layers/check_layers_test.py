#!/usr/bin/env python3
"""scripts/check-layers on small fake source trees: the graph, the order, and every kind of cycle.

Usage: check_layers_test.py [--script PATH] [unittest arguments]   (default: ../../scripts/check-layers)
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-layers")


def load_checker(path):
    loader = importlib.machinery.SourceFileLoader("check_layers", path)
    spec = importlib.util.spec_from_loader("check_layers", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class fake_tree:
    """A temporary checkout: {relative path: file text}."""

    def __init__(self, files):
        self.directory = tempfile.TemporaryDirectory(prefix="check-layers-")
        self.root = self.directory.name
        for path, text in files.items():
            full = os.path.join(self.root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.directory.cleanup()


# util <- config <- http, with a private header in src/http/ and a main.cpp that belongs to no layer.
ACYCLIC = {
    "include/twiml_redirect/util/text.hpp": "#pragma once\n#include <string>\n",
    "include/twiml_redirect/config/config.hpp": '#pragma once\n#include "twiml_redirect/util/text.hpp"\n',
    "src/config/config.cpp": '#include "twiml_redirect/config/config.hpp"\n',
    "src/http/worker.hpp": '#pragma once\n#include "twiml_redirect/util/text.hpp"\n',
    "src/http/server.cpp": '#include "worker.hpp"\n  #  include "twiml_redirect/config/config.hpp"\n',
    "src/main.cpp": '#include "twiml_redirect/http/server.hpp"\n#include "twiml_redirect/version.hpp"\n',
    "include/twiml_redirect/version.hpp": "#define V 1\n",
}


class CheckLayersTest(unittest.TestCase):
    checker = None

    def run_checker(self, files):
        with fake_tree(files) as tree:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = self.checker.main(["--root", tree.root])
            return status, out.getvalue(), err.getvalue()

    def test_acyclic_tree_passes_with_its_order(self):
        status, out, _ = self.run_checker(ACYCLIC)
        self.assertEqual(status, 0, out)
        self.assertIn("order (each after what it depends on): util config http\n", out)
        self.assertIn("config -> util: 1, e.g. include/twiml_redirect/config/config.hpp:2", out)
        self.assertIn("http -> config: 1, e.g. src/http/server.cpp:2", out)
        self.assertIn('http -> util: 1, e.g. src/http/worker.hpp:2 includes "twiml_redirect/util/text.hpp"', out)
        self.assertNotIn("version", out)  # outside any folder: not a layer
        self.assertNotIn("cycle:", out)
        self.assertTrue(out.endswith("check-layers: no cycle\n"), out)

    def test_two_folder_cycle_fails_naming_it_and_the_include(self):
        files = dict(ACYCLIC)
        files["include/twiml_redirect/util/log.hpp"] = '#pragma once\n#include "twiml_redirect/config/config.hpp"\n'
        status, out, err = self.run_checker(files)
        self.assertEqual(status, 1, out)
        self.assertIn("check-layers: cycle: config -> util -> config\n", out)
        self.assertIn('util -> config: include/twiml_redirect/util/log.hpp:2 includes "twiml_redirect/config/config.hpp"', out)
        self.assertIn("FAILED", err)
        self.assertNotIn("order (", out)

    def test_cycle_through_a_private_header_and_a_relative_include(self):
        files = dict(ACYCLIC)
        files["src/app/run.cpp"] = '#include "../http/worker.hpp"\n'  # app -> http, found on disk
        files["src/http/worker.hpp"] = '#pragma once\n#include "twiml_redirect/app/run.hpp"\n'
        files["include/twiml_redirect/app/run.hpp"] = "#pragma once\n"
        status, out, _ = self.run_checker(files)
        self.assertEqual(status, 1, out)
        self.assertIn("app -> http: 1, e.g. src/app/run.cpp:1", out)
        self.assertIn("check-layers: cycle: app -> http -> app\n", out)

    def test_three_folder_cycle_is_reported_whole(self):
        files = dict(ACYCLIC)
        files["include/twiml_redirect/util/text.hpp"] = '#pragma once\n#include "twiml_redirect/http/types.hpp"\n'
        files["include/twiml_redirect/http/types.hpp"] = "#pragma once\n"
        status, out, _ = self.run_checker(files)
        self.assertEqual(status, 1, out)
        # http -> config -> util -> http, and the shorter http -> util -> http beside it.
        self.assertIn("check-layers: cycle: config -> util -> http -> config\n", out)
        self.assertIn("check-layers: cycle: http -> util -> http\n", out)

    def test_missing_local_headers_and_system_headers_are_ignored(self):
        files = dict(ACYCLIC)
        files["src/http/server.cpp"] += '#include "generated_elsewhere.hpp"\n#include <vector>\n#include <boost/asio.hpp>\n'
        status, out, _ = self.run_checker(files)
        self.assertEqual(status, 0, out)
        self.assertIn("http -> config: 1,", out)
        self.assertNotIn("boost", out)

    def test_angle_bracket_includes_of_ours_count(self):
        files = dict(ACYCLIC)
        files["src/http/server.cpp"] += "#include <twiml_redirect/app/x.hpp>\n"
        files["include/twiml_redirect/app/x.hpp"] = "#pragma once\n#include <twiml_redirect/http/server.hpp>\n"
        status, out, _ = self.run_checker(files)
        self.assertEqual(status, 1, out)
        self.assertIn('http -> app: 1, e.g. src/http/server.cpp:3 includes "twiml_redirect/app/x.hpp"', out)
        self.assertIn("check-layers: cycle: app -> http -> app\n", out)

    # The layer table of docs/architecture.md, as the real one writes it.
    TABLE = ("| Folder | What | Uses |\n|---|---|---|\n| `src/util/` | helpers | nothing |\n"
             "| `src/config/` | the configuration | util |\n| `src/http/` | the server | util, config |\n")

    def test_dependencies_the_layer_table_allows_pass(self):
        status, out, _ = self.run_checker(dict(ACYCLIC, **{"docs/architecture.md": self.TABLE}))
        self.assertEqual(status, 0, out)
        self.assertIn("every dependency is one the layer table allows", out)

    def test_a_dependency_the_layer_table_does_not_allow_fails_naming_the_include(self):
        table = self.TABLE.replace("| util, config |", "| util |")
        status, out, err = self.run_checker(dict(ACYCLIC, **{"docs/architecture.md": table}))
        self.assertEqual(status, 1, out)
        self.assertIn("check-layers: http may not include config (the layer table of docs/architecture.md allows "
                      'util): src/http/server.cpp:2 includes "twiml_redirect/config/config.hpp"', out)
        self.assertIn("FAILED", err)

    def test_all_of_the_above_and_a_folder_missing_from_the_table(self):
        table = self.TABLE.replace("| util, config |", "| all of the above |")
        files = dict(ACYCLIC, **{"docs/architecture.md": table, "src/extra/x.cpp": '#include "twiml_redirect/util/text.hpp"\n'})
        status, out, _ = self.run_checker(files)
        self.assertEqual(status, 1, out)
        self.assertIn("check-layers: extra is not in the layer table of docs/architecture.md", out)
        self.assertNotIn("http may not", out)

    def test_the_executable_exits_with_the_status(self):
        for files, expected in ((ACYCLIC, 0), (dict(ACYCLIC, **{"src/util/x.cpp": '#include "twiml_redirect/http/s.hpp"\n'}), 1)):
            with fake_tree(files) as tree:
                result = subprocess.run([sys.executable, SCRIPT, "--root", tree.root], capture_output=True, text=True)
                self.assertEqual(result.returncode, expected, result.stdout + result.stderr)

    def test_a_directory_without_sources_is_a_usage_error(self):
        with tempfile.TemporaryDirectory() as empty, contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(self.checker.main(["--root", empty]), 2)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--script":
        SCRIPT = os.path.abspath(sys.argv[2])
        del sys.argv[1:3]
    CheckLayersTest.checker = load_checker(SCRIPT)
    unittest.main()
