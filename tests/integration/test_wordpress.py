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


class LargeExport(unittest.TestCase):
    """A 2 GB export on a pipe is read through with memory bounded by one item."""

    def test_two_gigabytes_on_a_pipe(self):
        import resource
        item = ("<item><title>Generated</title><wp:post_type>post</wp:post_type>"
                "<wp:status>publish</wp:status><content:encoded><![CDATA[" + "<p>Words of analysis. </p>" * 800 +
                "]]></content:encoded><wp:comment><wp:comment_parent>0</wp:comment_parent></wp:comment></item>\n").encode()
        head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                b'xmlns:wp="http://wordpress.org/export/1.2/" '
                b'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>\n')
        count = (2 * 1024 ** 3) // len(item) + 1
        reader = subprocess.Popen([harness.BIN, "import", "wordpress", "-", "--dry-run"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        reader.stdin.write(head)
        for _ in range(count):
            reader.stdin.write(item)
        reader.stdin.write(b"</channel></rss>\n")
        reader.stdin.close()
        out = reader.stdout.read().decode()
        err = reader.stderr.read().decode()
        self.assertEqual(reader.wait(timeout=600), 0, err)
        self.assertIn(f"post: {count}\n", out)
        self.assertIn(f"comments: {count} (0 of them replies)", out)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.assertLess(peak_mib, 64, f"peak memory {peak_mib:.0f} MiB")
