"""`broadsheet import wordpress`: reading WordPress's own exports (the shared fixtures), from a
file or a pipe, with --dry-run; clear errors for broken files. Writing into a site comes next."""

import os
import subprocess
import unittest

import harness

FIXTURES = os.path.join(harness.SOURCE, "..", "shared", "fixtures", "wordpress")
THEME_DATA = os.path.join(FIXTURES, "themeunittestdata.wordpress.xml")


@unittest.skipUnless(os.path.isdir(FIXTURES), f"no WordPress fixtures at {FIXTURES}")
class DryRun(unittest.TestCase):
    def test_a_file_and_a_pipe_give_the_same_report(self):
        done = harness.run("import", "wordpress", THEME_DATA, "--dry-run")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("authors: 2, categories: 68, tags: 110", done.stdout)
        self.assertIn("post: 58", done.stdout)
        self.assertIn("comments: 33 (10 of them replies)", done.stdout)
        self.assertIn("nothing was written", done.stdout)
        with open(THEME_DATA, "rb") as source:
            piped = subprocess.run([harness.BIN, "import", "wordpress", "-", "--dry-run"], stdin=source,
                                   capture_output=True, text=True, timeout=60)
        self.assertEqual(piped.returncode, 0, piped.stderr)
        self.assertEqual(piped.stdout, done.stdout)

    def test_broken_files_and_the_unbuilt_import_say_so(self):
        done = harness.run("import", "wordpress", os.path.join(FIXTURES, "importer", "malformed.xml"), "--dry-run")
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"^error: line \d+: the file is not well-formed XML")
        done = harness.run("import", "wordpress", THEME_DATA)
        self.assertEqual(done.returncode, 1)
        self.assertIn("--dry-run", done.stderr)


if __name__ == "__main__":
    unittest.main()
