"""The newsletter's signup, double opt-in, the reader's manage page and one-click unsubscribe,
through a real SMTP server (aiosmtpd); and the desk's subscribers page with CSV import/export."""

import html
import os
import re
import signal
import subprocess
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
    with server.database() as db:
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
        self.assertNotIn(b"not set up to send e-mail", page)
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
        # The manage page is the reader's own: never kept by the page cache, so it shows the
        # choice just saved, and nobody else's.
        page = self.server.get(manage)[2]
        self.assertIn(b'value="security" checked', page)
        self.assertNotIn(b"Saved.", page)
        # RFC 8058 one-click: what a mail client POSTs.
        status, _, page = self.server.request("POST", manage, FORM, "List-Unsubscribe=One-Click")
        self.assertEqual(status, 200)
        self.assertIn(b"unsubscribed", page)
        self.assertEqual(subscriber_rows(self.server)[0][1], "unsubscribed")
        self.assertNotIn(b'value="security" checked', self.server.get(manage)[2])
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
        csrf = harness.form_token(page, "/admin/subscribers/import")
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
        listed_page = admin.request("GET", "/admin/subscribers?q=listed")[2]
        status, _, _, _ = admin.request("POST", "/admin/subscribers", {
            "csrf": harness.form_token(listed_page, "/admin/subscribers"), "one": f"erase:{listed_id}"})
        self.assertEqual(status, 303)
        self.assertNotIn("listed@example.org", admin.request("GET", "/admin/subscribers")[2])
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        self.assertEqual(editor.request("GET", "/admin/subscribers")[0], 403)
        self.assertEqual(editor.request("GET", "/admin/subscribers.csv")[0], 403)


def add_subscriber(server, email, status="active"):
    """An existing subscriber, as an import would leave them (consent in 2024)."""
    with server.database() as db:
        db.execute("INSERT INTO subscribers(email, status, everything, created_at, consented_at, consent_source) "
                   "VALUES (?, ?, 1, 1700000000, 1700000000, 'test')", (email, status))


class RecordingSmtp:
    """An aiosmtpd handler that keeps messages with their envelopes; it can refuse recipients
    for good (550) and answer the first DATA for some recipients with 451."""

    def __init__(self, refuse=(), defer_once=()):
        self.messages = []
        self.refuse = set(refuse)
        self.defer = set(defer_once)
        self.deferred = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email as email_package
        recipient = envelope.rcpt_tos[0]
        if recipient in self.defer:
            self.defer.discard(recipient)
            self.deferred.append(recipient)
            return "451 4.3.0 Try again later"
        self.messages.append((envelope, email_package.message_from_bytes(envelope.content)))
        return "250 OK"


class Sending(unittest.TestCase):
    def start(self, handler, env=None, serve=True):
        self.handler = handler
        port = free_port()
        self.smtp = Controller(handler, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.server = harness.Server(env=dict({
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
            "BROADSHEET_NEWSLETTER_RETRY_AFTER_S": "1",
        }, **(env or {})))
        if serve:
            self.server.start()

    def tearDown(self):
        self.server.close()
        self.smtp.stop()

    def send(self, *args):
        return subprocess.run([harness.BIN, "newsletter", "send", *args, "--site", self.server.site],
                              capture_output=True, text=True, timeout=120, env=self.server.env)

    def wait_for_messages(self, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.handler.messages) < count:
            time.sleep(0.05)
        return self.handler.messages

    def test_an_issue_reaches_active_subscribers_once_with_every_header(self):
        self.start(RecordingSmtp())
        add_subscriber(self.server, "one@example.org")
        add_subscriber(self.server, "two@example.org")
        add_subscriber(self.server, "left@example.org", "unsubscribed")
        subscribe(self.server, "pending@example.org")  # never confirmed
        dry = self.send("why-deterrence-still-works", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("to 2 subscriber(s)", dry.stdout)
        done = self.send("why-deterrence-still-works")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("the running server delivers it", done.stdout)
        messages = self.wait_for_messages(3)  # the confirmation mail, then the two issues
        time.sleep(1)
        issues = [(envelope, message) for envelope, message in self.handler.messages
                  if message["Subject"] == "Why Deterrence Still Works"]
        self.assertEqual(sorted(m["To"] for _, m in issues), ["one@example.org", "two@example.org"])
        envelope, message = issues[0]
        self.assertRegex(envelope.mail_from, r"^bounces\+1-\d+@test\.example$")
        for header in ("Date", "Message-ID", "From", "List-Unsubscribe", "List-Unsubscribe-Post"):
            self.assertIsNotNone(message[header], header)
        self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        unsubscribe = re.fullmatch(r"<http://test\.example(/newsletter/unsubscribe/\S+)>",
                                   message["List-Unsubscribe"]).group(1)
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
                 if not part.is_multipart()}
        self.assertIn("AP Photo/Test Photographer", parts["text/html"])
        self.assertIn("Jane Doe", parts["text/html"])
        self.assertIn("solely those of our contributors", parts["text/html"])
        self.assertIn('src="http://test.example/uploads/', parts["text/html"])
        self.assertIn("http://test.example" + unsubscribe, parts["text/html"])
        self.assertIn("Deterrence is about belief.", parts["text/plain"])
        self.assertIn("http://test.example" + unsubscribe, parts["text/plain"])
        status = subprocess.run([harness.BIN, "newsletter", "status", "--site", self.server.site],
                                capture_output=True, text=True, timeout=30)
        self.assertRegex(status.stdout, r"#1\tdone\t2 sent\t0 failed\t0 remaining\tof 2\t")
        # One click in the reader's mail client, and the next issue skips them.
        self.assertEqual(self.server.request("POST", unsubscribe, FORM, "List-Unsubscribe=One-Click")[0], 200)
        self.assertIn("to 1 subscriber(s)", self.send("why-deterrence-still-works", "--dry-run").stdout)

    def test_editors_preview_test_and_send_from_the_desk(self):
        self.start(RecordingSmtp())
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(self.server, "writer@example.org", "contributor", PASSWORD, "Wren Writer")
        add_subscriber(self.server, "one@example.org")
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        status, _, page, _ = editor.request("GET", "/admin/newsletter")
        self.assertEqual(status, 200)
        post_id = re.search(r'<option value="(\d+)">Why Deterrence Still Works</option>', page).group(1)
        self.assertIn("1 active subscriber(s)", page)
        preview_csrf = re.search(r'name="preview_csrf" value="([^"]+)"', page).group(1)
        status, headers, preview, _ = editor.request("POST", "/admin/newsletter/preview",
                                                     {"preview_csrf": preview_csrf, "post": post_id})
        self.assertEqual(status, 200)
        self.assertIn("style-src 'unsafe-inline'", headers["Content-Security-Policy"])
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        self.assertIn("Why Deterrence Still Works", preview)
        csrf = harness.form_token(page)
        status, _, page, _ = editor.request("POST", "/admin/newsletter", {"csrf": csrf, "post": post_id, "do": "test"})
        self.assertEqual(status, 200)
        self.assertIn("A test is on its way to editor@example.org", page)
        test = self.wait_for_messages(1)[0][1]
        self.assertEqual(test["To"], "editor@example.org")
        self.assertTrue(test["Subject"].startswith("[Test]"))
        status, headers, _, _ = editor.request("POST", "/admin/newsletter",
                                               {"csrf": csrf, "post": post_id, "do": "send", "segments": "everything"})
        self.assertEqual(status, 303)
        issue = self.wait_for_messages(2)[1][1]
        self.assertEqual(issue["To"], "one@example.org")
        page = editor.request("GET", headers["Location"])[2]
        self.assertIn("is queued", page)
        writer = Browser(self.server)
        writer.sign_in("writer@example.org", PASSWORD)
        self.assertEqual(writer.request("GET", "/admin/newsletter")[0], 403)

    def test_an_editor_cancels_a_send_under_way(self):
        self.start(RecordingSmtp(), env={"BROADSHEET_NEWSLETTER_RATE": "2"})
        add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        for i in range(20):
            add_subscriber(self.server, f"slow{i:02d}@example.org")
        self.assertEqual(self.send("why-deterrence-still-works").returncode, 0)
        self.wait_for_messages(1)
        editor = Browser(self.server)
        editor.sign_in("editor@example.org", PASSWORD)
        page = editor.request("GET", "/admin/newsletter")[2]
        self.assertIn('action="/admin/newsletter/1/cancel"', page)
        csrf = harness.form_token(page, "/admin/newsletter/1/cancel")
        status, _, page, _ = editor.request("POST", "/admin/newsletter/1/cancel", {"csrf": csrf})
        self.assertEqual(status, 200)
        self.assertIn("Send #1 is cancelled", page)
        time.sleep(2)
        delivered = len(self.handler.messages)
        self.assertLess(delivered, 20)
        time.sleep(1.5)
        self.assertEqual(len(self.handler.messages), delivered)  # nothing more goes out
        status = subprocess.run([harness.BIN, "newsletter", "status", "--site", self.server.site],
                                capture_output=True, text=True, timeout=30)
        self.assertIn("#1\tcancelled\t", status.stdout)
        self.assertIn("\t0 remaining\t", status.stdout)
        self.assertEqual(editor.request("POST", "/admin/newsletter/1/cancel", {"csrf": csrf})[0], 409)

    def test_temporary_failures_are_retried_and_refusals_mark_bounced(self):
        self.start(RecordingSmtp(refuse={"gone@example.org"}, defer_once={"busy@example.org"}))
        for address in ("busy@example.org", "gone@example.org", "fine@example.org"):
            add_subscriber(self.server, address)
        self.assertEqual(self.send("why-deterrence-still-works").returncode, 0)
        messages = self.wait_for_messages(2)
        self.assertEqual(sorted(m["To"] for _, m in messages), ["busy@example.org", "fine@example.org"])
        self.assertEqual(self.handler.deferred, ["busy@example.org"])  # 451 first, then 250
        deadline = time.time() + 10
        while time.time() < deadline and ("gone@example.org", "bounced", 1, 1700000000) not in subscriber_rows(self.server):
            time.sleep(0.1)
        self.assertIn(("gone@example.org", "bounced", 1, 1700000000), subscriber_rows(self.server))
        status = subprocess.run([harness.BIN, "newsletter", "status", "--site", self.server.site],
                                capture_output=True, text=True, timeout=30)
        self.assertIn("2 sent\t1 failed\t0 remaining", status.stdout)

    def test_without_a_server_the_command_delivers_it_itself(self):
        self.start(RecordingSmtp(), serve=False)
        add_subscriber(self.server, "one@example.org")
        done = self.send("why-deterrence-still-works", "--segment", "everything")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("running server", done.stdout)
        self.assertIn("1 sent, 0 failed of 1", done.stderr)
        self.assertEqual([m["To"] for _, m in self.handler.messages], ["one@example.org"])
        bad = self.send("why-deterrence-still-works", "--segment", "nonsense")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no segment", bad.stderr)
        self.assertEqual(self.send("no-such-article").returncode, 1)

    def test_a_send_killed_midway_resumes_and_each_reader_gets_one_copy(self):
        self.start(RecordingSmtp(), env={"BROADSHEET_NEWSLETTER_RATE": "100"})
        addresses = [f"reader{i:03d}@example.org" for i in range(300)]
        with self.server.database() as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)", [(a,) for a in addresses])
        self.assertEqual(self.send("why-deterrence-still-works").returncode, 0)
        self.wait_for_messages(120)
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()
        self.server.start()
        self.wait_for_messages(300, timeout=30)
        time.sleep(1.5)
        received = [m["To"] for _, m in self.handler.messages]
        self.assertEqual(set(received), set(addresses))  # everyone got it
        repeated = {a for a in received if received.count(a) > 1}
        self.assertLessEqual(len(repeated), 100)  # at most the batch in flight at the kill
        self.assertTrue(all(received.count(a) <= 2 for a in addresses))


class Dkim(unittest.TestCase):
    """Issues are signed when a key is configured, and Python's dkim package (python3-dkim)
    verifies the signature against the key's DNS record, for RSA and for Ed25519."""

    def check(self, algorithm, openssl_args):
        import base64
        import dkim
        handler = RecordingSmtp()
        port = free_port()
        smtp = Controller(handler, hostname="127.0.0.1", port=port)
        smtp.start()
        server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
            "BROADSHEET_DKIM_SELECTOR": "mail2026",
            "BROADSHEET_DKIM_KEY_FILE": "dkim.pem",
        })
        try:
            key = os.path.join(server.site, "dkim.pem")
            subprocess.run(["openssl", "genpkey", *openssl_args, "-out", key], check=True, capture_output=True)
            public = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                                    check=True, capture_output=True).stdout
            if algorithm == "ed25519":
                record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public[-32:])
            else:
                record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
            add_subscriber(server, "reader@example.org")
            done = subprocess.run([harness.BIN, "newsletter", "send", "why-deterrence-still-works", "--site",
                                   server.site], capture_output=True, text=True, timeout=60, env=server.env)
            self.assertEqual(done.returncode, 0, done.stderr)
            envelope, message = handler.messages[0]
            self.assertIn(f"a={algorithm}-sha256", message["DKIM-Signature"])
            self.assertIn("d=test.example", message["DKIM-Signature"])
            self.assertIn("list-unsubscribe:list-unsubscribe-post", message["DKIM-Signature"])

            def dns(name, timeout=5):
                self.assertEqual(name, b"mail2026._domainkey.test.example.")
                return record
            self.assertTrue(dkim.verify(envelope.content, dnsfunc=dns))
            tampered = envelope.content.replace(b"Why Deterrence", b"Why Detergents", 1)
            self.assertFalse(dkim.verify(tampered, dnsfunc=dns))
        finally:
            server.close()
            smtp.stop()

    def test_rsa_sha256(self):
        self.check("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])

    def test_ed25519_sha256(self):
        self.check("ed25519", ["-algorithm", "ED25519"])

    def test_a_bad_key_stops_the_server_with_a_clear_message(self):
        server = harness.Server(env={"BROADSHEET_SMTP_URL": "smtp://127.0.0.1:1",
                                     "BROADSHEET_MAIL_FROM": "news@test.example",
                                     "BROADSHEET_DKIM_SELECTOR": "s", "BROADSHEET_DKIM_KEY_FILE": "missing.pem"})
        try:
            with self.assertRaises(AssertionError):
                server.start()
            self.assertIn("missing.pem", "".join(server.log))
        finally:
            server.close()


class WithoutMail(unittest.TestCase):
    def test_the_weekly_digest_takes_the_last_seven_days(self):
        server = harness.Server()
        try:
            add_subscriber(server, "reader@example.org")
            empty = harness.run("newsletter", "send", "--digest", "--dry-run", "--site", server.site)
            self.assertEqual(empty.returncode, 1)
            self.assertIn("Nothing was published in the last seven days", empty.stderr)
            today = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
            harness.write_tree(server.content, {"posts/fresh.md": f"---\ntitle: Fresh Analysis\ndate: {today}\n---\nNew.\n"})
            harness.run("import", "markdown", server.content, "--site", server.site)
            done = harness.run("newsletter", "send", "--digest", "--dry-run", "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("would send \u201cThis week in The Test Review\u201d to 1 subscriber(s)", done.stdout)
            self.assertEqual(harness.run("newsletter", "send", "--site", server.site).returncode, 2)
        finally:
            server.close()

    def test_feedback_from_a_mailbox_marks_complaints_and_bounces(self):
        server = harness.Server()
        try:
            add_subscriber(server, "reader@example.org")
            add_subscriber(server, "gone@example.org")
            mbox = os.path.join(server.dir, "feedback.mbox")
            with open(mbox, "w") as out:
                out.write("From fbl@mailbox.example Sat Nov 28 06:00:00 2026\n"
                          "Content-Type: multipart/report; report-type=feedback-report; boundary=x\n\n"
                          "--x\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n"
                          "--x\nContent-Type: text/rfc822-headers\n\nTo: reader@example.org\n\n--x--\n"
                          "From MAILER-DAEMON Sat Nov 28 06:00:00 2026\n"
                          "Content-Type: multipart/report; report-type=delivery-status; boundary=y\n\n"
                          "--y\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay\n\n"
                          "Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\n--y--\n")
            done = harness.run("newsletter", "feedback", mbox, "--site", server.site)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("read 2 message(s): 1 bounce(s) counted, 1 complaint(s), 0 ignored", done.stdout)
            statuses = {row[0]: row[1] for row in subscriber_rows(server)}
            self.assertEqual(statuses, {"reader@example.org": "complained", "gone@example.org": "bounced"})
            self.assertEqual(harness.run("newsletter", "feedback", "/no/such/file", "--site", server.site).returncode, 1)
        finally:
            server.close()

    def test_signup_is_closed_honestly_when_the_site_cannot_send_mail(self):
        server = harness.Server().start()
        try:
            self.assertIn(b"not set up to send e-mail", server.get("/newsletter")[2])
            self.assertNotIn(b'action="/newsletter/subscribe"', server.get("/newsletter")[2])
            status, _, page = subscribe(server, "reader@example.org")
            self.assertEqual(status, 503)
            self.assertNotIn(b'action="/newsletter/subscribe"', page)
            self.assertEqual(subscriber_rows(server), [])
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
