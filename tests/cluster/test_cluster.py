"""Several nodes behind haproxy and Varnish on one PostgreSQL (issue 16, item 8): what a reader or an
editor meets when a publication runs Broadsheet on several machines. See cluster.py for the
arrangement."""

import json
import os
import re
import shutil
import threading
import time
import unittest
import urllib.parse

import cluster
from cluster import Front, eventually, title_of

from test_desk import PASSWORD, Browser
from test_editor import FIELDS, form_of

ARTICLE = "/why-deterrence-still-works/"
# Issue 16: an edit on one node is visible on every node's next request within one second.
VISIBLE_WITHIN_S = 1.0


@unittest.skipIf(cluster.missing(), "the cluster test needs: %s" % ", ".join(cluster.missing()))
class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.arrangement = cluster.Arrangement().start()
        done = cls.arrangement.cli("user", "add", "--email", "editor@example.org", "--name", "Eda Editor",
                                   "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        with cls.arrangement.database() as db:
            db.execute("INSERT INTO secrets(name, value) VALUES ('desk:comments_min_form_seconds', '0') "
                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value")
        cls.nodes = cls.arrangement.nodes
        cls.front = Front(cls.arrangement.haproxy_port)
        cls.varnish = Front(cls.arrangement.varnish_port)

    @classmethod
    def tearDownClass(cls):
        cls.arrangement.close()

    def post_id(self):
        with self.arrangement.database() as db:
            return db.execute("SELECT id FROM posts WHERE slug = 'why-deterrence-still-works'").fetchone()[0]

    def save_title(self, browser, title):
        """Saves the article with a new title through whichever node `browser` talks to."""
        path = "/admin/posts/%d" % self.post_id()
        status, _, page, _ = browser.request("GET", path)
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title=title, slug="why-deterrence-still-works",
                      section="security", authors="jane-doe", tags="Korea, Nuclear Weapons", **{"do": "save"})
        status, _, page, _ = browser.request("POST", path, fields)
        self.assertEqual(status, 303, page[:500])

    def test_an_edit_through_one_node_is_seen_through_the_others_within_a_second(self):
        a, b, c = self.nodes
        for node in (a, b, c):  # every node has the article in its page cache
            self.assertEqual(node.get(ARTICLE)[0], 200)
        editor = Browser(a)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        for round_ in range(3):
            title = "Deterrence, Seen Everywhere %d" % round_
            self.save_title(editor, title)
            for node in (b, c):
                took = eventually(lambda: title in title_of(node.get(ARTICLE)[2]), 5)
                self.assertIsNotNone(took, "node %s never showed the edit" % node.name)
                self.assertLessEqual(took, VISIBLE_WITHIN_S, "node %s took %.2f s" % (node.name, took))

    def test_a_desk_session_and_its_forms_work_on_every_node(self):
        a, b, c = self.nodes
        editor = Browser(a)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        for node in (b, c):
            editor.server = node
            self.assertEqual(editor.request("GET", "/admin/posts")[0], 200, node.name)
        # A form opened on one node is accepted by another (its token is signed with the site's
        # key, kept in the database).
        editor.server = b
        path = "/admin/posts/%d" % self.post_id()
        status, _, page, _ = editor.request("GET", path)
        csrf, count = form_of(page)
        editor.server = c
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title="Saved Across Nodes",
                      slug="why-deterrence-still-works", section="security", authors="jane-doe",
                      tags="Korea, Nuclear Weapons", **{"do": "save"})
        self.assertEqual(editor.request("POST", path, fields)[0], 303)
        # Signing out on one node signs out everywhere.
        editor.server = a
        token = editor.csrf("/admin/posts", "/admin/logout")
        cookies = dict(editor.cookies)
        self.assertEqual(editor.request("POST", "/admin/logout", {"csrf": token})[0], 303)
        editor.cookies = cookies
        editor.server = c
        self.assertEqual(editor.request("GET", "/admin/posts")[0], 303)

    def test_publishing_purges_the_page_from_varnish(self):
        editor = Browser(self.front)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        self.save_title(editor, "Before Varnish Kept It")
        self.assertIsNotNone(eventually(lambda: "Before Varnish Kept It" in title_of(self.varnish.get(ARTICLE)[2]), 10))
        # Kept: a second fetch is a hit (two transaction ids in X-Varnish).
        self.assertIsNotNone(eventually(lambda: len(self.varnish.get(ARTICLE)[1]["x-varnish"].split()) == 2, 10))
        self.save_title(editor, "After The Purge")
        took = eventually(lambda: "After The Purge" in title_of(self.varnish.get(ARTICLE)[2]), 10)
        self.assertIsNotNone(took, "Varnish kept the old page")

    def test_an_image_uploaded_through_one_node_is_served_through_another(self):
        from test_media import csrf_of, png, post_multipart
        a, _, c = self.nodes
        editor = Browser(a)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        csrf = csrf_of(editor.request("GET", "/admin/media")[2])
        picture = png(800, 400)
        status, _, _ = post_multipart(editor, "/admin/media", {"csrf": csrf, "alt": "A field", "caption": "",
                                                               "credit": ""},
                                      {"file": ("Across.png", picture, "image/png")})
        self.assertEqual(status, 303)
        page = editor.request("GET", "/admin/media")[2]
        url = re.search(r'value="(/uploads/media/\d{4}/\d{2}/[a-z0-9_-]+-across\.png)"', page).group(1)
        status, headers, body = c.get(url)
        self.assertEqual(status, 200)
        self.assertEqual((200, body), self.arrangement.s3.object(url[len("/uploads/"):]))  # from the bucket
        self.assertEqual(headers["content-type"], "image/png")
        self.assertEqual(self.front.get(url.replace(".png", "-480.webp"))[0], 200)

    def test_a_scheduled_post_is_published_exactly_once(self):
        with self.arrangement.database() as db:
            db.execute("UPDATE posts SET status = 'scheduled', published_at = ? WHERE slug = 'about'",
                       (int(time.time()) + 1,))
        # A scheduler round is 15 s; on every node the page comes back once it is published.
        for node in self.nodes:
            self.assertIsNotNone(eventually(lambda: node.get("/about/")[0] == 200, 40), node.name)
        time.sleep(1)
        logged = [node.name for node in self.nodes
                  if any("published 1 scheduled post(s)" in line for line in node.log)]
        self.assertEqual(len(logged), 1, logged)

    def test_a_newsletter_sent_by_three_nodes_arrives_once_per_reader(self):
        handler = self.arrangement.smtp_handler
        addresses = ["reader%04d@example.org" % i for i in range(1000)]
        with self.arrangement.database() as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)", [(a,) for a in addresses])
        before = len(handler.messages)
        done = self.arrangement.cli("newsletter", "send", "why-deterrence-still-works")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIsNotNone(eventually(lambda: len(handler.messages) - before >= len(addresses), 120))
        time.sleep(2)  # anything sent twice would arrive meanwhile
        received = [m["To"] for _, m in handler.messages[before:]]
        self.assertEqual(len(received), len(addresses))
        self.assertEqual(set(received), set(addresses))

    def test_a_post_published_through_one_node_is_found_by_search_on_the_others(self):
        a, b, c = self.nodes
        editor = Browser(a)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        status, _, page, _ = editor.request("GET", "/admin/posts/new")
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title="Quokkas and Deterrence",
                      body="The quokka doctrine, explained.", **{"do": "publish"})
        self.assertEqual(editor.request("POST", "/admin/posts", fields)[0], 303)
        for node in (b, c):
            took = eventually(lambda: b"/quokkas-and-deterrence/" in node.get("/search?q=quokka")[2], 10)
            self.assertIsNotNone(took, "search on node %s never found the new post" % node.name)

    def test_a_new_node_takes_the_search_index_snapshot_instead_of_building(self):
        # One node made a snapshot soon after it started (none existed and its index was complete).
        took = eventually(lambda: self.snapshot_manifest() is not None, 30)
        self.assertIsNotNone(took, "no node made a search index snapshot")
        manifest = self.snapshot_manifest()
        folder = re.search(r"^folder (private/search/[0-9a-f]{32}/)$", manifest, re.M).group(1)
        # Never served to readers, through a node or its caches.
        table = re.search(r"^file (\S+) ", manifest, re.M).group(1)
        self.assertEqual(self.front.get("/uploads/" + folder + table)[0], 404)
        # A new machine: the site's folder without an index.
        site = os.path.join(self.arrangement.work, "node-joining")
        shutil.copytree(self.arrangement.site(), site)
        shutil.rmtree(os.path.join(site, "search.xapian"), ignore_errors=True)
        joining = cluster.Node("D", site, self.arrangement.env).start()
        try:
            # It finds what the others find (the copy, and what was written since from the log).
            def same_results():
                wanted = self.nodes[0].get("/search.json?q=korea")[2]
                return b'"url"' in wanted and joining.get("/search.json?q=korea")[2] == wanted
            found = eventually(same_results, 30)
            self.assertIsNotNone(found, "the new node never found what the others do: %s" % "".join(joining.log))
        finally:
            joining.stop()
        log = "".join(joining.log)
        self.assertIn("took the latest index snapshot", log)
        self.assertNotIn("search indexing failed", log)

    def snapshot_manifest(self):
        with self.arrangement.database() as db:
            row = db.execute("SELECT manifest FROM search_snapshots").fetchone()
        return row[0] if row else None

    def comment_through(self, front, body):
        """Posts a comment through `front`; whether the server acknowledged it (a 303)."""
        status, _, token = front.get(ARTICLE + "comments/token")
        if status != 200:
            return False
        fields = {"name": "Reader", "email": "reader@example.org", "website": "", "body": body, "parent": "0",
                  "token": json.loads(token)["token"]}
        status, _, _ = front.request("POST", ARTICLE + "comments", body=urllib.parse.urlencode(fields),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        return status == 303

    def test_a_node_killed_under_load_loses_no_acknowledged_write(self):
        results = []  # (time, ok)
        acknowledged = []
        stop = threading.Event()

        def readers():
            pages = [ARTICLE, "/", "/section/security/", "/feed/", "/about/"]
            i = 0
            while not stop.is_set():
                try:
                    ok = cluster.get(self.front.port, pages[i % len(pages)])[0] == 200
                except OSError:
                    ok = False
                results.append((time.time(), ok))
                i += 1

        def writers():
            i = 0
            while not stop.is_set():
                body = "Acknowledged comment number %d, kept whatever happens." % i
                try:
                    ok = self.comment_through(self.front, body)
                except OSError:
                    ok = False
                results.append((time.time(), ok))
                if ok:
                    acknowledged.append(body)
                i += 1

        threads = [threading.Thread(target=readers), threading.Thread(target=readers),
                   threading.Thread(target=writers)]
        for thread in threads:
            thread.start()
        victim = self.nodes[1]
        try:
            time.sleep(2)
            killed_at = time.time()
            victim.kill()
            time.sleep(4)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            victim.start()
            self.arrangement.wait_until_all_up()
        # haproxy checks every 200 ms and needs two failures: it has noticed after a second.
        after = [ok for at, ok in results if at > killed_at + 1.0]
        self.assertGreater(len(after), 100)
        errors = after.count(False)
        self.assertLess(errors / len(after), 0.001, "%d of %d requests failed after haproxy noticed" %
                        (errors, len(after)))
        self.assertGreater(len(acknowledged), 10)
        with self.arrangement.database() as db:
            kept = {row[0] for row in db.execute("SELECT body_markdown FROM comments").fetchall()}
        lost = [body for body in acknowledged if body not in kept]
        self.assertEqual(lost, [])

    def test_restarting_postgresql_makes_nodes_not_ready_then_ready_again(self):
        self.arrangement.postgres("pause")
        try:
            for node in self.nodes:
                self.assertIsNotNone(eventually(lambda: node.get("/readyz")[0] == 503, 10), node.name)
        finally:
            self.arrangement.postgres("resume")
        for node in self.nodes:
            self.assertIsNotNone(eventually(lambda: node.get("/readyz")[0] == 200, 30), node.name)
        self.arrangement.wait_until_all_up()
        self.assertEqual(self.front.get(ARTICLE)[0], 200)
        # Writes work again on every node, with no restart.
        for node in self.nodes:
            self.assertTrue(self.comment_through(node, "Back after the outage on %s." % node.name))


if __name__ == "__main__":
    unittest.main()
