"""Images in the body (issue 15, items 2 and 3): the editor's upload (POST /admin/media.json) and
the figure a media library image alone in its paragraph becomes on the article."""

import html
import http.client
import json
import re
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of
from test_media import multipart, png, post_multipart


def post_raw(browser, path, body, kind):
    connection = http.client.HTTPConnection("127.0.0.1", browser.server.port, timeout=120)
    headers = {"Content-Type": kind, "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    result = (response.status, response.headers, response.read().decode())
    connection.close()
    return result


class BodyImages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role in [("editor@example.org", "editor"), ("author@example.org", "author"),
                            ("writer@example.org", "contributor")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize() + " Person")
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def upload_token(self, browser):
        page = browser.request("GET", "/admin/posts/new")[2]
        found = re.search(r'data-upload-token="([^"]+)"', page)
        return html.unescape(found.group(1)) if found else None

    def upload(self, browser, fields, name="photo.png", data=None, kind="image/png"):
        status, headers, body = post_multipart(browser, "/admin/media.json", fields,
                                               {"file": (name, data if data is not None else png(900, 450), kind)})
        return status, headers, json.loads(body) if body.startswith("{") else body

    def test_an_author_uploads_with_alt_caption_and_credit(self):
        author = self.signed_in("author@example.org")
        token = self.upload_token(author)
        status, headers, item = self.upload(author, {"csrf": token, "alt": "A blue field", "caption": "The field",
                                                     "credit": "Photo: Desk"})
        self.assertEqual(status, 201, item)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertRegex(item["url"], r"^/uploads/media/\d{4}/\d{2}/[a-z0-9_-]+-photo\.png$")
        self.assertEqual((item["alt"], item["caption"], item["credit"], item["width"], item["height"]),
                         ("A blue field", "The field", "Photo: Desk", 900, 450))
        self.assertEqual(self.server.get(item["url"])[0], 200)
        # Decorative: no alt text needed, none stored.
        status, _, item = self.upload(author, {"csrf": token, "alt": "", "decorative": "1"})
        self.assertEqual(status, 201, item)
        self.assertEqual(item["alt"], "")

    def test_long_text_is_cut_between_characters(self):
        # Alt text, caption, credit and file name past their lengths (500, 1000, 300 and 200
        # bytes) in letters of two and three bytes, and bytes that are not UTF-8: stored whole
        # characters only, as UTF-8 (PostgreSQL refuses anything else; SQLite readers fail on it).
        author = self.signed_in("author@example.org")
        token = self.upload_token(author)
        fields = {"csrf": token, "alt": "a" + "é" * 300, "caption": "x" + "日" * 400, "credit": "c" + "é" * 200}
        status, _, item = self.upload(author, fields, "y" + "é" * 150 + ".png")
        self.assertEqual(status, 201, item)
        self.assertEqual((item["alt"], item["caption"], item["credit"]), ("a" + "é" * 249, "x" + "日" * 333, "c" + "é" * 149))
        with self.server.database() as db:
            stored = db.execute("SELECT alt, caption, credit, original_name FROM media WHERE url = ?",
                                (item["url"],)).fetchone()
        self.assertEqual(stored[:3], (item["alt"], item["caption"], item["credit"]))
        self.assertEqual(stored[3], "y" + "é" * 99)
        # Bytes that are not UTF-8: in a field, refused; in the file's name, replaced.
        body, kind = multipart({"csrf": token, "alt": "ALTBAD"}, {"file": ("NAMEBAD.png", png(80, 40), "image/png")})
        self.assertEqual(post_raw(author, "/admin/media.json", body.replace(b"ALTBAD", b"b\xffd", 1), kind)[0], 400)
        status, _, item = post_raw(author, "/admin/media.json", body.replace(b"NAMEBAD", b"n\xffm", 1), kind)
        self.assertEqual(status, 201, item)
        with self.server.database() as db:
            stored = db.execute("SELECT original_name FROM media WHERE url = ?", (json.loads(item)["url"],)).fetchone()
        self.assertEqual(stored[0], "n\ufffdm.png")

    def test_refusals(self):
        author = self.signed_in("author@example.org")
        token = self.upload_token(author)
        # Without the form's token (or with another form's): refused, nothing stored.
        self.assertEqual(self.upload(author, {"alt": "x"})[0], 403)
        other = harness.form_token(author.request("GET", "/admin/posts/new")[2])
        self.assertEqual(self.upload(author, {"csrf": other, "alt": "x"})[0], 403)
        # Alt text is required unless the image is decorative; a file that is not an image is refused.
        status, _, answer = self.upload(author, {"csrf": token, "alt": " "})
        self.assertEqual(status, 422)
        self.assertIn("error", answer)
        status, _, answer = self.upload(author, {"csrf": token, "alt": "x"}, "notes.png", b"#!/bin/sh\necho hi\n")
        self.assertEqual(status, 422)
        self.assertIn("error", answer)
        status, _, answer = self.upload(author, {"csrf": token, "alt": "x"}, "evil.svg",
                                        b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml")
        self.assertEqual(status, 422)
        # A contributor may not upload (the library's rule): no token in the page, and refused.
        writer = self.signed_in("writer@example.org")
        self.assertIsNone(self.upload_token(writer))
        writer_token = harness.form_token(writer.request("GET", "/admin/posts/new")[2])
        self.assertEqual(self.upload(writer, {"csrf": writer_token, "alt": "x"})[0], 403)
        # Signed out: 401 in JSON, not a sign-in page.
        status, _, answer = self.upload(Browser(self.server), {"csrf": token, "alt": "x"})
        self.assertEqual(status, 401)
        # Larger than the upload limit: refused before it is read.
        reply = self.server.raw(b"POST /admin/media.json HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                                b"Content-Length: 104857600\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:40])

    def test_a_figure_renders_with_srcset_caption_and_credit(self):
        editor = self.signed_in("editor@example.org")
        token = self.upload_token(editor)
        status, _, item = self.upload(editor, {"csrf": token, "alt": "Cranes", "caption": "", "credit": "Library credit"},
                                      "port.png", png(1200, 600))
        self.assertEqual(status, 201, item)
        url = item["url"]
        body = (f'Before.\n\n![Cranes at "dusk"]({url}#wide "The port <at> dusk | Photo: Ada/AP")\n\n'
                f'Inline ![small]({url}) image.\n\n![Elsewhere](https://example.org/x.png "Remote")\n')
        page = editor.request("GET", "/admin/posts/new")[2]
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title="A Figure Piece", body=body, **{"do": "publish"})
        self.assertEqual(editor.request("POST", "/admin/posts", fields)[0], 303)
        article = self.server.get("/a-figure-piece/")[2].decode()
        figure = re.search(r'<figure class="alignwide">.*?</figure>', article, re.S).group(0)
        stem = url.rsplit(".", 1)[0]
        self.assertIn(f'<source type="image/webp" srcset="{stem}-480.webp 480w, {stem}-960.webp 960w"', figure)
        self.assertIn(f'<img src="{url}" srcset="{stem}-480.png 480w, {stem}-960.png 960w, {url} 1200w"', figure)
        self.assertIn('width="1200" height="600"', figure)
        self.assertIn('alt="Cranes at “dusk”"', figure)
        self.assertIn('loading="lazy"', figure)
        self.assertIn('<figcaption><span class="caption">The port &lt;at&gt; dusk</span> '
                      '<span class="credit">Photo: Ada/AP</span></figcaption>', figure)
        # The credit in the text is the one shown, not the library's.
        self.assertNotIn("Library credit", article)
        # Not alone in its paragraph, or not from the library: an image as before.
        self.assertIn(f'Inline <img src="{url}" alt="small"', article)
        self.assertIn('<img src="https://example.org/x.png" alt="Elsewhere" title="Remote"', article)
        # In the feeds, every address of the figure's srcsets is absolute, as its src is: a reader
        # that picks from them has no site to resolve "/uploads/…" against.
        for path in ("/feed/", "/feed/atom/", "/feed.json"):
            feed = html.unescape(self.server.get(path)[2].decode()).replace("\\/", "/")
            self.assertIn(f"{stem}-480.webp 480w", feed, path)
            self.assertNotRegex(feed, r'srcset="/|, /uploads/', path)


if __name__ == "__main__":
    unittest.main()
