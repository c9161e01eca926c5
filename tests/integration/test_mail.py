"""Mail from the desk through a real SMTP server (aiosmtpd, run by the test): password resets and
invitations arrive, with working links; authentication is used when configured."""

import base64
import email
import html
import re
import socket
import unittest

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import harness
from test_desk import PASSWORD, Browser, add_user


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope, email.message_from_bytes(envelope.content)))
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body_of(message):
    part = message.get_payload(decode=True)
    return part.decode()


def wait_for(inbox, count, timeout=10):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline and len(inbox.messages) < count:
        time.sleep(0.05)
    return inbox.messages


class MailFromTheDesk(unittest.TestCase):
    def setUp(self):
        self.inbox = Inbox()
        self.logins = []

        def authenticate(server, session, envelope, mechanism, auth_data):
            self.logins.append((auth_data.login, auth_data.password))
            ok = auth_data.login == b"desk" and auth_data.password == b"smtp-secret"
            return AuthResult(success=ok)

        port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=port, authenticator=authenticate,
                               auth_require_tls=False)
        self.smtp.start()
        self.server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_SMTP_USERNAME": "desk",
            "BROADSHEET_SMTP_PASSWORD": "smtp-secret",
            "BROADSHEET_MAIL_FROM": "The Test Review <desk@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
        })
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        add_user(self.server, "writer@example.org", "author", PASSWORD, "Wes Writer")
        self.server.start()

    def tearDown(self):
        self.server.close()
        self.smtp.stop()

    def test_password_reset_mail_arrives_and_its_link_works_once(self):
        browser = Browser(self.server)
        token = browser.csrf("/admin/reset")
        status, _, page, _ = browser.request("POST", "/admin/reset", {"csrf": token, "email": "writer@example.org"})
        self.assertEqual(status, 200)
        self.assertIn("If an account exists", page)
        envelope, message = wait_for(self.inbox, 1)[0]
        self.assertEqual(envelope.rcpt_tos, ["writer@example.org"])
        self.assertEqual(envelope.mail_from, "desk@test.example")
        self.assertEqual(message["Subject"], "Reset your The Test Review password")
        self.assertIn("desk@test.example", message["From"])
        self.assertIsNotNone(message["Message-ID"])
        self.assertIn((b"desk", b"smtp-secret"), self.logins)
        link = re.search(r"http://test\.example(/admin/password/[A-Za-z0-9_-]+)", body_of(message)).group(1)
        page = browser.request("GET", link)[2]
        csrf = harness.form_token(page)
        new_password = "an entirely new passphrase"
        status, _, _, _ = browser.request("POST", link, {"csrf": csrf, "password": new_password, "confirm": new_password})
        self.assertEqual(status, 303)
        self.assertEqual(Browser(self.server).sign_in("writer@example.org", new_password)[0], 303)
        self.assertEqual(Browser(self.server).sign_in("writer@example.org", PASSWORD)[0], 401)
        self.assertEqual(browser.request("GET", link)[0], 404)

    def test_unknown_addresses_get_the_same_answer_and_no_mail(self):
        browser = Browser(self.server)
        token = browser.csrf("/admin/reset")
        status, _, page, _ = browser.request("POST", "/admin/reset", {"csrf": token, "email": "nobody@example.org"})
        self.assertEqual(status, 200)
        self.assertIn("If an account exists", page)
        self.assertEqual(wait_for(self.inbox, 1, timeout=1), [])

    def test_an_administrator_invites_a_writer_by_mail(self):
        admin = Browser(self.server)
        self.assertEqual(admin.sign_in("admin@example.org", PASSWORD)[0], 303)
        page = admin.request("GET", "/admin/users")[2]
        csrf = html.unescape(re.search(r'action="/admin/users/invite">\s*<input type="hidden" name="csrf" value="([^"]+)"', page).group(1))
        status, _, page, _ = admin.request("POST", "/admin/users/invite", {
            "csrf": csrf, "name": "Nia Newcomer", "email": "nia@example.org", "role": "contributor"})
        self.assertEqual(status, 200)
        self.assertIn("Invitation sent to nia@example.org", page)
        envelope, message = wait_for(self.inbox, 1)[0]
        self.assertEqual(envelope.rcpt_tos, ["nia@example.org"])
        self.assertIn("invited", message["Subject"])
        link = re.search(r"http://test\.example(/admin/password/\S+)", body_of(message)).group(1)
        browser = Browser(self.server)
        page = browser.request("GET", link)[2]
        self.assertIn("Nia Newcomer", page)
        # An administrator cannot make an owner.
        status, _, page, _ = admin.request("POST", "/admin/users/invite", {
            "csrf": csrf, "name": "Otto", "email": "otto@example.org", "role": "owner"})
        self.assertEqual(status, 422)

    def submitted_by_writer(self, title):
        """A post the writer submitted for review, an editor signed in to review it, and the writer."""
        from test_editor import FIELDS, form_of
        done = add_user(self.server, "editor@example.org", "editor", PASSWORD, "Edie Editor")
        self.assertEqual(done.returncode, 0, done.stderr)
        writer = Browser(self.server)
        self.assertEqual(writer.sign_in("writer@example.org", PASSWORD)[0], 303)
        csrf, count = form_of(writer.request("GET", "/admin/posts/new")[2])
        status, headers, _, _ = writer.request("POST", "/admin/posts", dict(
            FIELDS, csrf=csrf, edit_count=count, title=title, **{"do": "submit"}))
        self.assertEqual(status, 303)
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        return headers["Location"].split("?")[0], editor, writer

    def test_a_writer_is_mailed_when_their_post_is_returned(self):
        post, editor, writer = self.submitted_by_writer("Returned Piece")
        page = editor.request("GET", post)[2]
        token = harness.form_token(page, re.escape(post + "/return"))
        status, _, _, _ = editor.request("POST", post + "/return", {"csrf": token, "note": "Cut the second half."})
        self.assertEqual(status, 303)
        envelope, message = wait_for(self.inbox, 1)[0]
        self.assertEqual(envelope.rcpt_tos, ["writer@example.org"])
        self.assertIn("Returned Piece", message["Subject"])
        body = body_of(message)
        self.assertIn("Cut the second half.", body)
        self.assertIn("Edie Editor", body)
        self.assertIn("http://test.example" + post, body)

    def test_a_return_whose_mail_cannot_be_queued_still_succeeds_with_a_notice(self):
        post, editor, writer = self.submitted_by_writer("Unmailed Piece")
        token = harness.form_token(editor.request("GET", post)[2], re.escape(post + "/return"))
        # The mail outbox refuses the message after the return was committed.
        postgres = bool(self.server.database_url)
        with self.server.database() as db:
            if postgres:
                db.execute("CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$")
                db.execute("CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox "
                           "FOR EACH ROW EXECUTE FUNCTION refuse_mail()")
            else:
                db.execute("CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox "
                           "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        try:
            status, headers, _, _ = editor.request("POST", post + "/return", {"csrf": token, "note": "Shorter."})
        finally:
            with self.server.database() as db:
                db.execute("DROP TRIGGER refuse_mail" + (" ON mail_outbox" if postgres else ""))
        # Done, and said to be done, with a notice that the writer was not mailed.
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], post + "?saved=returned-unmailed")
        page = editor.request("GET", headers["Location"])[2]
        self.assertIn("could not be e-mailed", page)
        self.assertIn("status-draft", page)
        self.assertIn("Shorter.", writer.request("GET", post)[2])
        self.assertEqual(wait_for(self.inbox, 1, timeout=1), [])

    def test_only_administrators_manage_users(self):
        writer = Browser(self.server)
        writer.sign_in("writer@example.org", PASSWORD)
        self.assertEqual(writer.request("GET", "/admin/users")[0], 403)


class StartTls(unittest.TestCase):
    """With require_tls, the password and the message travel only inside STARTTLS."""

    def test_mail_goes_through_starttls_to_a_server_with_its_own_certificate(self):
        import os
        import ssl
        import subprocess
        import tempfile
        folder = tempfile.mkdtemp(prefix="broadsheet-tls-")
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        inbox = Inbox()
        tls_seen = []

        def authenticate(server, session, envelope, mechanism, auth_data):
            tls_seen.append(session.ssl is not None)
            return AuthResult(success=auth_data.login == b"desk")

        port = free_port()
        smtp = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                          authenticator=authenticate, auth_require_tls=True)
        smtp.start()
        server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}", "BROADSHEET_SMTP_USERNAME": "desk",
            "BROADSHEET_SMTP_PASSWORD": "smtp-secret", "BROADSHEET_MAIL_FROM": "desk@test.example",
            "BROADSHEET_SMTP_REQUIRE_TLS": "true", "BROADSHEET_SMTP_CA_FILE": cert})
        try:
            add_user(server, "writer@example.org", "author", PASSWORD, "Wes Writer")
            server.start()
            browser = Browser(server)
            token = browser.csrf("/admin/reset")
            browser.request("POST", "/admin/reset", {"csrf": token, "email": "writer@example.org"})
            envelope, message = wait_for(inbox, 1)[0]
            self.assertEqual(envelope.rcpt_tos, ["writer@example.org"])
            self.assertEqual(tls_seen, [True])
        finally:
            server.close()
            smtp.stop()


class WithoutMail(unittest.TestCase):
    def test_reset_says_mail_is_not_configured_and_invitations_show_the_link(self):
        server = harness.Server()
        try:
            add_user(server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
            server.start()
            page = Browser(server).request("GET", "/admin/reset")[2]
            self.assertIn("cannot send e-mail yet", page)
            admin = Browser(server)
            admin.sign_in("admin@example.org", PASSWORD)
            page = admin.request("GET", "/admin/users")[2]
            csrf = harness.form_token(page, "/admin/users/invite")
            status, _, page, _ = admin.request("POST", "/admin/users/invite", {
                "csrf": csrf, "name": "Nia", "email": "nia@example.org", "role": "author"})
            self.assertEqual(status, 200)
            self.assertRegex(page, r'value="http://127\.0\.0\.1:8080/admin/password/[A-Za-z0-9_-]+" readonly')
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
