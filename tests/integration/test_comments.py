"""Reader comments: the form, moderation (hold first), threads, safe rendering, the operators'
commands, durability across SIGKILL, the form token, staff, the queue's edit and reply, notices by
mail and the commenter's export and erasure."""

import json
import re
import signal
import subprocess
import time
import unittest
import urllib.parse

import harness
from test_desk import PASSWORD, Browser, add_user
from test_mail import Inbox, body_of, free_port, wait_for

ARTICLE = "/why-deterrence-still-works/"


def form_token(server, path=ARTICLE, headers=None):
    """The page script's answer ({"token", "staff"}; empty for a missing article) and headers."""
    status, response_headers, body = server.request("GET", path + "comments/token", headers=headers)
    return (json.loads(body) if status == 200 else {"token": ""}), response_headers


def comment(server, fields, path=ARTICLE, headers=None):
    """Posts the comment form as the page's script would, with a fresh form token (the tests set
    the minimum time to 0 in setUp)."""
    token = form_token(server, path, headers)[0]["token"]
    body = urllib.parse.urlencode(dict({"name": "Reader", "email": "reader@example.org", "website": "",
                                        "body": "A thoughtful reply.", "parent": "0", "token": token}, **fields))
    return server.request("POST", path + "comments", body=body,
                          headers=dict({"Content-Type": "application/x-www-form-urlencoded"}, **(headers or {})))


def fresh_view(headers):
    """The address a published comment redirects to, without its fragment."""
    return headers["location"].split("#")[0]


def eventually(check, timeout=3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def cli(server, *args):
    done = harness.run("comments", *args, "--site", server.site)
    server.settle()
    return done


class Comments(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")

    def tearDown(self):
        self.server.close()

    def test_a_first_comment_is_held_then_approved_and_later_ones_appear_at_once(self):
        status, headers, _ = comment(self.server, {"body": "First words here."})
        self.assertEqual(status, 303)
        self.assertEqual(headers["location"], ARTICLE + "?comment=held#comments")
        self.assertIn(b"awaiting moderation", self.server.get(ARTICLE + "?comment=held")[2])
        self.assertNotIn(b"First words here.", self.server.get(ARTICLE)[2])
        listed = cli(self.server, "list", "--status", "pending")
        self.assertEqual(listed.returncode, 0)
        line = listed.stdout.strip().splitlines()[0]
        self.assertRegex(line, r"^\d+\tpending\twhy-deterrence-still-works\tReader\tFirst words here\.")
        comment_id = line.split("\t")[0]
        self.assertEqual(cli(self.server, "approve", comment_id).returncode, 0)
        page = self.server.get(ARTICLE)[2].decode()
        self.assertIn("First words here.", page)
        self.assertIn(f'id="comment-{comment_id}"', page)
        self.assertIn("1 comment<", page)
        self.assertIn('#comments">1 comment</a>', self.server.get("/")[2].decode())
        self.assertNotIn("reader@example.org", page)  # addresses are never shown
        status, headers, _ = comment(self.server, {"body": "Second, straight through.", "parent": comment_id})
        self.assertEqual(status, 303)
        self.assertRegex(headers["location"], r"^" + re.escape(ARTICLE) + r"\?comment=\d+#comment-\d+$")
        # The commenter is sent to a fresh view; other readers get the cached page until its
        # background refresh (started by the first of them) is done, moments later.
        page = self.server.get(fresh_view(headers))[2].decode()
        self.assertIn("Thank you. Your comment is published.", page)
        self.assertIn("Second, straight through.", page)
        self.assertTrue(eventually(lambda: b"Second, straight through." in self.server.get(ARTICLE)[2]))
        self.assertIn('class="comment comment--depth-1"', page)
        self.assertEqual(cli(self.server, "spam", comment_id).returncode, 0)
        self.assertNotIn("First words here.", self.server.get(ARTICLE)[2].decode())
        self.assertEqual(cli(self.server, "approve", "999999").returncode, 1)

    def test_mistakes_are_explained_and_the_text_kept(self):
        cases = [({"email": "not-an-address"}, "valid e-mail address"), ({"name": ""}, "your name"),
                 ({"body": "   "}, "empty"), ({"body": "x" * 10001}, "longer than 10,000"),
                 ({"parent": "424242"}, "not on this article")]
        for fields, message in cases:
            status, _, body = comment(self.server, dict({"body": "Keep these words."}, **fields))
            self.assertEqual(status, 422, fields)
            page = body.decode()
            self.assertIn(message, page, fields)
            if "body" not in fields:
                self.assertIn("Keep these words.</textarea>", page)
        self.assertEqual(comment(self.server, {}, "/no-such-article/")[0], 404)
        self.assertEqual(comment(self.server, {}, "/about/")[0], 404)  # pages take no comments
        self.assertEqual(cli(self.server, "list").stdout, "")

    def test_hostile_text_is_shown_inert(self):
        harness.run("comments", "list", "--site", self.server.site)
        payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '[click](javascript:alert(3))',
                    '"><svg onload=alert(4)>', '<a href="javascript:alert(5)">x</a>', '\u202egnp.exe']
        for payload in payloads:
            comment(self.server, {"name": payload[:90], "body": payload, "website": "javascript:alert(6)",
                                  "email": "trusted@example.org"})
        ids = [line.split("\t")[0] for line in cli(self.server, "list").stdout.splitlines()]
        for comment_id in ids:
            cli(self.server, "approve", comment_id)
        page = self.server.get(ARTICLE)[2].decode()
        section = page[page.index('class="comment-list"'):]
        self.assertNotIn("<script>alert", section)
        self.assertNotIn("<img src=x", section)
        self.assertNotIn("<svg", section)
        self.assertNotIn('href="javascript:', section)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", section)
        self.assertNotIn("alert(6)", section)

    def test_a_comment_acknowledged_survives_sigkill(self):
        status, _, _ = comment(self.server, {"body": "Durable words."})
        self.assertEqual(status, 303)
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()
        self.assertIn("Durable words.", cli(self.server, "list").stdout)

    def test_closed_comments_refuse_new_ones(self):
        harness.write_tree(self.server.content, {"posts/closed.md": "---\ntitle: Closed Piece\ncomments: closed\n---\nx\n"})
        harness.run("import", "markdown", self.server.content, "--site", self.server.site)
        status, _, body = comment(self.server, {}, "/closed-piece/")
        self.assertEqual(status, 422)
        self.assertIn(b"closed", body)

    def test_moderators_work_through_the_queue_in_the_desk(self):
        import html
        from test_desk import PASSWORD, Browser, add_user
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(self.server, "writer@example.org", "author", PASSWORD, "Wes Writer")
        for number in range(3):
            comment(self.server, {"body": f"Queued comment number {number}.", "email": f"r{number}@example.org"})
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        status, _, page, _ = editor.request("GET", "/admin/comments")
        self.assertEqual(status, 200)
        self.assertIn("r0@example.org", page)  # moderators see addresses; readers never do
        ids = re.findall(r'name="ids" value="(\d+)"', page)
        self.assertEqual(len(ids), 3)
        csrf = harness.form_token(page)
        body = urllib.parse.urlencode([("csrf", csrf), ("status", "pending"), ("do", "bulk"), ("bulk", "approve"),
                                       ("ids", ids[0]), ("ids", ids[1])])
        # Two "ids" fields: sent as a raw form, since the helper takes a dict.
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        connection.request("POST", "/admin/comments", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in editor.cookies.items())})
        response = connection.getresponse()
        self.assertEqual(response.status, 303)
        connection.close()
        article = self.server.get(ARTICLE)[2].decode()
        self.assertEqual(article.count("Queued comment number"), 2)
        status, _, _, _ = editor.request("POST", "/admin/comments", {"csrf": csrf, "status": "pending", "one": f"spam:{ids[2]}"})
        self.assertEqual(status, 303)
        self.assertIn("Queued comment number", editor.request("GET", "/admin/comments?status=spam")[2])
        page = editor.request("GET", "/admin/comments?status=approved&q=number+1")[2]
        self.assertEqual(len(re.findall(r'name="ids"', page)), 1)
        writer = Browser(self.server)
        writer.sign_in("writer@example.org", PASSWORD)
        self.assertEqual(writer.request("GET", "/admin/comments")[0], 403)

    def test_moderation_mode_and_automatic_closing_are_settings(self):
        import html
        from test_desk import PASSWORD, Browser, add_user
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        admin = Browser(self.server)
        admin.sign_in("admin@example.org", PASSWORD)
        page = admin.request("GET", "/admin/settings")[2]
        csrf = harness.form_token(page)
        fields = {"csrf": csrf, "title": "The Test Review", "description": "", "base_url": "", "disclaimer": "Ours.",
                  "timezone": "UTC", "language": "en", "comment_moderation": "hold-none", "comments_close_after_days": "0"}
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        status, headers, _ = comment(self.server, {"body": "Straight onto the page."})
        self.assertRegex(headers["location"], r"#comment-\d+$")
        self.assertIn(b"Straight onto the page.", self.server.get(fresh_view(headers))[2])
        # The article is from 2024: closing comments after 30 days closes it.
        fields["comments_close_after_days"] = "30"
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        self.assertIn(b"Comments are closed.", self.server.get(ARTICLE)[2])
        status, _, body = comment(self.server, {"body": "Too late."})
        self.assertEqual(status, 422)
        self.assertIn(b"closed", body)

    def test_a_cached_page_closes_its_form_on_time(self):
        import datetime
        closing = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1, seconds=-3)
        harness.write_tree(self.server.content, {"posts/closing.md": "---\ntitle: Closing Soon\ndate: "
                                                 + closing.strftime("%Y-%m-%dT%H:%M:%SZ") + "\n---\nx\n"})
        harness.run("import", "markdown", self.server.content, "--site", self.server.site)
        self.server.set_desk_setting("comments_close_after_days", "1")
        self.assertIn(b'id="respond"', self.server.get("/closing-soon/")[2])
        self.assertIn(b'id="respond"', self.server.get("/closing-soon/")[2])  # now from the cache
        time.sleep(4)
        page = self.server.get("/closing-soon/")[2]
        self.assertIn(b"Comments are closed.", page)
        self.assertNotIn(b'id="respond"', page)

    def test_the_honeypot_marks_spam_without_refusing(self):
        status, headers, _ = comment(self.server, {"homepage": "http://spam.example", "body": "Buy now"})
        self.assertEqual(status, 303)
        self.assertIn("Buy now", cli(self.server, "list", "--status", "spam").stdout)
        self.assertNotIn(b"Buy now", self.server.get(ARTICLE)[2])

    def test_the_form_token_comes_fresh_from_the_server_and_times_the_form(self):
        answer, headers = form_token(self.server)
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertNotIn("set-cookie", headers)
        self.assertIsNone(answer["staff"])
        self.assertRegex(answer["token"], r"^\d+\.[A-Za-z0-9_-]+$")
        self.assertRegex(self.server.get(ARTICLE)[2].decode(), r'<script src="/assets/comments\.js\?v=\w+" defer>')
        self.assertEqual(self.server.get("/no-such-article/comments/token")[0], 404)
        self.server.set_desk_setting("comment_moderation", "hold-none")
        self.server.set_desk_setting("comments_min_form_seconds", "2")
        # Too fast for a person: spam, though the sender is told what a held comment is told.
        status, headers, _ = comment(self.server, {"body": "Typed by a machine in no time."})
        self.assertEqual(headers["location"], ARTICLE + "?comment=held#comments")
        self.assertIn("Typed by a machine", cli(self.server, "list", "--status", "spam").stdout)
        token = form_token(self.server)[0]["token"]
        time.sleep(2.2)
        status, headers, _ = comment(self.server, {"body": "Typed by a person.", "token": token})
        self.assertRegex(headers["location"], r"#comment-\d+$")
        # No token (the script did not run): held, with the reason for the moderator.
        status, headers, _ = comment(self.server, {"body": "No script ran here.", "token": ""})
        self.assertEqual(headers["location"], ARTICLE + "?comment=held#comments")
        self.assertIn("No script ran here.", cli(self.server, "list", "--status", "pending").stdout)

    def test_signed_in_staff_are_recognised_and_marked(self):
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        editor = Browser(self.server)
        _, _, _, set_cookies = editor.sign_in("editor@example.org", PASSWORD)
        staff_cookie = [c for c in set_cookies if c.startswith("bs_staff=")][0]
        self.assertIn("Path=/;", staff_cookie + ";")
        self.assertIn("HttpOnly", staff_cookie)
        self.assertIn("SameSite=Strict", staff_cookie)
        mark = {"Cookie": "bs_staff=" + editor.cookies["bs_staff"]}
        self.assertEqual(form_token(self.server, headers=mark)[0]["staff"], "Eda Editor")
        # The mark cannot open the desk.
        self.assertEqual(self.server.get("/admin/", headers=mark)[0], 303)
        status, headers, _ = comment(self.server, {"name": "Someone Else", "email": "else@example.org",
                                                   "body": "A note from the editors."}, headers=mark)
        self.assertRegex(headers["location"], r"#comment-\d+$")  # hold-first does not hold staff
        page = self.server.get(fresh_view(headers))[2].decode()
        self.assertIn('Eda Editor</strong> <span class="comment-staff">Staff</span>', page)
        self.assertNotIn("Someone Else", page)
        forged = {"Cookie": "bs_staff=" + editor.cookies["bs_staff"][:-3] + "AAA"}
        self.assertIsNone(form_token(self.server, headers=forged)[0]["staff"])
        # Signing out ends the mark with the session.
        csrf = editor.csrf("/admin/", "/admin/logout")
        editor.request("POST", "/admin/logout", {"csrf": csrf})
        self.assertIsNone(form_token(self.server, headers=mark)[0]["staff"])
        status, headers, _ = comment(self.server, {"body": "After signing out."}, headers=mark)
        self.assertEqual(headers["location"], ARTICLE + "?comment=held#comments")

    def test_moderators_edit_and_reply_from_the_queue(self):
        import html
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        comment(self.server, {"body": "A question about the treaty?", "email": "asker@example.org"})
        comment_id = cli(self.server, "list").stdout.split("\t")[0]
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        status, _, page, _ = editor.request("GET", f"/admin/comments/{comment_id}")
        self.assertEqual(status, 200)
        self.assertIn("A first comment from this address.", page)  # why it was held
        csrf = harness.form_token(page, f"/admin/comments/{comment_id}")
        reply_csrf = harness.form_token(page, f"/admin/comments/{comment_id}/reply")
        status, _, page, _ = editor.request("POST", f"/admin/comments/{comment_id}",
                                            {"csrf": csrf, "name": "Asker", "email": "not an address", "body": "x"})
        self.assertEqual(status, 422)
        self.assertIn("valid e-mail address", page)
        status, _, _, _ = editor.request("POST", f"/admin/comments/{comment_id}", {
            "csrf": csrf, "name": "Asker", "email": "asker@example.org", "website": "",
            "body": "A question about the treaty (edited)?"})
        self.assertEqual(status, 303)
        status, headers, _, _ = editor.request("POST", f"/admin/comments/{comment_id}/reply",
                                               {"csrf": reply_csrf, "body": "Thanks: the answer is *yes*."})
        self.assertEqual(status, 303)
        page = self.server.get(ARTICLE)[2].decode()
        self.assertIn("A question about the treaty (edited)?", page)  # approved by the reply
        self.assertIn("the answer is <em>yes</em>", page)
        self.assertIn('class="comment comment--depth-1"', page)
        self.assertIn('<span class="comment-staff">Staff</span>', page)

    def test_blocklists_and_limits_are_settings(self):
        admin = self.sign_in_administrator()
        page = admin.request("GET", "/admin/settings")[2]
        for field in ("comments_hold_words", "comments_spam_words", "comments_rate_limit", "comments_max_links",
                      "comments_min_form_seconds", "comments_thread_depth", "comments_client_retention_days"):
            self.assertIn(f'name="{field}"', page)
        fields = self.settings_fields(admin, comments_spam_words="casino\n", comments_hold_words="203.0.113.9",
                                      comment_moderation="hold-none", comments_min_form_seconds="0")
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        comment(self.server, {"body": "Best Casino bonus"})
        self.assertIn("Best Casino bonus", cli(self.server, "list", "--status", "spam").stdout)
        fields["comments_max_links"] = "abc"
        status, _, page, _ = admin.request("POST", "/admin/settings", fields)
        self.assertEqual(status, 422)
        self.assertIn("whole number", page)

    def sign_in_administrator(self):
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        admin = Browser(self.server)
        admin.sign_in("admin@example.org", PASSWORD)
        return admin

    def settings_fields(self, admin, **changes):
        import html
        page = admin.request("GET", "/admin/settings")[2]
        fields = {"csrf": harness.form_token(page),
                  "title": "The Test Review", "description": "", "base_url": "", "disclaimer": "Ours.",
                  "timezone": "UTC", "language": "en", "comment_moderation": "hold-first"}
        fields.update(changes)
        return fields


def subject(message):
    import email.header
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


class CommentMail(unittest.TestCase):
    """Notices to authors and moderators, and the commenter's own export and erasure, through a real
    SMTP server."""

    def setUp(self):
        self.inbox = Inbox()
        port = free_port()
        from aiosmtpd.controller import Controller
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.smtp.start()
        content = dict(harness.CONTENT)
        content["authors/jane-doe.md"] = content["authors/jane-doe.md"].replace(
            "title: Director", "email: jane@test.example\n        title: Director")
        self.server = harness.Server(content=content, env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <desk@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
        })
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(self.server, "writer@example.org", "author", PASSWORD, "Wes Writer")
        self.server.start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")

    def tearDown(self):
        self.server.close()
        self.smtp.stop()

    def test_moderators_hear_of_held_comments_and_authors_of_new_ones(self):
        comment(self.server, {"body": "Held for now.", "email": "first@example.org"})
        messages = wait_for(self.inbox, 1)
        self.assertEqual([m["To"] for _, m in messages], ["editor@example.org"])  # not the author-role writer
        _, notice = messages[0]
        self.assertIn("awaiting moderation", subject(notice))
        text = body_of(notice)
        self.assertIn("Held for now.", text)
        self.assertIn("http://test.example/admin/comments?status=pending", text)
        self.assertIn("A first comment from this address.", text)
        self.server.set_desk_setting("comment_moderation", "hold-none")
        comment(self.server, {"body": "Straight through.", "email": "second@example.org"})
        messages = wait_for(self.inbox, 2)
        self.assertEqual(messages[1][1]["To"], "jane@test.example")
        self.assertIn("New comment on \u201cWhy Deterrence Still Works\u201d", subject(messages[1][1]))
        self.assertRegex(body_of(messages[1][1]), r"http://test\.example/why-deterrence-still-works/comments/\d+/")
        self.server.set_desk_setting("comments_notify_authors", "0")
        comment(self.server, {"body": "Quietly.", "email": "third@example.org"})
        comment(self.server, {"body": "Spam", "homepage": "x"})  # spam tells no one
        time.sleep(1)
        self.assertEqual(len(self.inbox.messages), 2)

    def test_a_commenter_exports_and_erases_their_comments_through_a_link(self):
        self.server.set_desk_setting("comment_moderation", "hold-none")
        comment(self.server, {"body": "My first view.", "email": "me@example.org", "name": "Mia"})
        _, headers, _ = comment(self.server, {"body": "Somebody else's view.", "email": "other@example.org"})
        self.assertIn(b"My first view.", self.server.get(fresh_view(headers))[2])
        self.assertEqual(self.server.get("/comments/privacy")[0], 200)
        mails_before = len(wait_for(self.inbox, 2))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, page = self.server.request("POST", "/comments/privacy", form, "email=nobody%40example.org")
        self.assertEqual(status, 200)
        self.assertIn(b"a link is on its way", page)  # the same answer, but no mail
        status, _, page = self.server.request("POST", "/comments/privacy", form, "email=me%40example.org")
        self.assertIn(b"a link is on its way", page)
        messages = wait_for(self.inbox, mails_before + 1)
        time.sleep(0.5)
        self.assertEqual(len(self.inbox.messages), mails_before + 1)
        link = re.search(r"http://test\.example(/comments/privacy/\S+)", body_of(messages[-1][1])).group(1)
        self.assertEqual(messages[-1][1]["To"], "me@example.org")
        status, headers, page = self.server.get(link)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertIn(b"My first view.", page)
        self.assertNotIn(b"Somebody else", page)
        status, headers, exported = self.server.get(link + "/export")
        self.assertEqual(status, 200)
        self.assertIn("attachment", headers["content-disposition"])
        data = json.loads(exported)
        self.assertEqual([c["text"] for c in data["comments"]], ["My first view."])
        self.assertEqual(data["comments"][0]["name"], "Mia")
        status, _, page = self.server.request("POST", link + "/erase")
        self.assertEqual(status, 200)
        self.assertIn(b"1 comment(s) erased", page)
        article = self.server.get(ARTICLE)[2]
        self.assertNotIn(b"My first view.", article)
        self.assertIn(b"Somebody else", article)
        self.assertEqual(self.server.get(link[:-5] + "AAAAA")[0], 404)
        status, _, page = self.server.request("POST", "/comments/privacy", form, "email=not-an-address")
        self.assertEqual(status, 422)


if __name__ == "__main__":
    unittest.main()
