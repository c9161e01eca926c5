"""Honest forms (issue 15, item 9): a publication without mail offers no newsletter signup and no
send that could not happen (and refuses one posted anyway); the newsletter preview is a POST, so no
desk address carries a form token; the dashboard counts the comments awaiting moderation; the
moderation queue names each comment's article by its headline."""

import re
import unittest
import urllib.parse

from aiosmtpd.controller import Controller

import harness
from test_comments import comment
from test_desk import PASSWORD, Browser, add_user
from test_mail import Inbox, free_port
from test_newsletter import subscribe, subscriber_rows

ARTICLE = "/why-deterrence-still-works/"
SIGNUP_FORM = 'action="/newsletter/subscribe"'
DESK_PAGES = ["/admin/", "/admin/posts", "/admin/posts/new", "/admin/comments", "/admin/newsletter",
              "/admin/subscribers", "/admin/users", "/admin/settings", "/admin/sections", "/admin/media",
              "/admin/redirects", "/admin/audit", "/admin/sessions", "/admin/two-factor"]


def count(server, table):
    with server.database() as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def newsletter_form(page):
    """The desk's newsletter form: the chosen article's id and the form's two tokens."""
    post_id = re.search(r'<option value="(\d+)">Why Deterrence Still Works</option>', page).group(1)
    preview = re.search(r'name="preview_csrf" value="([^"]+)"', page)
    return post_id, harness.form_token(page, "/admin/newsletter"), preview.group(1) if preview else None


def tokens_in_addresses(page):
    """Every place in a desk page where a form token would end up in an address: a link, image or
    form address with a token in it, or a form sent by GET (by its method or a button's
    formmethod) that holds a token field."""
    found = re.findall(r'\b(?:href|src|action|formaction)="[^"]*csrf[^"]*"', page, re.I)
    for form in re.findall(r"<form\b.*?</form>", page, re.S | re.I):
        opening = re.match(r"<form\b[^>]*>", form, re.I).group(0)
        by_get = not re.search(r'method="post"', opening, re.I) or re.search(r'formmethod="get"', form, re.I)
        if by_get and re.search(r'name="[a-z_]*csrf"', form, re.I):
            found.append(opening)
    return found


class WithoutMail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        add_user(cls.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(cls.server, "writer@example.org", "contributor", PASSWORD, "Wren Writer")
        cls.server.start()
        cls.server.set_desk_setting("comments_min_form_seconds", "0")
        cls.editor = Browser(cls.server)
        cls.editor.sign_in("editor@example.org", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_public_pages_offer_no_signup_and_say_it_is_closed(self):
        for path in [ARTICLE, "/", "/newsletter"]:
            status, _, page = self.server.get(path)
            self.assertEqual(status, 200, path)
            self.assertNotIn(SIGNUP_FORM.encode(), page, path)
            self.assertNotRegex(page, rb'id="newsletter-(page-)?email"', path)
        self.assertNotIn(b"Have you signed up for our newsletter?", self.server.get(ARTICLE)[2])
        # The newsletter page keeps its block, saying plainly that signup is closed.
        page = self.server.get("/newsletter")[2].decode()
        self.assertRegex(page, r'role="status">Signup is closed')
        # A signup posted anyway (an old cached page, a script) is refused and stores nothing.
        status, _, page = subscribe(self.server, "reader@example.org")
        self.assertEqual(status, 503)
        self.assertNotIn(SIGNUP_FORM.encode(), page)
        self.assertEqual(subscriber_rows(self.server), [])

    def test_the_desk_explains_mail_instead_of_offering_a_send(self):
        status, _, page, _ = self.editor.request("GET", "/admin/newsletter")
        self.assertEqual(status, 200)
        self.assertNotIn('value="send"', page)
        self.assertNotIn('value="test"', page)
        self.assertIn("<code>[mail]</code>", page)
        self.assertIn("smtp_url", page)
        self.assertIn("BROADSHEET_SMTP_URL", page)
        self.assertIn("Configuration section", page)
        # The preview needs no mail and stays.
        self.assertIn('formaction="/admin/newsletter/preview"', page)

    def test_a_send_posted_anyway_is_refused_and_queues_nothing(self):
        page = self.editor.request("GET", "/admin/newsletter")[2]
        post_id, csrf, _ = newsletter_form(page)
        for action in ["send", "test"]:
            status, headers, page, _ = self.editor.request(
                "POST", "/admin/newsletter", {"csrf": csrf, "post": post_id, "do": action, "segments": "everything"})
            self.assertEqual(status, 503, action)
            self.assertNotIn("Location", headers)
            self.assertNotIn('value="send"', page)
        # Also with a choice that names no article: the missing mail is the answer, not the form.
        status = self.editor.request("POST", "/admin/newsletter", {"csrf": csrf, "post": "0", "do": "send"})[0]
        self.assertEqual(status, 503)
        self.assertEqual(count(self.server, "newsletter_sends"), 0)
        self.assertEqual(count(self.server, "mail_outbox"), 0)
        # A forged send (no token) is still refused as a forgery first.
        self.assertEqual(self.editor.request("POST", "/admin/newsletter", {"post": post_id, "do": "send"})[0], 403)

    def test_the_preview_is_a_post_with_its_own_token(self):
        page = self.editor.request("GET", "/admin/newsletter")[2]
        post_id, csrf, preview_csrf = newsletter_form(page)
        self.assertIsNotNone(preview_csrf)
        status, headers, preview, _ = self.editor.request(
            "POST", "/admin/newsletter/preview", {"csrf": csrf, "preview_csrf": preview_csrf, "post": post_id})
        self.assertEqual(status, 200)
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        self.assertIn("Why Deterrence Still Works", preview)
        # Without its token, or with the main action's token in its place: refused.
        self.assertEqual(self.editor.request("POST", "/admin/newsletter/preview", {"post": post_id})[0], 403)
        self.assertEqual(self.editor.request(
            "POST", "/admin/newsletter/preview", {"preview_csrf": csrf, "post": post_id})[0], 403)
        # The old address with the token in its query string is gone.
        self.assertEqual(self.editor.request(
            "GET", "/admin/newsletter/preview?" + urllib.parse.urlencode({"csrf": csrf, "post": post_id}))[0], 404)
        # An invalid choice is an error on the page, not a crash.
        status = self.editor.request(
            "POST", "/admin/newsletter/preview", {"preview_csrf": preview_csrf, "post": "abc"})[0]
        self.assertEqual(status, 422)
        # Signed out, the preview sends the person to sign in.
        status, headers, _, _ = Browser(self.server).request(
            "POST", "/admin/newsletter/preview", {"preview_csrf": preview_csrf, "post": post_id})
        self.assertEqual(status, 303)
        self.assertTrue(headers["Location"].startswith("/admin/login"))

    def test_no_desk_page_or_redirect_puts_a_token_in_an_address(self):
        admin = Browser(self.server)
        admin.sign_in("admin@example.org", PASSWORD)
        for path in DESK_PAGES:
            status, _, page, _ = admin.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(tokens_in_addresses(page), [], path)
        # Signed out, an address that carries a token is not passed on to the sign-in page.
        status, headers, _, _ = Browser(self.server).request("GET", "/admin/newsletter?csrf=abc&post=1")
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/admin/login?next=/admin/newsletter")
        # And an ordinary address still is, whole.
        status, headers, _, _ = Browser(self.server).request("GET", "/admin/comments?status=spam")
        self.assertEqual(status, 303)
        self.assertRegex(headers["Location"], r"^/admin/login\?next=/admin/comments(\?|%3F)status(=|%3D)spam$")

    def test_the_dashboard_counts_comments_awaiting_moderation(self):
        def waiting(browser):
            status, _, page, _ = browser.request("GET", "/admin/")
            self.assertEqual(status, 200)
            found = re.search(r'<a href="/admin/comments\?status=pending">[^<]*<span class="count" '
                              r'id="comments-waiting">(\d+)</span>', page)
            return int(found.group(1)) if found else None

        before = waiting(self.editor)
        self.assertIsNotNone(before)
        for number in range(2):
            status, headers, _ = comment(self.server, {"body": f"Held comment {number}.",
                                                       "email": f"held{number}@example.org"})
            self.assertEqual(status, 303)
            self.assertIn("comment=held", headers["location"])
        self.assertEqual(waiting(self.editor), before + 2)
        page = self.editor.request("GET", "/admin/comments")[2]
        ids = re.findall(r'name="ids" value="(\d+)"', page)
        self.assertEqual(self.editor.request(
            "POST", "/admin/comments", {"csrf": harness.form_token(page, "/admin/comments"), "status": "pending",
                                        "one": f"approve:{ids[0]}"})[0], 303)
        self.assertEqual(waiting(self.editor), before + 1)
        # A contributor cannot moderate, so the dashboard shows them no count.
        writer = Browser(self.server)
        writer.sign_in("writer@example.org", PASSWORD)
        self.assertIsNone(waiting(writer))

    def test_the_queue_names_each_comments_article_by_its_headline(self):
        comment(self.server, {"body": "Which article is this on?", "email": "headline@example.org"})
        status, _, page, _ = self.editor.request("GET", "/admin/comments?q=Which+article")
        self.assertEqual(status, 200)
        self.assertEqual(len(re.findall(r'name="ids"', page)), 1)
        self.assertIn('<a href="/why-deterrence-still-works/">Why Deterrence Still Works</a>', page)
        self.assertNotIn(">why-deterrence-still-works<", page)
        comment_id = re.search(r'name="ids" value="(\d+)"', page).group(1)
        page = self.editor.request("GET", f"/admin/comments/{comment_id}")[2]
        self.assertIn('<a href="/why-deterrence-still-works/">Why Deterrence Still Works</a>', page)


class WithMail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inbox = Inbox()
        port = free_port()
        cls.smtp = Controller(cls.inbox, hostname="127.0.0.1", port=port)
        cls.smtp.start()
        cls.server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
        })
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.smtp.stop()

    def test_readers_are_offered_the_signup_form(self):
        page = self.server.get(ARTICLE)[2].decode()
        self.assertIn("Have you signed up for our newsletter?", page)
        self.assertIn(SIGNUP_FORM, page)
        self.assertIn(SIGNUP_FORM, self.server.get("/")[2].decode())
        page = self.server.get("/newsletter")[2].decode()
        self.assertIn(SIGNUP_FORM, page)
        self.assertNotIn("Signup is closed", page)

    def test_the_desk_offers_the_send_and_no_mail_advice(self):
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        status, _, page, _ = editor.request("GET", "/admin/newsletter")
        self.assertEqual(status, 200)
        self.assertIn('value="send"', page)
        self.assertIn('value="test"', page)
        self.assertNotIn("BROADSHEET_SMTP_URL", page)
        self.assertEqual(tokens_in_addresses(page), [])


if __name__ == "__main__":
    unittest.main()
