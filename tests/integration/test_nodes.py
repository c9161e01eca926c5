"""Two nodes of one site on one PostgreSQL database (issue 16, item 1): what is written through
one node, or by a command, is on the other node's pages within a second (LISTEN/NOTIFY wakes the
node at once; its one-second poll of the content version is only the fallback), and so are the
comments published at once, which change no content version but travel as notices naming their
post. Runs on PostgreSQL only (integration_pg.test_nodes)."""

import html
import re
import time
import unittest

import harness
from test_comments import ARTICLE, comment
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of


def seen_within(server, path, text, seconds):
    """Seconds until `text` is on `path` of `server`, or None if not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if text in server.get(path)[2].decode():
            return time.monotonic() - started
        time.sleep(0.01)
    return None


class TwoNodes(unittest.TestCase):
    def setUp(self):
        if not harness.STORE_POSTGRES:
            self.skipTest("nodes share a PostgreSQL database: run as integration_pg.test_nodes")
        self.a = harness.Server()
        done = add_user(self.a, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        self.b = self.a.node()
        self.a.start()
        self.b.start()
        self.a.set_desk_setting("comments_min_form_seconds", "0")
        self.editor = Browser(self.a)
        self.assertEqual(self.editor.sign_in("editor@example.org", PASSWORD)[0], 303)

    def tearDown(self):
        self.a.close()
        self.b.close()

    def cached_on_b(self, path):
        """Renders `path` on node B, so that what follows must reach B's page cache."""
        for _ in range(2):
            self.assertEqual(self.b.get(path)[0], 200)
        return self.b.get(path)[2].decode()

    def post_id(self, slug):
        with self.a.database() as db:
            return db.execute("SELECT id FROM posts WHERE slug = ?", (slug,)).fetchone()[0]

    def test_an_edit_through_one_node_is_on_the_other_within_a_second(self):
        self.assertNotIn("Deterrence, Revised", self.cached_on_b(ARTICLE))
        path = "/admin/posts/%d" % self.post_id(ARTICLE.strip("/"))
        status, _, page, _ = self.editor.request("GET", path)
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        current = {name: html.unescape(value) for name, value in re.findall(
            r'<input id="[^"]+" name="([a-z_]+)" type="(?:text|datetime-local)" value="([^"]*)"', page)}
        fields = dict(FIELDS, **current, csrf=csrf, edit_count=count, **{"do": "save"})
        fields["title"] = "Deterrence, Revised on Node A"
        self.assertEqual(self.editor.request("POST", path, fields)[0], 303)
        delay = seen_within(self.b, ARTICLE, "Deterrence, Revised on Node A", 1.0)
        self.assertIsNotNone(delay, "node B still shows the old page after a second")

        # A command run anywhere against the database: the same.
        self.assertNotIn("Imported Meanwhile", self.cached_on_b("/"))
        harness.write_tree(self.a.content, {"posts/meanwhile.md": """
            ---
            title: Imported Meanwhile
            section: economy
            authors: [jane-doe]
            date: 2024-03-02T09:30:00Z
            ---
            Written by a command while both nodes serve.
            """})
        done = harness.run("import", "markdown", self.a.content, "--site", self.b.site)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIsNotNone(seen_within(self.a, "/", "Imported Meanwhile", 1.0))
        self.assertIsNotNone(seen_within(self.b, "/", "Imported Meanwhile", 1.0))

    def test_comments_approved_or_published_through_one_node_reach_the_other(self):
        self.cached_on_b(ARTICLE)
        status, _, _ = comment(self.a, {"body": "Held first, then approved.",
                                        "email": "regular@example.org"})
        self.assertEqual(status, 303)
        with self.a.database() as db:
            comment_id = db.execute("SELECT id FROM comments WHERE status = 'pending'").fetchone()[0]
        csrf = self.editor.csrf("/admin/comments")
        status, _, _, _ = self.editor.request(
            "POST", "/admin/comments", {"csrf": csrf, "status": "pending", "one": "approve:%d" % comment_id})
        self.assertEqual(status, 303)
        self.assertIsNotNone(seen_within(self.b, ARTICLE, "Held first, then approved.", 1.0),
                             "node B does not show the approved comment after a second")

        # The address has an approved comment now: the next one is published at once, which
        # changes no content version. Node A marks its pages stale and tells node B, whose stale
        # copy is served while it renders the page again (at most once a second per page).
        self.cached_on_b(ARTICLE)
        status, headers, _ = comment(self.a, {"body": "Published at once, seen everywhere.",
                                              "email": "regular@example.org"})
        self.assertEqual(status, 303)
        self.assertIn("?comment=", headers["location"])
        self.assertIsNotNone(seen_within(self.b, ARTICLE, "Published at once, seen everywhere.", 3.0),
                             "node B never marked the article stale")
        self.assertIsNotNone(seen_within(self.b, "/", ">2 comments<", 3.0))


if __name__ == "__main__":
    unittest.main()
