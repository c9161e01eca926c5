"""The editorial desk's posts: writing, the workflow and its permissions, and what readers see."""

import html
import re
import time
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user

FIELDS = {"title": "A New Argument About Alliances", "dek": "Short and sharp.",
          "body": "First paragraph.\n\n> A quote.", "slug": "", "kind": "article",
          "section": "security", "authors": "jane-doe", "tags": "Alliances, Korea",
          "image_url": "", "image_alt": "", "image_caption": "", "image_credit": "",
          "opinion": "1", "comments_open": "1", "disclaimer_mode": "default", "disclaimer": "", "date": ""}


def form_of(page):
    """The editor's csrf and edit_count as they are in the page."""
    csrf = harness.form_token(page)
    count = re.search(r'name="edit_count" value="(\d+)"', page).group(1)
    return csrf, count


class Workflow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role in [("editor@example.org", "editor"), ("writer@example.org", "contributor"),
                            ("author@example.org", "author")]:
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

    def create(self, browser, action="save", **changes):
        status, _, page, _ = browser.request("GET", "/admin/posts/new")
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, **{"do": action})
        fields.update(changes)
        return browser.request("POST", "/admin/posts", fields)

    def act(self, browser, post_path, action, **changes):
        status, _, page, _ = browser.request("GET", post_path)
        self.assertEqual(status, 200, page[:300])
        csrf, count = form_of(page)
        current = {name: html.unescape(value) for name, value in
                   re.findall(r'<input id="[^"]+" name="([a-z_]+)" type="(?:text|datetime-local)" value="([^"]*)"', page)}
        fields = dict(FIELDS, **current, csrf=csrf, edit_count=count, **{"do": action})
        fields["title"] = html.unescape(re.search(r'name="title" type="text" value="([^"]*)"', page).group(1))
        fields.update(changes)
        return browser.request("POST", post_path, fields)

    def test_editor_writes_publishes_renames_and_trashes(self):
        editor = self.signed_in("editor@example.org")
        status, headers, _, _ = self.create(editor, title="Deterrence After the Summit")
        self.assertEqual(status, 303)
        post = headers["Location"].split("?")[0]
        self.assertRegex(post, r"^/admin/posts/\d+$")
        status, _, page, _ = editor.request("GET", post + "?saved=save")
        self.assertIn("Saved.", page)
        self.assertIn("Draft", page)
        self.assertEqual(self.server.get("/deterrence-after-the-summit/")[0], 404)
        self.assertIn("Deterrence After the Summit", editor.request("GET", "/admin/posts?status=draft")[2])

        self.assertEqual(self.act(editor, post, "publish")[0], 303)
        status, _, body = self.server.get("/deterrence-after-the-summit/")
        self.assertEqual(status, 200)
        self.assertIn(b"First paragraph.", body)
        self.assertIn(b"Deterrence After the Summit", self.server.get("/")[2])

        self.assertEqual(self.act(editor, post, "save", slug="summit-deterrence")[0], 303)
        status, headers, _ = self.server.get("/deterrence-after-the-summit/")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/summit-deterrence/")
        self.assertEqual(self.server.get("/summit-deterrence/")[0], 200)

        self.assertEqual(self.act(editor, post, "trash")[0], 303)
        self.assertEqual(self.server.get("/summit-deterrence/")[0], 410)
        self.assertIn("Deterrence After the Summit", editor.request("GET", "/admin/posts?status=trash")[2])
        page = editor.request("GET", "/admin/posts?status=trash")[2]
        csrf = html.unescape(re.search(r'action="/admin/posts/empty-trash".*?name="csrf" value="([^"]+)"', page, re.S).group(1))
        status, headers, _, _ = editor.request("POST", "/admin/posts/empty-trash", {"csrf": csrf})
        self.assertEqual(status, 303)
        self.assertEqual(self.server.get("/summit-deterrence/")[0], 410)
        self.assertEqual(editor.request("GET", post)[0], 404)

    def test_every_save_keeps_a_revision(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, title="Revisions Matter")[1]["Location"].split("?")[0]
        self.act(editor, post, "save", body="Second version.")
        self.act(editor, post, "save", body="Third version.")
        page = editor.request("GET", post)[2]
        self.assertEqual(page.count("by Editor Person: Revisions Matter"), 3)

    def test_revisions_can_be_compared_and_restored(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, title="Version Control", body="Original line.\nShared line.")[1]["Location"].split("?")[0]
        self.act(editor, post, "save", body="Rewritten line.\nShared line.")
        page = editor.request("GET", post)[2]
        oldest = re.findall(r'<a href="(/admin/posts/\d+/revisions/\d+)">', page)[-1]
        status, _, diff, _ = editor.request("GET", oldest)
        self.assertEqual(status, 200)
        # The changed line's words are marked within it (test_revisions has the details).
        self.assertIn('<span class="diff-removed">\u2212 <del><span class="visually-hidden">[removed: </span>Original', diff)
        self.assertIn('<span class="diff-added">+ <ins><span class="visually-hidden">[added: </span>Rewritten', diff)
        self.assertIn('<span class="diff-same">  Shared line.</span>', diff)
        count = re.search(r'name="edit_count" value="(\d+)"', diff).group(1)
        # Restoring asks first (test_revisions); the confirmed form restores.
        confirm = editor.request("GET", oldest + "/restore?edit_count=" + count)[2]
        csrf = harness.form_token(confirm, re.escape(oldest + "/restore"))
        status, _, _, _ = editor.request("POST", oldest + "/restore", {"csrf": csrf, "edit_count": count, "confirmed": "1"})
        self.assertEqual(status, 303)
        self.assertIn("Original line.", editor.request("GET", post)[2])
        # A stale restore (the post changed since) is refused.
        status, _, _, _ = editor.request("POST", oldest + "/restore", {"csrf": csrf, "edit_count": count, "confirmed": "1"})
        self.assertEqual(status, 409)

    def test_redirect_manager_adds_and_removes_redirects(self):
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/redirects")[2]
        csrf = harness.form_token(page)
        status, _, _, _ = editor.request("POST", "/admin/redirects", {
            "csrf": csrf, "do": "add", "from": "/2019/05/old-piece/", "to": "/why-deterrence-still-works/", "status": "301"})
        self.assertEqual(status, 303)
        status, headers, _ = self.server.get("/2019/05/old-piece/")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/why-deterrence-still-works/")
        editor.request("POST", "/admin/redirects", {"csrf": csrf, "do": "add", "from": "/retracted/", "to": "", "status": "410"})
        self.assertEqual(self.server.get("/retracted/")[0], 410)
        status, _, page, _ = editor.request("POST", "/admin/redirects", {"csrf": csrf, "do": "add", "from": "not a path", "to": "/x/", "status": "301"})
        self.assertEqual(status, 422)
        editor.request("POST", "/admin/redirects", {"csrf": csrf, "do": "remove", "from": "/2019/05/old-piece/"})
        self.assertEqual(self.server.get("/2019/05/old-piece/")[0], 404)
        writer = self.signed_in("writer@example.org")
        self.assertEqual(writer.request("GET", "/admin/redirects")[0], 403)

    def test_audit_log_shows_editorial_actions_to_administrators(self):
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        editor = self.signed_in("editor@example.org")
        self.create(editor, title="Audited Piece")
        self.assertEqual(editor.request("GET", "/admin/audit")[0], 403)
        admin = self.signed_in("admin@example.org")
        status, _, page, _ = admin.request("GET", "/admin/audit")
        self.assertEqual(status, 200)
        self.assertRegex(page, r"<td>Editor Person</td><td>create</td><td><a href=\"/admin/posts/\d+\">#\d+</a></td><td>Audited Piece</td>")
        self.assertIn("<td>sign-in</td>", page)

    def test_corrections_show_on_the_article_and_in_its_structured_data(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, "publish", title="Corrected Piece")[1]["Location"].split("?")[0]
        page = editor.request("GET", post)[2]
        action = re.search(r'<form method="post" action="(/admin/posts/\d+/notes)">', page).group(1)
        csrf = html.unescape(re.search(r'action="/admin/posts/\d+/notes">\s*<input type="hidden" name="csrf" value="([^"]+)"', page).group(1))
        self.assertEqual(editor.request("POST", action, {"csrf": csrf, "kind": "correction", "text": "An earlier version misstated the year."})[0], 303)
        self.assertEqual(editor.request("POST", action, {"csrf": csrf, "kind": "update", "text": "The talks resumed on Monday."})[0], 303)
        body = self.server.get("/corrected-piece/")[2].decode()
        first, second = body.find("An earlier version misstated"), body.find("The talks resumed")
        self.assertTrue(0 < first < second)
        self.assertIn("<strong>Correction</strong>", body)
        import json
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', body).group(1))
        self.assertEqual(ld["correction"][0]["@type"], "CorrectionComment")
        self.assertEqual(ld["correction"][0]["text"], "An earlier version misstated the year.")
        self.assertEqual(len(ld["correction"]), 1)
        self.assertGreaterEqual(ld["dateModified"], ld["datePublished"])

    def test_a_signed_preview_link_shows_a_draft_to_an_outsider(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, title="Draft For Review", body="Unpublished thoughts.")[1]["Location"].split("?")[0]
        page = editor.request("GET", post)[2]
        link = html.unescape(re.search(r'id="preview-link" type="text" readonly value="([^"]+)"', page).group(1))
        path = link[link.index("/preview/"):]
        status, headers, body = self.server.get(path)
        self.assertEqual(status, 200)
        self.assertIn(b"Unpublished thoughts.", body)
        self.assertIn(b"Preview: this article is not published", body)
        self.assertEqual(headers["x-robots-tag"], "noindex")
        self.assertIn("no-store", headers["cache-control"])
        self.assertEqual(self.server.get("/draft-for-review/")[0], 404)
        parts = path.split("/")  # ['', 'preview', id, expires, signature]
        forged = "/".join(parts[:4] + [parts[4][:-2] + ("AA" if not parts[4].endswith("AA") else "BB")])
        self.assertEqual(self.server.get(forged)[0], 404)
        longer = "/".join(parts[:3] + [str(int(parts[3]) + 86400)] + parts[4:])
        self.assertEqual(self.server.get(longer)[0], 404)
        expired = "/".join(parts[:3] + ["1000"] + parts[4:])
        self.assertEqual(self.server.get(expired)[0], 404)

    def test_contributor_can_submit_but_not_publish(self):
        writer = self.signed_in("writer@example.org")
        status, headers, _, _ = self.create(writer, title="A Contributor's Draft")
        post = headers["Location"].split("?")[0]
        page = writer.request("GET", post)[2]
        self.assertNotIn('value="publish"', page)
        self.assertIn('value="submit"', page)
        status, _, page, _ = self.act(writer, post, "publish")
        self.assertEqual(status, 403)
        self.assertIn("does not allow publishing", page)
        self.assertIn("A Contributor&#39;s Draft", page.replace("&apos;", "&#39;"))  # text kept
        self.assertEqual(self.server.get("/a-contributors-draft/")[0], 404)
        self.assertEqual(self.act(writer, post, "submit")[0], 303)
        editor = self.signed_in("editor@example.org")
        self.assertIn("A Contributor", editor.request("GET", "/admin/")[2])
        self.assertEqual(self.act(editor, post, "publish")[0], 303)
        self.assertEqual(self.server.get("/a-contributors-draft/")[0], 200)
        # Once published, the contributor can no longer change it.
        self.assertEqual(writer.request("GET", post)[0], 403)

    def test_authors_publish_their_own_but_not_others(self):
        editor = self.signed_in("editor@example.org")
        others = self.create(editor, title="The Editor's Own")[1]["Location"].split("?")[0]
        author = self.signed_in("author@example.org")
        self.assertEqual(author.request("GET", others)[0], 403)
        own = self.create(author, title="An Author Publishes")[1]["Location"].split("?")[0]
        self.assertEqual(self.act(author, own, "publish")[0], 303)
        self.assertEqual(self.server.get("/an-author-publishes/")[0], 200)

    def test_a_second_editor_is_told_the_post_changed_meanwhile(self):
        first, second = self.signed_in("editor@example.org"), self.signed_in("editor@example.org")
        post = self.create(first, title="Contested Text")[1]["Location"].split("?")[0]
        page_first, page_second = first.request("GET", post)[2], second.request("GET", post)[2]
        csrf1, count1 = form_of(page_first)
        csrf2, count2 = form_of(page_second)
        status, _, _, _ = first.request("POST", post, dict(FIELDS, title="Contested Text", body="Mine.", csrf=csrf1, edit_count=count1, **{"do": "save"}))
        self.assertEqual(status, 303)
        status, _, page, _ = second.request("POST", post, dict(FIELDS, title="Contested Text", body="Theirs, not lost.", csrf=csrf2, edit_count=count2, **{"do": "save"}))
        self.assertEqual(status, 409)
        self.assertIn("changed by someone else", page)
        self.assertIn("Theirs, not lost.", page)

    def test_a_library_image_brings_its_alt_caption_and_credit(self):
        from test_media import png, post_multipart
        editor = self.signed_in("editor@example.org")
        csrf = harness.form_token(editor.request("GET", "/admin/media")[2])
        post_multipart(editor, "/admin/media", {"csrf": csrf, "alt": "Library alt", "caption": "Library caption", "credit": "Library credit"},
                       {"file": ("lib.png", png(600, 300), "image/png")})
        url = re.search(r'readonly value="(/uploads/media/[^"]+\.png)"', editor.request("GET", "/admin/media")[2]).group(1)
        status, _, _, _ = self.create(editor, "publish", title="Library Picture", image_url=url)
        self.assertEqual(status, 303)
        body = self.server.get("/library-picture/")[2].decode()
        self.assertIn('alt="Library alt"', body)
        self.assertIn("Library caption", body)
        self.assertIn("Library credit", body)

    def test_bad_input_is_explained_and_the_text_kept(self):
        editor = self.signed_in("editor@example.org")
        status, _, page, _ = self.create(editor, title="", body="Precious words.")
        self.assertEqual(status, 422)
        self.assertIn("headline is required", page)
        self.assertIn("Precious words.", page)
        status, _, page, _ = self.create(editor, title="Fine", section="nowhere")
        self.assertEqual(status, 422)
        self.assertIn("no section", page)
        status, _, page, _ = self.create(editor, title="Fine", slug="admin")
        self.assertEqual(status, 422)
        status, _, page, _ = self.create(editor, title="Fine", date="next week")
        self.assertEqual(status, 422)
        status, _, page, _ = self.create(editor, title="Why Deterrence Still Works")
        self.assertEqual(status, 422)
        self.assertIn("already used", page)
        status, _, page, _ = self.create(editor, title="Pictured", image_url="/uploads/x.png")
        self.assertEqual(status, 422)
        self.assertIn("alt text", page)
        # Bytes that are not UTF-8 are refused before anything is stored.
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        connection.request("POST", "/admin/posts", body="title=Bad%FFbyte&body=x", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in editor.cookies.items())})
        self.assertEqual(connection.getresponse().status, 400)
        connection.close()
        # An expired form is refused without saving anything, and the text comes back.
        status, _, page, _ = editor.request("POST", "/admin/posts", dict(FIELDS, csrf="stale", edit_count="0", body="Kept words."))
        self.assertEqual(status, 403)
        self.assertIn("nothing was saved", page)
        self.assertIn("Kept words.", page)
        # Signed out while writing: nothing saved, the text shown back.
        signed_out = Browser(self.server)
        status, _, page, _ = signed_out.request("POST", "/admin/posts", dict(FIELDS, csrf="x", edit_count="0", title="Late Night Draft", body="Words at risk."))
        self.assertEqual(status, 401)
        self.assertIn("Words at risk.", page)
        self.assertNotIn("Late Night Draft", editor.request("GET", "/admin/posts")[2])

    def test_preview_shows_the_article_as_readers_will_without_saving(self):
        editor = self.signed_in("editor@example.org")
        # The Preview button (no script; it opens a tab of its own): the whole article page.
        status, headers, page, _ = self.create(editor, "preview", title="Previewed",
                                               body="Some *emphasis*[^1]\n\n[^1]: A note.",
                                               tags="Quantum Previews")
        self.assertEqual(status, 200)
        self.assertIn("<em>emphasis</em>", page)
        self.assertIn("footnotes", page)
        self.assertRegex(page, r"<h1[^>]*>Previewed</h1>")
        self.assertIn("Jane Doe", page)  # the byline, from the form's authors
        self.assertIn("Quantum Previews", page)  # a tag not yet known: shown, not created
        self.assertIn("Preview of unsaved changes", page)
        policy = headers["Content-Security-Policy"]
        for directive in ("sandbox", "script-src", "form-action 'none'", "base-uri 'none'"):
            if directive == "script-src":
                self.assertNotIn("script-src", policy)  # default-src 'none' covers scripts
            else:
                self.assertIn(directive, policy)
        self.assertIn("no-store", headers["Cache-Control"])
        self.assertNotIn("Previewed", editor.request("GET", "/admin/posts")[2])
        self.assertNotIn("Quantum Previews", editor.request("GET", "/admin/sections")[2])
        # A headline is not needed to see the rest; a field a save would refuse is named.
        status, _, page, _ = self.create(editor, "preview", title="", body="Words.")
        self.assertEqual(status, 200)
        self.assertIn("Untitled", page)
        status, _, page, _ = self.create(editor, "preview", section="no-such-section")
        self.assertEqual(status, 422)
        self.assertIn('role="alert"', page)
        self.assertNotIn("A New Argument About Alliances", editor.request("GET", "/admin/posts")[2])

    def test_scheduled_posts_publish_on_time_even_across_a_restart(self):
        editor = self.signed_in("editor@example.org")
        # The publication's zone is America/New_York; the form's date is local there.
        import datetime
        import zoneinfo
        when = datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")) + datetime.timedelta(seconds=4)
        soon = when.strftime("%Y-%m-%dT%H:%M:%S")
        status, headers, _, _ = self.create(editor, "schedule", title="Scheduled Analysis", date=soon)
        self.assertEqual(status, 303)
        self.assertEqual(self.server.get("/scheduled-analysis/")[0], 404)
        self.assertIn("Scheduled Analysis", editor.request("GET", "/admin/posts?status=scheduled")[2])
        self.server.stop()
        time.sleep(max(0, when.timestamp() - time.time()) + 1)
        self.server.start()
        deadline = time.time() + 10
        while time.time() < deadline and self.server.get("/scheduled-analysis/")[0] != 200:
            time.sleep(0.2)
        self.assertEqual(self.server.get("/scheduled-analysis/")[0], 200)


if __name__ == "__main__":
    unittest.main()
