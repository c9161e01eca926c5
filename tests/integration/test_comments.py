"""Reader comments: the form, moderation (hold first), threads, safe rendering, the operators'
commands, and durability across SIGKILL."""

import re
import signal
import subprocess
import unittest
import urllib.parse

import harness

ARTICLE = "/why-deterrence-still-works/"


def comment(server, fields, path=ARTICLE):
    body = urllib.parse.urlencode(dict({"name": "Reader", "email": "reader@example.org", "website": "",
                                        "body": "A thoughtful reply.", "parent": "0"}, **fields))
    return server.request("POST", path + "comments", body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})


def cli(server, *args):
    return harness.run("comments", *args, "--site", server.site)


class Comments(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()

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
        self.assertRegex(headers["location"], r"^" + re.escape(ARTICLE) + r"#comment-\d+$")
        page = self.server.get(ARTICLE)[2].decode()
        self.assertIn("Second, straight through.", page)
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
        csrf = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page.split("sign-out")[1]).group(1))
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
        csrf = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page).group(1))
        fields = {"csrf": csrf, "title": "The Test Review", "description": "", "base_url": "", "disclaimer": "Ours.",
                  "timezone": "UTC", "language": "en", "comment_moderation": "hold-none", "comments_close_after_days": "0"}
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        status, headers, _ = comment(self.server, {"body": "Straight onto the page."})
        self.assertRegex(headers["location"], r"#comment-\d+$")
        self.assertIn(b"Straight onto the page.", self.server.get(ARTICLE)[2])
        # The article is from 2024: closing comments after 30 days closes it.
        fields["comments_close_after_days"] = "30"
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        self.assertIn(b"Comments are closed.", self.server.get(ARTICLE)[2])
        status, _, body = comment(self.server, {"body": "Too late."})
        self.assertEqual(status, 422)
        self.assertIn(b"closed", body)

    def test_the_honeypot_marks_spam_without_refusing(self):
        status, headers, _ = comment(self.server, {"homepage": "http://spam.example", "body": "Buy now"})
        self.assertEqual(status, 303)
        self.assertIn("Buy now", cli(self.server, "list", "--status", "spam").stdout)
        self.assertNotIn(b"Buy now", self.server.get(ARTICLE)[2])


if __name__ == "__main__":
    unittest.main()
