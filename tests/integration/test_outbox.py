"""The mail outbox keeps what it has promised: a password link acknowledged to a person reaches
them once, even when the SMTP server is down at the time and the server is killed (SIGKILL) before
the mail server comes back; a temporary refusal is tried again; what was sent is not sent again
after a restart."""

import re
import signal
import time
import unittest

from aiosmtpd.controller import Controller

import harness
from test_desk import PASSWORD, Browser, add_user
from test_mail import Inbox, body_of, free_port, wait_for


class Flaky(Inbox):
    """Answers 451 (try again later) to the first `refusals` messages, then keeps them."""

    def __init__(self, refusals):
        super().__init__()
        self.refusals = refusals
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refused < self.refusals:
            self.refused += 1
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


class DurableOutbox(unittest.TestCase):
    def setUp(self):
        self.port = free_port()
        self.smtp = None
        self.server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{self.port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <desk@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
        })
        add_user(self.server, "writer@example.org", "author", PASSWORD, "Wes Writer")
        self.server.start()

    def tearDown(self):
        self.server.close()
        if self.smtp:
            self.smtp.stop()

    def start_smtp(self, inbox):
        self.smtp = Controller(inbox, hostname="127.0.0.1", port=self.port)
        self.smtp.start()
        return inbox

    def ask_for_reset(self):
        browser = Browser(self.server)
        token = browser.csrf("/admin/reset")
        status, _, page, _ = browser.request("POST", "/admin/reset",
                                             {"csrf": token, "email": "writer@example.org"})
        self.assertEqual(status, 200, page)
        self.assertIn("If an account exists", page)
        return browser

    def restart(self, sig):
        self.server.stop(sig)
        self.server.process.stdout.close()
        self.server.start()

    def test_a_link_promised_while_smtp_is_down_arrives_once_after_a_kill(self):
        browser = self.ask_for_reset()  # nothing listens on the SMTP port yet
        time.sleep(1)  # the first attempt fails; the next would be ten seconds later
        self.server.stop(signal.SIGKILL)
        inbox = self.start_smtp(Inbox())  # the mail server is back while Broadsheet is down
        self.server.process.stdout.close()
        self.server.start()
        # The new process tries what is queued at once, not after the wait between attempts.
        messages = wait_for(inbox, 1, timeout=10)
        self.assertEqual(len(messages), 1, "".join(self.server.log))
        envelope, message = messages[0]
        self.assertEqual(envelope.rcpt_tos, ["writer@example.org"])
        link = re.search(r"http://test\.example(/admin/password/[A-Za-z0-9_-]+)", body_of(message)).group(1)
        page = browser.request("GET", link)[2]
        self.assertIn("password", page)
        # Sent once; another restart sends nothing again.
        self.restart(signal.SIGTERM)
        time.sleep(2)
        self.assertEqual(len(inbox.messages), 1)

    def test_a_temporary_refusal_is_tried_again(self):
        inbox = self.start_smtp(Flaky(refusals=1))
        self.ask_for_reset()
        messages = wait_for(inbox, 1, timeout=30)
        self.assertEqual(inbox.refused, 1)
        self.assertEqual(len(messages), 1, "".join(self.server.log))
        self.assertEqual(messages[0][0].rcpt_tos, ["writer@example.org"])

    def test_a_sent_link_is_not_sent_again_after_a_kill(self):
        inbox = self.start_smtp(Inbox())
        self.ask_for_reset()
        self.assertEqual(len(wait_for(inbox, 1)), 1)
        time.sleep(0.5)  # marked sent right after the server's 250
        self.restart(signal.SIGKILL)
        time.sleep(2)
        self.assertEqual(len(inbox.messages), 1)


if __name__ == "__main__":
    unittest.main()
