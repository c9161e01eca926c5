"""Floods and failures on the public site (issue 13, items 9, 10 and 14): a client posting comments
faster than anyone writes meets 429 with its text kept while others still comment; moderators get
one mail for many held comments; a client searching in a loop meets 429; a failed save (full disk,
database busy) keeps the reader's text and says what went wrong; long comment sections are paged."""

import html
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from test_comments import ARTICLE, comment
from test_desk import PASSWORD, add_user
from test_mail import Inbox, body_of, free_port, wait_for

PROXY = {"BROADSHEET_TRUSTED_PROXIES": "127.0.0.1"}


def from_client(address):
    """Headers of a request relayed by the trusted local proxy for `address`."""
    return {"X-Forwarded-For": address}


def form_values(page):
    """The comment form's visible fields as the page shows them."""
    text = page.decode()
    form = text[text.index('id="respond"'):]
    values = {name: html.unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1))
              for name in ("name", "email", "website")}
    values["body"] = html.unescape(re.search(r'name="body"[^>]*>([^<]*)</textarea>', form).group(1))
    return values


class CommentFloods(unittest.TestCase):
    def setUp(self):
        # The defaults: five a minute, thirty an hour.
        self.server = harness.Server(env=dict(PROXY, BROADSHEET_COMMENTS_PER_MINUTE="5",
                                              BROADSHEET_COMMENTS_PER_HOUR="30")).start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.server.set_desk_setting("comment_moderation", "hold-none")

    def tearDown(self):
        self.server.close()

    def test_a_flood_from_one_address_meets_429_with_its_text_kept_while_others_comment(self):
        flooder = from_client("203.0.113.7")
        for i in range(5):  # the default burst: five a minute
            status, _, _ = comment(self.server, {"body": f"Point number {i}."}, headers=flooder)
            self.assertEqual(status, 303, i)
        fields = {"body": "One more <thought> & a link", "name": "Flo Oder", "email": "flo@example.org",
                  "website": "https://flo.example/"}
        status, headers, page = comment(self.server, fields, headers=flooder)
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertLessEqual(int(headers["retry-after"]), 60)
        self.assertEqual(form_values(page), {k: fields[k] for k in ("name", "email", "website", "body")})
        self.assertIn(b'class="comment-error"', page)
        # Another reader is not held back by the flood.
        status, _, _ = comment(self.server, {"body": "Meanwhile, a calm reply."}, headers=from_client("198.51.100.4"))
        self.assertEqual(status, 303)
        with self.server.database() as db:
            stored = db.execute("SELECT count(*) FROM comments").fetchone()[0]
        self.assertEqual(stored, 6)  # the refused one was not stored


class SearchFloods(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(env=dict(PROXY, BROADSHEET_SEARCHES_PER_MINUTE="10")).start()

    def tearDown(self):
        self.server.close()

    def test_a_search_flood_meets_429_in_html_and_json(self):
        client = from_client("203.0.113.9")
        for i in range(10):
            path = "/search.json?q=deterrence" if i % 2 else f"/search?q=deterrence+{i}"
            self.assertEqual(self.server.get(path, client)[0], 200, i)
        status, headers, page = self.server.get("/search?q=deterrence", client)
        self.assertEqual(status, 429)
        self.assertIn("retry-after", headers)
        status, headers, body = self.server.get("/search.json?q=deterrence", client)
        self.assertEqual(status, 429)
        self.assertEqual(headers["content-type"].split(";")[0], "application/json")
        import json
        self.assertEqual(json.loads(body)["error"]["code"], "rate_limited")
        self.assertEqual(self.server.get("/search?q=deterrence", from_client("198.51.100.4"))[0], 200)


class ModeratorDigest(unittest.TestCase):
    def setUp(self):
        self.inbox = Inbox()
        port = free_port()
        from aiosmtpd.controller import Controller
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.server = harness.Server(env=dict(PROXY, **{
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <desk@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
            "BROADSHEET_MODERATOR_NOTICE_INTERVAL_S": "3",
        }))
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        self.server.start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.server.set_desk_setting("comment_moderation", "hold-all")

    def tearDown(self):
        self.server.close()
        self.smtp.stop()

    def test_many_held_comments_make_one_mail_listing_them(self):
        comment(self.server, {"body": "The first one, alone."}, headers=from_client("192.0.2.1"))
        self.assertEqual(len(wait_for(self.inbox, 1)), 1)  # the first after a quiet spell: at once
        for i in range(12):
            status, _, _ = comment(self.server, {"body": f"Held number {i}.", "email": f"r{i}@example.org"},
                                   headers=from_client(f"192.0.2.{10 + i}"))
            self.assertEqual(status, 303)
        time.sleep(0.5)
        self.assertEqual(len(self.inbox.messages), 1)  # kept for the next notice
        messages = wait_for(self.inbox, 2, timeout=15)
        time.sleep(1)
        self.assertEqual(len(self.inbox.messages), 2)
        digest = messages[1][1]
        self.assertEqual(digest["To"], "editor@example.org")
        self.assertIn("12 comments awaiting moderation", str(digest["Subject"]))
        text = body_of(digest)
        for i in range(12):
            self.assertIn(f"Held number {i}.", text)
        self.assertIn("http://test.example/admin/comments?status=pending", text)


class CommentPages(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()

    def tearDown(self):
        self.server.close()

    def test_a_long_comment_section_is_paged(self):
        self.server.stop()
        with self.server.database() as db:
            post = db.execute("SELECT id FROM posts WHERE slug = 'why-deterrence-still-works'").fetchone()[0]
            for i in range(1, 61):
                db.execute("INSERT INTO comments(post_id, status, author_name, author_email, body_markdown, "
                           "body_html, created_at) VALUES (?, 'approved', 'R', 'r@example.org', ?, ?, ?)",
                           (post, f"Comment {i}.", f"<p>Comment {i}.</p>", 1700000000 + i))
            first_reply_to = db.execute("SELECT id FROM comments WHERE body_markdown = 'Comment 1.'").fetchone()[0]
            db.execute("INSERT INTO comments(post_id, parent_id, status, author_name, author_email, body_markdown, "
                       "body_html, created_at) VALUES (?, ?, 'approved', 'S', 's@example.org', 'A late reply.', "
                       "'<p>A late reply.</p>', 1800000000)", (post, first_reply_to))
        self.server.start()
        page = self.server.get(ARTICLE)[2].decode()
        self.assertIn("61 comments", page)
        self.assertIn("<p>Comment 60.</p>", page)  # the newest threads first
        self.assertNotIn("<p>Comment 1.</p>", page)
        older = re.search(r'href="([^"]+)"[^>]*>Older comments', page).group(1).split("#")[0]
        self.assertEqual(older, ARTICLE + "comments/page/2/")
        status, _, second = self.server.get(older)
        self.assertEqual(status, 200)
        second = second.decode()
        self.assertIn("<p>Comment 1.</p>", second)
        self.assertIn("<p>A late reply.</p>", second)  # a reply stays with its thread
        self.assertNotIn("<p>Comment 60.</p>", second)
        self.assertIn('id="respond"', second)
        self.assertIn("61 comments", second)
        self.assertIn(f'href="{ARTICLE}#comments"', second)  # back to the newest
        self.assertEqual(self.server.get(ARTICLE + "comments/page/3/")[0], 404)
        self.assertEqual(self.server.get(ARTICLE + "comments/page/0/")[0], 404)


class FailedSaves(unittest.TestCase):
    """A failed save keeps the reader's text and says what went wrong."""

    def tearDown(self):
        if getattr(self, "server", None):
            self.server.close()
        if getattr(self, "mount", None):
            subprocess.run(["umount", "-l", self.mount], capture_output=True)
            os.rmdir(self.mount)

    def test_a_full_disk_answers_507_with_the_text_kept(self):
        if harness.STORE_POSTGRES:
            self.skipTest("the site's disk is filled, and a PostgreSQL site keeps its data on the "
                          "database server's")
        self.mount = tempfile.mkdtemp(prefix="broadsheet-full-")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", self.mount],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            os.rmdir(self.mount)
            self.mount = None
            self.skipTest("cannot mount a small tmpfs here (needs root): " + mounted.stderr.strip())
        saved, tempfile.tempdir = tempfile.tempdir, self.mount
        try:
            self.server = harness.Server(env={"BROADSHEET_ACCESS_LOG": "off"})
        finally:
            tempfile.tempdir = saved
        self.server.start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.assertEqual(comment(self.server, {"body": "Before the disk filled."})[0], 303)
        filler = os.path.join(self.mount, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=64k"], capture_output=True)
        fields = {"body": "Words that must not be lost.", "name": "Disk Reader", "email": "disk@example.org"}
        status, headers, page = comment(self.server, fields)
        self.assertEqual(status, 507)
        values = form_values(page)
        self.assertEqual((values["body"], values["name"], values["email"]),
                         (fields["body"], fields["name"], fields["email"]))
        self.assertIn(b'class="comment-error"', page)
        os.remove(filler)
        status, _, _ = comment(self.server, fields)
        self.assertEqual(status, 303)  # room again: the same form goes through

    def test_a_database_busy_past_its_timeout_answers_503_with_the_text_kept(self):
        self.server = harness.Server().start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.assertEqual(comment(self.server, {"body": "Before the lock."})[0], 303)
        blocker = self.server.hold_writes()  # as another process would
        try:
            fields = {"body": "Patience is a virtue.", "name": "Busy Reader", "email": "busy@example.org"}
            status, headers, page = comment(self.server, fields)
        finally:
            blocker.release()
        self.assertEqual(status, 503)
        self.assertIn("retry-after", headers)
        values = form_values(page)
        self.assertEqual((values["body"], values["name"]), (fields["body"], fields["name"]))
        self.assertEqual(comment(self.server, fields)[0], 303)

    def test_a_save_waiting_for_the_lock_holds_up_no_reader(self):
        self.server = harness.Server().start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        blocker = self.server.hold_writes()  # as another process would
        answers = {}
        waiting = threading.Thread(
            target=lambda: answers.setdefault("comment", comment(self.server, {"body": "My turn?"})))
        try:
            waiting.start()
            time.sleep(0.5)  # the comment is waiting for the lock by now
            status, _, page = self.server.get("/search?q=deterrence")  # reads the database
            answered_while_waiting = waiting.is_alive()
        finally:
            blocker.release()
            waiting.join()
        self.assertEqual(status, 200)
        self.assertIn(b"1 result for", page)
        self.assertTrue(answered_while_waiting)
        # Released within the comment's time, the lock lets it through, unless one of the server's
        # own background writes took the connection first and used that time up.
        self.assertIn(answers["comment"][0], (303, 503))


if __name__ == "__main__":
    unittest.main()
