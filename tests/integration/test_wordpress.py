"""`broadsheet import wordpress`: WordPress's own exports (the shared fixtures) imported into a
site and served, old addresses answering 301; re-runs update; generated and hostile exports
(10,000 posts, a 2 GB pipe, truncation, wrong encoding, entity expansion) reported clearly with
nothing half-imported."""

import os
import resource
import subprocess
import tempfile
import unittest

import harness
import wxr

FIXTURES = os.path.join(harness.SOURCE, "..", "shared", "fixtures", "wordpress")
THEME_DATA = os.path.join(FIXTURES, "themeunittestdata.wordpress.xml")
BLOCK_DATA = os.path.join(FIXTURES, "64-block-test-data.xml")


def counts(server):
    with server.database() as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("posts", "comments", "authors", "sections", "tags", "redirects")}


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

    def test_a_malformed_fixture_is_refused_with_its_line(self):
        done = harness.run("import", "wordpress", os.path.join(FIXTURES, "importer", "malformed.xml"), "--dry-run")
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"^error: line \d+: the file is not well-formed XML")


@unittest.skipUnless(os.path.isdir(FIXTURES), f"no WordPress fixtures at {FIXTURES}")
class ThemeUnitTestData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(content=None)
        cls.first = harness.run("import", "wordpress", THEME_DATA, "--site", cls.server.site)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_the_report_counts_what_the_export_holds(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        out = self.first.stdout
        self.assertIn("articles:  58 new", out)
        self.assertIn("pages:     21 new", out)
        self.assertIn("authors:   2 new", out)
        self.assertIn("comments:  29 new", out)
        self.assertIn("replies:   10 comments keep their thread", out)
        self.assertIn("not as on WordPress: 4 pingbacks and trackbacks", out)
        self.assertIn("not as on WordPress: 70 nav_menu_item items", out)
        self.assertIn("shortcodes kept as text: [audio] x1, [gallery] x12", out)
        self.assertRegex(out, r"featured image\(s\) kept at their WordPress address")

    def test_articles_are_served_with_their_comments(self):
        status, _, body = self.server.get("/markup-image-alignment/")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertIn("<figcaption>Bigger caption than the image usually is.</figcaption>", page)
        self.assertNotIn("[caption", page)
        status, _, body = self.server.get("/template-comments/")
        self.assertEqual(status, 200)
        self.assertIn("Leave a Reply", body.decode())

    def test_old_addresses_answer_301(self):
        for old, new in [
            ("/2013/01/10/markup-image-alignment/", "/markup-image-alignment/"),
            ("/2013/01/markup-image-alignment/", "/markup-image-alignment/"),
            ("/2013/01/10/markup-image-alignment", "/markup-image-alignment/"),
            ("/?p=1177", "/markup-image-alignment/"),
            ("/?page_id=146", "/lorem-ipsum/"),
            ("/level-1/level-2/level-3/", "/level-3/"),
            ("/category/classic/", "/section/classic/"),
            ("/category/classic/feed/", "/section/classic/feed/"),
            ("/category/classic/feed/atom/", "/section/classic/feed/atom/"),
            ("/category/parent/child-1/child-2/", "/tag/child-2/"),
        ]:
            status, headers, _ = self.server.get(old)
            self.assertEqual((status, headers.get("location")), (301, new), old)
        # An address that was never WordPress's is still a 404; the home page ignores unknown ids.
        self.assertEqual(self.server.get("/2013/01/10/never-was/")[0], 404)
        self.assertEqual(self.server.get("/?p=999999")[0], 200)

    def test_running_it_again_updates_and_a_broken_file_changes_nothing(self):
        before = counts(self.server)
        again = harness.run("import", "wordpress", THEME_DATA, "--site", self.server.site)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("articles:  0 new, 58 already here", again.stdout)
        self.assertIn("comments:  0 new, 29 already here", again.stdout)
        self.assertEqual(counts(self.server), before)
        broken = harness.run("import", "wordpress", os.path.join(FIXTURES, "importer", "malformed.xml"),
                             "--site", self.server.site)
        self.assertEqual(broken.returncode, 1)
        self.assertRegex(broken.stderr, r"line \d+")
        self.assertIn("nothing was imported", broken.stderr)
        self.assertEqual(counts(self.server), before)


@unittest.skipUnless(os.path.isdir(FIXTURES), f"no WordPress fixtures at {FIXTURES}")
class BlockTestData(unittest.TestCase):
    def test_block_content_arrives_without_its_comments(self):
        server = harness.Server(content=None)
        try:
            done = harness.run("import", "wordpress", BLOCK_DATA, "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("articles:  61 new", done.stdout)
            self.assertIn("comments:  2 new", done.stdout)
            with server.database() as db:
                left = db.execute("SELECT count(*) FROM posts WHERE body_html LIKE '%<!-- wp:%'").fetchone()[0]
            self.assertEqual(left, 0)
        finally:
            server.close()


class GeneratedExports(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(content=None)
        self.dir = tempfile.mkdtemp(prefix="broadsheet-wxr-", dir=self.server.dir)

    def tearDown(self):
        self.server.close()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        return path

    def test_ten_thousand_posts(self):
        path = os.path.join(self.dir, "large.xml")
        wxr.write_export(path, 10000, comments_per_post=2)
        done = harness.run("import", "wordpress", path, "--site", self.server.site, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("articles:  10000 new", done.stdout)
        self.assertIn("comments:  20000 new", done.stdout)
        self.assertIn("sections:  8 new", done.stdout)
        found = counts(self.server)
        self.assertEqual((found["posts"], found["comments"], found["authors"]), (10000, 20000, 20))
        self.server.start()
        status, headers, _ = self.server.get("/2019/02/02/generated-analysis-1/")
        self.assertEqual((status, headers.get("location")), (301, "/generated-analysis-1/"))
        self.assertEqual(self.server.get("/generated-analysis-9999/")[0], 200)

    def test_a_progress_bar_on_a_terminal_only(self):
        import pty
        path = os.path.join(self.dir, "small.xml")
        wxr.write_export(path, 200, comments_per_post=1)
        controller, terminal = pty.openpty()
        importer = subprocess.Popen([harness.BIN, "import", "wordpress", path, "--site", self.server.site],
                                    stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        out, _ = importer.communicate(timeout=60)
        os.close(controller)
        self.assertEqual(importer.returncode, 0)
        self.assertRegex(shown.decode(), r"importing \[#* *\] +\d+%")
        self.assertIn(b"\x1b[K", shown)  # the bar is cleared before the report
        self.assertNotIn(b"importing", out)
        # Not a terminal: no bar at all.
        again = harness.run("import", "wordpress", path, "--site", self.server.site)
        self.assertNotIn("importing [", again.stderr + again.stdout)

    def test_broken_exports_are_refused_and_nothing_is_written(self):
        good = wxr.HEAD + wxr.channel_terms() + wxr.post_item(1, 2) + wxr.post_item(2, 2)
        cases = {
            "truncated.xml": (good + "<item><title>Half", r"line \d+: the file is not well-formed XML"),
            "latin1.xml": (good + "<item><title>Caf\xe9</title></item>" + wxr.TAIL, r"line \d+"),
            "laughs.xml": ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaa">\n'
                           '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;">\n]>\n'
                           + good[good.index("<rss"):] + "<item><title>&c;</title></item>" + wxr.TAIL,
                           r"line \d+"),
            "not-wordpress.xml": ('<?xml version="1.0"?>\n<html><body/></html>\n', "not a WordPress export"),
        }
        before = counts(self.server)
        for name, (text, message) in cases.items():
            path = self.write(name, text)
            if name == "latin1.xml":
                with open(path, "wb") as out:
                    out.write(text.encode("latin-1"))
            done = harness.run("import", "wordpress", path, "--site", self.server.site)
            self.assertEqual(done.returncode, 1, name)
            self.assertRegex(done.stderr, message, name)
            self.assertIn("nothing was imported", done.stderr, name)
            self.assertEqual(counts(self.server), before, name)

    def test_two_gigabytes_on_a_pipe_then_a_break(self):
        """Memory stays bounded by one item; the break at the end leaves nothing behind."""
        menu = ("<item><title>Menu</title><wp:post_id>1</wp:post_id><wp:post_type>nav_menu_item</wp:post_type>"
                "<content:encoded><![CDATA[" + "<p>Words of analysis. </p>" * 800 +
                "]]></content:encoded></item>\n").encode()
        start = (wxr.HEAD + wxr.channel_terms() + "".join(wxr.post_item(n, 3) for n in range(1, 101))).encode()
        count = (2 * 1024 ** 3) // len(menu) + 1
        importer = subprocess.Popen([harness.BIN, "import", "wordpress", "-", "--site", self.server.site],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        importer.stdin.write(start)
        for _ in range(count):
            importer.stdin.write(menu)
        importer.stdin.write(b"<item><title>cut off")
        importer.stdin.close()
        out = importer.stdout.read().decode()
        err = importer.stderr.read().decode()
        importer.stdout.close()
        importer.stderr.close()
        self.assertEqual(importer.wait(timeout=600), 1, out)
        self.assertRegex(err, r"line \d+: the file is not well-formed XML")
        self.assertIn("nothing was imported", err)
        self.assertEqual(counts(self.server)["posts"], 0)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        self.assertLess(peak_mib, 200, f"peak memory {peak_mib:.0f} MiB")


if __name__ == "__main__":
    unittest.main()
