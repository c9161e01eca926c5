"""`broadsheet export json|wordpress` and `broadsheet import json`: the whole site out and back in
through the real binary; the JSON round trip gives the same bytes."""

import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

import harness

FIXTURES = os.path.join(harness.SOURCE, "..", "shared", "fixtures", "wordpress")
WP = "{http://wordpress.org/export/1.2/}"


def init(path, *extra):
    """`broadsheet init PATH`, in a new database of the test cluster when the suite runs on
    PostgreSQL; the database's URL (or None for SQLite)."""
    url = harness.new_postgres_database() if harness.STORE_POSTGRES else None
    done = harness.run("init", path, *extra, *(["--database-url", url] if url else []))
    assert done.returncode == 0, done.stderr
    return url


def database(site, url):
    return harness.Database(site=site, url=url)


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="broadsheet-export-")
        cls.site = os.path.join(cls.dir, "site")
        cls.url = init(cls.site, "--demo")
        theme_data = os.path.join(FIXTURES, "themeunittestdata.wordpress.xml")
        if os.path.exists(theme_data):
            done = harness.run("import", "wordpress", theme_data, "--site", cls.site)
            assert done.returncode == 0, done.stderr
        done = harness.run("user", "add", "--site", cls.site, "--email", "ed@example.org", "--name", "Ed",
                           "--role", "editor")
        assert done.returncode == 0, done.stderr
        done = harness.run("user", "add", "--site", cls.site, "--email", "cw@example.org", "--name", "Carla",
                           "--role", "contributor")
        assert done.returncode == 0, done.stderr
        # What the desk's people and review make: both accounts with their own author profile, a
        # draft submitted for review, and editorial notes on it by both (one resolved).
        with database(cls.site, cls.url) as db:
            cls.profiles = [row[0] for row in db.execute("SELECT slug FROM authors ORDER BY slug").fetchall()][:2]
            assert len(cls.profiles) == 2, cls.profiles
            for email, slug in zip(["ed@example.org", "cw@example.org"], cls.profiles):
                db.execute("UPDATE users SET author_id = (SELECT id FROM authors WHERE slug = ?) WHERE email = ?",
                           (slug, email))
            cls.submitted = db.execute("SELECT slug FROM posts ORDER BY id LIMIT 1").fetchone()[0]
            db.execute("UPDATE posts SET status = 'pending', submitted_at = 1700006000, "
                       "created_by = (SELECT id FROM users WHERE email = 'cw@example.org') WHERE slug = ?",
                       (cls.submitted,))
            post = "(SELECT id FROM posts WHERE slug = ?)"
            ed = "(SELECT id FROM users WHERE email = 'ed@example.org')"
            cw = "(SELECT id FROM users WHERE email = 'cw@example.org')"
            db.execute("INSERT INTO editorial_notes(post_id, text, at, user_id, resolved_at, resolved_by) "
                       "VALUES (%s, 'Check the figures.', 1700006100, %s, 1700006300, %s)" % (post, ed, cw),
                       (cls.submitted,))
            db.execute("INSERT INTO editorial_notes(post_id, text, at, user_id) "
                       "VALUES (%s, 'Done: the source is linked.', 1700006200, %s)" % (post, cw),
                       (cls.submitted,))

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def people_and_review(self, site, url):
        """The profile of each account, the submitted draft's time and its editorial notes."""
        with database(site, url) as db:
            profiles = db.execute("SELECT u.email, a.slug FROM users u JOIN authors a ON a.id = u.author_id "
                                  "ORDER BY u.email").fetchall()
            submitted = db.execute("SELECT submitted_at FROM posts WHERE slug = ?", (self.submitted,)).fetchone()
            notes = db.execute(
                "SELECT n.text, n.at, u.email, n.resolved_at, r.email FROM editorial_notes n "
                "JOIN posts p ON p.id = n.post_id LEFT JOIN users u ON u.id = n.user_id "
                "LEFT JOIN users r ON r.id = n.resolved_by WHERE p.slug = ? ORDER BY n.at",
                (self.submitted,)).fetchall()
        return [tuple(row) for row in profiles], submitted and submitted[0], [tuple(row) for row in notes]

    def test_json_round_trip_gives_the_same_bytes(self):
        done = harness.run("export", "json", self.path("one.json"), "--site", self.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("images are not inside it", done.stderr)
        piped = subprocess.run([harness.BIN, "export", "json", "-", "--site", self.site], capture_output=True)
        with open(self.path("one.json"), "rb") as exported:
            first = exported.read()
        self.assertEqual(piped.stdout, first)
        self.assertTrue(first.startswith(b'{"format": "broadsheet-export", "version": 1,'))
        # The file carries the profiles' accounts, the submission and the editorial notes.
        records = [json.loads(line.rstrip(b",")) for line in first.splitlines()[1:] if line.startswith(b"{\"")]
        owners = {record["slug"]: record["user"] for record in records if "bio_markdown" in record}
        self.assertEqual(owners[self.profiles[0]], "ed@example.org")
        self.assertEqual(owners[self.profiles[1]], "cw@example.org")
        submitted = next(record for record in records if record.get("slug") == self.submitted and "body_markdown" in record)
        self.assertEqual(submitted["submitted_at"], "2023-11-14T23:53:20Z")
        self.assertEqual([note["user"] for note in submitted["editorial_notes"]], ["ed@example.org", "cw@example.org"])
        expected = self.people_and_review(self.site, self.url)
        self.assertEqual(expected, ([("cw@example.org", self.profiles[1]), ("ed@example.org", self.profiles[0])],
                                    1700006000,
                                    [("Check the figures.", 1700006100, "ed@example.org", 1700006300, "cw@example.org"),
                                     ("Done: the source is linked.", 1700006200, "cw@example.org", None, None)]))

        copy = self.path("copy")
        copy_url = init(copy)
        done = harness.run("import", "json", self.path("one.json"), "--site", copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("2 staff account(s)", done.stdout)
        self.assertIn("2 editorial note(s)", done.stdout)
        self.assertEqual(self.people_and_review(copy, copy_url), expected)
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
        owned_url = init(owned)
        harness.run("user", "add", "--site", owned, "--email", "ed@example.org", "--name", "Ed", "--role", "owner")
        done = harness.run("import", "json", self.path("one.json"), "--site", owned)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("1 staff account(s) already here were kept as they are", done.stdout)
        # The kept account has no profile before the restore (there are none): it takes its own.
        self.assertEqual(self.people_and_review(owned, owned_url), expected)
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
        init(copy)
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
