"""The newsletter's signup, double opt-in, the reader's manage page and one-click unsubscribe,
through a real SMTP server (aiosmtpd); and the desk's subscribers page with CSV import/export."""

import html
import os
import re
import sqlite3
import time
import unittest
import urllib.parse
import uuid

from aiosmtpd.controller import Controller

import harness
from test_desk import PASSWORD, Browser, add_user
from test_mail import Inbox, body_of, free_port, wait_for

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def subscribe(server, email, *segments):
    fields = [("email", email)] + [("segments", s) for s in segments]
    return server.request("POST", "/newsletter/subscribe", FORM, urllib.parse.urlencode(fields))


def subscriber_rows(server):
    with sqlite3.connect(os.path.join(server.site, "broadsheet.db")) as db:
        return db.execute("SELECT email, status, everything, consented_at FROM subscribers ORDER BY id").fetchall()


class Newsletter(unittest.TestCase):
    def setUp(self):
        self.inbox = Inbox()
        port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
        })
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        self.server.start()

    def tearDown(self):
        self.server.close()
        self.smtp.stop()

    def link(self, message, path):
        found = re.search(r"http://test\.example(" + re.escape(path) + r"\S+)", body_of(message))
        self.assertIsNotNone(found, body_of(message))
        return found.group(1)

    def test_double_opt_in_then_sections_then_one_click_unsubscribe(self):
        status, _, page = self.server.get("/newsletter")
        self.assertEqual(status, 200)
        self.assertIn(b'value="economy"', page)
        status, headers, page = subscribe(self.server, "reader@example.org", "economy")
        self.assertEqual(status, 200)
        self.assertIn(b"check your inbox", page)
        self.assertNotIn("set-cookie", headers)
        self.assertEqual(subscriber_rows(self.server), [("reader@example.org", "pending", 0, None)])
        confirm = self.link(wait_for(self.inbox, 1)[0][1], "/newsletter/confirm/")
        self.assertEqual(wait_for(self.inbox, 1)[0][1]["To"], "reader@example.org")
        status, _, page = self.server.get(confirm)
        self.assertEqual(status, 200)
        self.assertIn(b"You are subscribed", page)
        self.assertEqual(subscriber_rows(self.server)[0][1], "active")
        self.assertIsNotNone(subscriber_rows(self.server)[0][3])  # the consent date
        welcome = wait_for(self.inbox, 2)[1][1]
        self.assertIn("Welcome", welcome["Subject"])
        manage = self.link(welcome, "/newsletter/unsubscribe/")
        self.assertEqual(self.server.get(confirm[:-3] + "xyz")[0], 404)

        # The manage page: GET changes nothing; the reader chooses sections, then leaves.
        status, _, page = self.server.get(manage)
        self.assertEqual(status, 200)
        self.assertIn(b'value="economy" checked', page)
        self.assertEqual(subscriber_rows(self.server)[0][1], "active")
        token = manage.rsplit("/", 1)[1]
        status, headers, _ = self.server.request("POST", "/newsletter/manage/" + token, FORM,
                                                 "segments=security&segments=economy")
        self.assertEqual(status, 303)
        page = self.server.get(headers["location"])[2]
        self.assertIn(b'value="security" checked', page)
        self.assertIn(b"Saved.", page)
        # RFC 8058 one-click: what a mail client POSTs.
        status, _, page = self.server.request("POST", manage, FORM, "List-Unsubscribe=One-Click")
        self.assertEqual(status, 200)
        self.assertIn(b"unsubscribed", page)
        self.assertEqual(subscriber_rows(self.server)[0][1], "unsubscribed")
        self.assertEqual(self.server.request("POST", manage[:-2] + "zz", FORM, "")[0], 404)

    def test_the_answer_never_reveals_a_subscription(self):
        subscribe(self.server, "first@example.org")
        self.server.get(self.link(wait_for(self.inbox, 1)[0][1], "/newsletter/confirm/"))
        wait_for(self.inbox, 2)
        _, _, known = subscribe(self.server, "first@example.org")
        _, _, unknown = subscribe(self.server, "second@example.org")
        self.assertEqual(known.replace(b"first", b"X"), unknown.replace(b"second", b"X"))
        messages = wait_for(self.inbox, 4)
        self.assertIn("already subscribed", messages[2][1]["Subject"])
        self.assertEqual(subscriber_rows(self.server)[0][1], "active")

    def test_bad_addresses_injection_and_floods_are_refused_and_store_nothing(self):
        for bad in ["not-an-address", "", "a@b", "x@example.org\r\nBcc: victim@example.org",
                    "x" * 300 + "@example.org"]:
            status, headers, page = subscribe(self.server, bad)
            self.assertEqual(status, 400, bad)
            self.assertIn(b"valid e-mail address", page)
        self.assertEqual(subscriber_rows(self.server), [])
        statuses = [subscribe(self.server, f"flood{i}@example.org")[0] for i in range(7)]
        self.assertEqual(statuses[:5], [200] * 5)
        self.assertEqual(statuses[5:], [429, 429])
        time.sleep(0.5)
        self.assertEqual(len(self.inbox.messages), 5)

    def test_administrators_list_export_import_and_erase(self):
        subscribe(self.server, "listed@example.org")
        admin = Browser(self.server)
        admin.sign_in("admin@example.org", PASSWORD)
        status, _, page, _ = admin.request("GET", "/admin/subscribers")
        self.assertEqual(status, 200)
        self.assertIn("listed@example.org", page)
        self.assertIn("Awaiting confirmation (1)", page)
        csrf = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page).group(1))
        boundary = uuid.uuid4().hex
        csv = ("email,status,consented_at,sections\r\nimported@example.org,active,2024-05-01T12:00:00Z,economy\r\n"
               "noconsent@example.org,active,,\r\n")
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n")
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        connection.request("POST", "/admin/subscribers/import", body=body.encode(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in admin.cookies.items())})
        response = connection.getresponse()
        page = response.read().decode()
        connection.close()
        self.assertEqual(response.status, 200, page)
        self.assertIn("1 added, 0 updated", page)
        self.assertIn("line 3: no consent date", page)
        status, headers, exported, _ = admin.request("GET", "/admin/subscribers.csv")
        self.assertEqual(status, 200)
        self.assertIn("text/csv", headers["Content-Type"])
        self.assertIn("imported@example.org,active,0,economy,", exported)
        self.assertIn("2024-05-01T12:00:00Z,import,", exported)
        listed_id = re.search(r'value="erase:(\d+)"', admin.request("GET", "/admin/subscribers?q=listed")[2]).group(1)
        status, _, _, _ = admin.request("POST", "/admin/subscribers", {"csrf": csrf, "one": f"erase:{listed_id}"})
        self.assertEqual(status, 303)
        self.assertNotIn("listed@example.org", admin.request("GET", "/admin/subscribers")[2])
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        self.assertEqual(editor.request("GET", "/admin/subscribers")[0], 403)
        self.assertEqual(editor.request("GET", "/admin/subscribers.csv")[0], 403)


class WithoutMail(unittest.TestCase):
    def test_signup_is_closed_honestly_when_the_site_cannot_send_mail(self):
        server = harness.Server().start()
        try:
            status, _, page = subscribe(server, "reader@example.org")
            self.assertEqual(status, 503)
            self.assertIn(b"cannot send e-mail", page)
            self.assertEqual(subscriber_rows(server), [])
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
