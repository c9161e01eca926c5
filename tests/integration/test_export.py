"""`broadsheet export json|wordpress` and `broadsheet import json`: the whole site out and back in
through the real binary; the JSON round trip gives the same bytes."""

import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

import harness

FIXTURES = os.path.join(harness.SOURCE, "..", "shared", "fixtures", "wordpress")
WP = "{http://wordpress.org/export/1.2/}"


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="broadsheet-export-")
        cls.site = os.path.join(cls.dir, "site")
        done = harness.run("init", cls.site, "--demo")
        assert done.returncode == 0, done.stderr
        theme_data = os.path.join(FIXTURES, "themeunittestdata.wordpress.xml")
        if os.path.exists(theme_data):
            done = harness.run("import", "wordpress", theme_data, "--site", cls.site)
            assert done.returncode == 0, done.stderr
        done = harness.run("user", "add", "--site", cls.site, "--email", "ed@example.org", "--name", "Ed",
                           "--role", "editor")
        assert done.returncode == 0, done.stderr

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_json_round_trip_gives_the_same_bytes(self):
        done = harness.run("export", "json", self.path("one.json"), "--site", self.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("images are not inside it", done.stderr)
        piped = subprocess.run([harness.BIN, "export", "json", "-", "--site", self.site], capture_output=True)
        with open(self.path("one.json"), "rb") as exported:
            first = exported.read()
        self.assertEqual(piped.stdout, first)
        self.assertTrue(first.startswith(b'{"format": "broadsheet-export", "version": 1,'))

        copy = self.path("copy")
        self.assertEqual(harness.run("init", copy).returncode, 0)
        done = harness.run("import", "json", self.path("one.json"), "--site", copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("1 staff account(s)", done.stdout)
        self.assertIn("user link --email", done.stdout)
        done = harness.run("export", "json", self.path("two.json"), "--site", copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(self.path("two.json"), "rb") as exported:
            self.assertEqual(exported.read(), first)

        # A second import into the now full site is refused, and changes nothing.
        done = harness.run("import", "json", self.path("one.json"), "--site", copy)
        self.assertEqual(done.returncode, 1)
        self.assertIn("the site is not empty", done.stderr)
        # A new site whose owner made their account first takes the export too.
        owned = self.path("owned")
        self.assertEqual(harness.run("init", owned).returncode, 0)
        harness.run("user", "add", "--site", owned, "--email", "ed@example.org", "--name", "Ed", "--role", "owner")
        done = harness.run("import", "json", self.path("one.json"), "--site", owned)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("1 staff account(s) already here were kept as they are", done.stdout)
        # The restored account chooses its password through a one-time link.
        done = harness.run("user", "link", "--email", "ed@example.org", "--site", copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"/admin/password/\S+")

    def test_wordpress_export_is_a_wxr_file_the_importer_reads(self):
        done = harness.run("export", "wordpress", self.path("site.xml"), "--site", self.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        root = ElementTree.parse(self.path("site.xml")).getroot()
        channel = root.find("channel")
        self.assertEqual(channel.find(WP + "wxr_version").text, "1.2")
        self.assertTrue(channel.find(WP + "base_site_url").text.startswith("http"))
        items = channel.findall("item")
        types = {item.find(WP + "post_type").text for item in items}
        self.assertLessEqual({"post", "page"}, types)
        for item in items:
            self.assertTrue(item.find(WP + "post_id").text.isdigit())

        copy = self.path("from-wxr")
        self.assertEqual(harness.run("init", copy).returncode, 0)
        done = harness.run("import", "wordpress", self.path("site.xml"), "--site", copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        posts = sum(1 for item in items if item.find(WP + "post_type").text == "post")
        self.assertIn(f"articles:  {posts} new", done.stdout)

    def test_a_failed_export_leaves_no_file(self):
        done = harness.run("export", "json", os.path.join(self.dir, "missing-folder", "x.json"), "--site", self.site)
        self.assertEqual(done.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "missing-folder")))


if __name__ == "__main__":
    unittest.main()
