"""Issue 13 (items 4, 5 and the desk half of 10): the editor's preview cannot reach a desk form,
form tokens are bound to their action, wrong two-factor codes are throttled, and a save that fails
for want of disk or because the database is busy gives the writer's text back."""

import html
import html.parser
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user
from test_two_factor import totp

HOSTILE = ('Please approve.\n\n<input type=hidden name=do value=role>'
           '<input type=hidden name=role value=administrator>'
           '<button formaction="/admin/users/{id}" formmethod=post>Approve and publish</button>\n')

DRAFT = {"title": "A Harmless Draft", "dek": "", "slug": "", "kind": "article", "section": "",
         "authors": "", "tags": "", "image_url": "", "image_alt": "", "image_caption": "",
         "image_credit": "", "disclaimer_mode": "default", "disclaimer": "", "date": ""}


class Elements(html.parser.HTMLParser):
    """Every element of a page with the forms it sits in (HTML's form nesting, simplified)."""

    def __init__(self):
        super().__init__()
        self.open_forms = 0
        self.elements = []  # (tag, attributes, inside a form)

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.open_forms += 1
        self.elements.append((tag, dict(attrs), self.open_forms > 0))

    def handle_endtag(self, tag):
        if tag == "form" and self.open_forms:
            self.open_forms -= 1


def elements_of(page):
    parser = Elements()
    parser.feed(page)
    return parser.elements


def editor_token(page):
    return harness.form_token(page, r"/admin/posts(?:/\d+)?")


def edit_count(page):
    return re.search(r'name="edit_count" value="(\d+)"', page).group(1)


def role_of(server, email):
    with server.database() as db:
        return db.execute("SELECT role FROM users WHERE email = ?", (email,)).fetchone()[0]


def user_id(server, email):
    with server.database() as db:
        return db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]


class PreviewAndTokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role in [("owner@example.org", "owner"), ("writer@example.org", "contributor")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize())
            assert done.returncode == 0, done.stderr
        cls.server.start()
        cls.writer_id = user_id(cls.server, "writer@example.org")
        writer = Browser(cls.server)
        assert writer.sign_in("writer@example.org", PASSWORD)[0] == 303
        page = writer.request("GET", "/admin/posts/new")[2]
        body = HOSTILE.format(id=cls.writer_id)
        status, headers, _, _ = writer.request("POST", "/admin/posts", dict(
            DRAFT, body=body, csrf=editor_token(page), edit_count=edit_count(page), **{"do": "save"}))
        assert status == 303, status
        cls.draft = headers["Location"].split("?")[0]
        cls.body = body

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def owner(self):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("owner@example.org", PASSWORD)[0], 303)
        return browser

    def assert_preview_is_inert(self, page):
        elements = elements_of(page)
        # The draft's markup is nowhere in the page as elements, least of all inside a form.
        self.assertFalse([attrs for tag, attrs, _ in elements if tag == "button" and "formaction" in attrs])
        self.assertFalse([attrs for tag, attrs, _ in elements
                          if tag == "input" and attrs.get("name") == "role"])
        frames = [(attrs, in_form) for tag, attrs, in_form in elements
                  if tag == "iframe" and "editor-preview-frame" in attrs.get("class", "")]
        self.assertEqual(len(frames), 1)
        attrs, in_form = frames[0]
        self.assertFalse(in_form, "the preview frame must not be inside a form")
        self.assertIn("sandbox", attrs)
        for permission in ("allow-forms", "allow-scripts", "allow-top-navigation", "allow-same-origin",
                           "allow-popups"):
            self.assertNotIn(permission, attrs["sandbox"])
        return attrs

    def test_the_owner_previewing_a_hostile_draft_gets_no_form_from_it(self):
        owner = self.owner()
        status, _, page, _ = owner.request("GET", self.draft)
        self.assertEqual(status, 200)
        self.assert_preview_is_inert(page)
        # The preview button (no script; it opens a tab of its own): the article page, inert
        # under its own policy.
        status, headers, document, _ = owner.request("POST", self.draft, dict(
            DRAFT, body=self.body, csrf=editor_token(page), edit_count=edit_count(page),
            **{"do": "preview"}))
        self.assertEqual(status, 200)
        policy = headers["Content-Security-Policy"]
        for directive in ("sandbox", "default-src 'none'", "form-action 'none'", "base-uri 'none'"):
            self.assertIn(directive, policy)
        # The allowlist filter removes the controls; the policy would keep them inert anyway.
        self.assertNotIn('formaction="/admin/users/%d"' % self.writer_id, document)
        self.assertIn("Approve and publish", document)
        # The live preview's answer is a document of its own, inert even when opened directly.
        token = editor_token(page)
        frame_token = html.unescape(re.search(r'data-token="([^"]+)"', page).group(1))
        status, headers, preview, _ = owner.request("POST", "/admin/preview",
                                                    {"csrf": frame_token, "body": self.body})
        self.assertEqual(status, 200)
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        self.assertIn("form-action 'none'", headers["Content-Security-Policy"])
        self.assertTrue(preview.lstrip().lower().startswith("<!doctype html>"))
        # The editor's token does not open the preview, and the frame's does not save the post.
        self.assertEqual(owner.request("POST", "/admin/preview", {"csrf": token, "body": "x"})[0], 403)
        self.assertEqual(role_of(self.server, "writer@example.org"), "contributor")

    def test_a_token_from_one_form_does_not_authorise_another_action(self):
        owner = self.owner()
        page = owner.request("GET", self.draft)[2]
        stolen = editor_token(page)
        status, _, _, _ = owner.request("POST", "/admin/users/%d" % self.writer_id,
                                        {"csrf": stolen, "do": "role", "role": "administrator"})
        self.assertEqual(status, 403)
        self.assertEqual(role_of(self.server, "writer@example.org"), "contributor")
        # The page's own token for that form still works.
        users = owner.request("GET", "/admin/users")[2]
        own = harness.form_token(users, "/admin/users/%d" % self.writer_id)
        status, _, _, _ = owner.request("POST", "/admin/users/%d" % self.writer_id,
                                        {"csrf": own, "do": "role", "role": "author"})
        self.assertEqual(status, 303)
        self.assertEqual(role_of(self.server, "writer@example.org"), "author")
        owner.request("POST", "/admin/users/%d" % self.writer_id,
                      {"csrf": own, "do": "role", "role": "contributor"})

    def test_the_signed_preview_link_puts_the_draft_in_no_form_and_carries_no_desk_token(self):
        owner = self.owner()
        page = owner.request("GET", self.draft)[2]
        link = re.search(r'id="preview-link" type="text" readonly value="[a-z]+://[^/"]+(/preview/[^"]+)"', page).group(1)
        status, _, body = self.server.get(html.unescape(link))
        self.assertEqual(status, 200)
        body = body.decode()
        self.assertIn("Please approve.", body)
        # Whatever the body holds is not inside any of the page's forms, and the page holds no
        # desk token that a control in it could send.
        inside = [attrs for tag, attrs, in_form in elements_of(body)
                  if in_form and (tag == "button" and "formaction" in attrs or attrs.get("name") == "role")]
        self.assertEqual(inside, [])
        self.assertNotIn('name="csrf"', body)

    def test_staff_html_is_never_shown_raw_in_a_desk_page(self):
        # Revisions, the review queue and comment moderation escape what staff and readers wrote;
        # only the layout's content and the QR code are unescaped (the preview is the public
        # article template, in a sandboxed frame).
        folder = os.path.join(harness.SOURCE, "themes/default/templates/admin")
        raw = set()
        for name in os.listdir(folder):
            with open(os.path.join(folder, name)) as template:
                raw |= {(name, field) for field in re.findall(r"\{\{\{\s*([\w.]+)\s*\}\}\}", template.read())}
        self.assertEqual(raw, {("layout.mustache", "content"), ("two_factor.mustache", "qr_svg")})


class PreviewLimit(unittest.TestCase):
    """The editor's live preview renders a whole article per request: each account has a limit
    a minute ([desk] previews_per_minute, 60; here 5 from the environment), past which it gets
    429 with Retry-After; another account is not held back."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_PREVIEWS_PER_MINUTE": "5"})
        for email, role in [("ed@example.org", "editor"), ("wren@example.org", "contributor")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize())
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def frame_token(self, browser):
        page = browser.request("GET", "/admin/posts/new")[2]
        return html.unescape(re.search(r'data-token="([^"]+)"', page).group(1))

    def test_an_account_past_the_limit_gets_429_with_retry_after(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("ed@example.org", PASSWORD)[0], 303)
        token = self.frame_token(editor)
        statuses = [editor.request("POST", "/admin/preview", {"csrf": token, "title": "T", "body": "Words."})[0]
                    for _ in range(5)]
        self.assertEqual(set(statuses), {200})
        status, headers, page, _ = editor.request("POST", "/admin/preview", {"csrf": token, "body": "More."})
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        self.assertLessEqual(int(headers["Retry-After"]), 60)
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        # The Preview button's tab is the same work, counted the same.
        page = editor.request("GET", "/admin/posts/new")[2]
        status, headers, _, _ = editor.request("POST", "/admin/posts", {
            "csrf": editor_token(page), "edit_count": "0", "title": "T", "body": "x", "do": "preview"})
        self.assertEqual(status, 429)
        self.assertIn("Retry-After", headers)
        # The writer's previews are their own count.
        writer = Browser(self.server)
        self.assertEqual(writer.sign_in("wren@example.org", PASSWORD)[0], 303)
        status, _, _, _ = writer.request("POST", "/admin/preview",
                                         {"csrf": self.frame_token(writer), "body": "Mine."})
        self.assertEqual(status, 200)


class TwoFactorThrottle(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(content=None)
        done = add_user(self.server, "ed@example.org", "editor", PASSWORD, "Ed")
        assert done.returncode == 0, done.stderr
        self.server.start()

    def tearDown(self):
        self.server.close()

    def test_forty_wrong_codes_after_right_passwords_meet_a_429(self):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("ed@example.org", PASSWORD)[0], 303)
        page = browser.request("GET", "/admin/two-factor")[2]
        secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page).group(1)
        signature = html.unescape(re.search(r'name="secret_signature" value="([^"]+)"', page).group(1))
        self.assertEqual(browser.request("POST", "/admin/two-factor", {
            "csrf": harness.form_token(page, "/admin/two-factor"), "do": "enable", "secret": secret,
            "secret_signature": signature, "code": totp(secret)})[0], 303)
        near = {totp(secret, offset=drift) for drift in (-1, 0, 1)}
        wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in near)
        statuses = []
        for _ in range(40):
            attacker = Browser(self.server)
            status, _, _, _ = attacker.sign_in("ed@example.org", PASSWORD)
            if status != 303:
                statuses.append(status)
                continue
            page = attacker.request("GET", "/admin/login/code")[2]
            status, headers, body, _ = attacker.request("POST", "/admin/login/code", {
                "csrf": harness.form_token(page), "code": wrong, "next": "/admin/"})
            statuses.append(status)
            if status == 429:
                self.assertIn("Retry-After", headers)
                self.assertNotIn("<", body)  # a plain sentence
        self.assertIn(429, statuses)
        self.assertLessEqual(statuses.index(429), 6)
        self.assertNotIn(303, statuses)
        # The right code is refused too while the throttle holds.
        attacker = Browser(self.server)
        attacker.sign_in("ed@example.org", PASSWORD)
        page = attacker.request("GET", "/admin/login/code")[2]
        status, _, _, _ = attacker.request("POST", "/admin/login/code", {
            "csrf": harness.form_token(page), "code": totp(secret, offset=1), "next": "/admin/"})
        self.assertEqual(status, 429)


class SaveFailures(unittest.TestCase):
    """A save that fails for want of disk (507) or because the database is busy (503) gives the
    person their text back with a plain sentence."""

    def make_site(self, parent=None):
        saved = tempfile.tempdir
        tempfile.tempdir = parent
        try:
            server = harness.Server()
        finally:
            tempfile.tempdir = saved
        for email, role in [("editor@example.org", "editor"), ("admin@example.org", "administrator")]:
            done = add_user(server, email, role, PASSWORD, role.capitalize())
            assert done.returncode == 0, done.stderr
        server.start()
        return server

    def new_draft(self, editor):
        page = editor.request("GET", "/admin/posts/new")[2]
        status, headers, _, _ = editor.request("POST", "/admin/posts", dict(
            DRAFT, body="The first version.", csrf=editor_token(page), edit_count=edit_count(page),
            **{"do": "save"}))
        self.assertEqual(status, 303)
        return headers["Location"].split("?")[0]

    def save(self, editor, post, body, action="save"):
        page = editor.request("GET", post)[2]
        return editor.request("POST", post, dict(
            DRAFT, title="A Title Kept", body=body, csrf=editor_token(page), edit_count=edit_count(page),
            **{"do": action}))

    def test_a_full_disk_answers_507_with_the_writers_text(self):
        if harness.STORE_POSTGRES:
            self.skipTest("the site's disk is filled, and a PostgreSQL site keeps its data on the "
                          "database server's")
        mount = tempfile.mkdtemp(prefix="broadsheet-full-")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            os.rmdir(mount)
            self.skipTest("cannot mount a small tmpfs here (needs root): " + mounted.stderr.strip())
        server = None
        try:
            server = self.make_site(mount)
            editor = Browser(server)
            self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
            post = self.new_draft(editor)
            page = editor.request("GET", post)[2]
            # Fill the disk to the last byte.
            filler = os.open(os.path.join(mount, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
            for size in (1 << 20, 4096, 1):
                try:
                    while True:
                        os.write(filler, b"\0" * size)
                except OSError:
                    pass
            os.close(filler)
            words = "An unrepeatable sentence number %d about the budget. "
            body = "".join(words % n for n in range(40000))  # ~2 MB: new pages, whatever is free
            status, headers, page, _ = self.save(editor, post, body)
            self.assertEqual(status, 507, page[:500])
            self.assertIn(html.escape(words % 39999, quote=False).strip(), page)
            self.assertIn("A Title Kept", page)
            self.assertIn('class="error"', page)
            # Autosave says so in JSON, and the editor keeps the text.
            status, _, answer, _ = self.save(editor, post, body, action="autosave")
            self.assertEqual(status, 507)
            self.assertIn("disk is full", answer)
            # Once there is room again, the same text saves.
            os.remove(os.path.join(mount, "filler"))
            status, _, _, _ = self.save(editor, post, body)
            self.assertEqual(status, 303)
        finally:
            if server:
                server.close()
            subprocess.run(["umount", mount], capture_output=True)
            os.rmdir(mount)

    def test_a_full_disk_gives_back_the_text_of_every_desk_form(self):
        if harness.STORE_POSTGRES:
            self.skipTest("the site's disk is filled, and a PostgreSQL site keeps its data on the "
                          "database server's")
        """Forms with their own re-render (settings, authors) and those without one (redirects,
        invitations: the desk's catch-all page) all answer 507 with what was typed."""
        mount = tempfile.mkdtemp(prefix="broadsheet-full-")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            os.rmdir(mount)
            self.skipTest("cannot mount a small tmpfs here (needs root): " + mounted.stderr.strip())
        server = None
        try:
            server = self.make_site(mount)
            admin = Browser(server)
            self.assertEqual(admin.sign_in("admin@example.org", PASSWORD)[0], 303)
            settings_page = admin.request("GET", "/admin/settings")[2]
            sections_page = admin.request("GET", "/admin/sections")[2]
            redirects_page = admin.request("GET", "/admin/redirects")[2]
            users_page = admin.request("GET", "/admin/users")[2]
            filler = os.open(os.path.join(mount, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
            for size in (1 << 20, 4096, 1):
                try:
                    while True:
                        os.write(filler, b"\0" * size)
                except OSError:
                    pass
            os.close(filler)
            # Each form carries enough text to need new pages, whatever is free.
            padding = " ".join("word%d" % n for n in range(20000))
            forms = [
                ("/admin/settings", settings_page, {
                    "title": "A Settings Title Kept", "description": "Kept description " + padding,
                    "base_url": "", "disclaimer": "", "timezone": "UTC", "language": "en"},
                 "A Settings Title Kept"),
                ("/admin/authors", sections_page, {
                    "do": "add", "name": "Nell Newcomer", "slug": "", "credentials": "",
                    "bio": "A biography kept in the form. " + padding},
                 "A biography kept in the form."),
                ("/admin/redirects", redirects_page, {
                    "do": "add", "from": "/kept-old-address/", "to": "/kept-new-address/",
                    "status": "301"},
                 "/kept-old-address/"),
                ("/admin/users/invite", users_page, {
                    "name": "Ivy Invited", "email": "ivy@example.org", "role": "author"},
                 "Ivy Invited"),
            ]
            for path, page, fields, kept in forms:
                with self.subTest(path=path):
                    status, _, answer, _ = admin.request("POST", path, dict(
                        fields, csrf=harness.form_token(page, path)))
                    self.assertEqual(status, 507, answer[:500])
                    self.assertIn(kept, answer)
                    self.assertIn("disk is full", answer)
        finally:
            if server:
                server.close()
            subprocess.run(["umount", mount], capture_output=True)
            os.rmdir(mount)

    def hold_the_database(self, server, seconds):
        """Holds a write transaction from another process-like connection until `release()` is
        called on the returned thread, or for at most `seconds`: the request under test meets a
        busy database however long the server's other threads keep it waiting first."""
        ready = threading.Event()
        done = threading.Event()

        def hold():
            # The server's own writes (the search indexer catching up) may hold the lock briefly.
            held = server.hold_writes(timeout=30)
            ready.set()
            done.wait(seconds)
            held.release()

        holder = threading.Thread(target=hold)
        holder.release = done.set
        holder.start()
        self.assertTrue(ready.wait(30), "could not take the write lock")
        return holder

    def test_a_busy_database_answers_503_with_the_text_for_posts_settings_and_replies(self):
        server = self.make_site()
        try:
            editor = Browser(server)
            self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
            admin = Browser(server)
            self.assertEqual(admin.sign_in("admin@example.org", PASSWORD)[0], 303)
            post = self.new_draft(editor)
            # While the lock is held, the server's other threads wait their turn too.
            editor.timeout = admin.timeout = 100
            editor_page = editor.request("GET", post)[2]
            settings_page = admin.request("GET", "/admin/settings")[2]
            sections_page = editor.request("GET", "/admin/sections")[2]

            body = "A paragraph that must survive a busy database."
            holder = self.hold_the_database(server, 120)
            status, headers, page, _ = editor.request("POST", post, dict(
                DRAFT, title="A Title Kept", body=body, csrf=editor_token(editor_page),
                edit_count=edit_count(editor_page), **{"do": "save"}))
            holder.release()
            holder.join()
            self.assertEqual(status, 503, page[:500])
            self.assertIn("Retry-After", headers)
            self.assertIn(body, page)
            self.assertIn("A Title Kept", page)
            holder = self.hold_the_database(server, 120)
            status, headers, page, _ = admin.request("POST", "/admin/settings", {
                "csrf": harness.form_token(settings_page, "/admin/settings"),
                "title": "A Settings Title Kept", "description": "", "base_url": "", "disclaimer": "",
                "timezone": "UTC", "language": "en"})
            holder.release()
            holder.join()
            self.assertEqual(status, 503, page[:500])
            self.assertIn("A Settings Title Kept", page)
            holder = self.hold_the_database(server, 120)
            status, headers, page, _ = editor.request("POST", "/admin/authors", {
                "csrf": harness.form_token(sections_page, "/admin/authors"), "do": "add",
                "name": "Nell Newcomer", "slug": "", "credentials": "", "bio": "A biography kept in the form."})
            holder.release()
            holder.join()
            self.assertEqual(status, 503, page[:500])
            self.assertIn("A biography kept in the form.", page)
            self.assertIn('value="Nell Newcomer"', page)
            status, _, _, _ = editor.request("POST", post, dict(
                DRAFT, title="A Title Kept", body=body, csrf=editor_token(editor_page),
                edit_count=edit_count(editor_page), **{"do": "save"}))
            self.assertEqual(status, 303)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
