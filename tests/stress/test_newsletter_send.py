"""A newsletter send with the desk in use: the running server delivers an issue to a few hundred
subscribers through a local SMTP sink (aiosmtpd) while an editor publishes, staff browse the desk,
readers subscribe and read."""

import os
import sqlite3
import subprocess
import threading
import time
import unittest

from aiosmtpd.controller import Controller

import stress
from stress import harness

SUBSCRIBERS = 200


class Sink:
    """Accepts every message; counts recipients."""

    def __init__(self):
        self.recipients = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


class NewsletterSend(stress.StressCase, unittest.TestCase):
    def test_send_while_the_desk_is_in_use(self):
        sink = Sink()
        smtp = Controller(sink, hostname="127.0.0.1", port=harness_free_port())
        smtp.start()
        self.addCleanup(smtp.stop)
        env = {"BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
               "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
               "BROADSHEET_BASE_URL": "http://test.example", "BROADSHEET_NEWSLETTER_RATE": "0",
               "BROADSHEET_NEWSLETTER_CONCURRENCY": "4"}
        self.server = harness.Server(env=env)
        with sqlite3.connect(os.path.join(self.server.site, "broadsheet.db")) as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)",
                           ((f"reader{i:04d}@example.org",) for i in range(SUBSCRIBERS)))
        stress.add_user(self.server, "editor@example.org", "editor", stress.PASSWORD, "Eda Editor")
        stress.add_user(self.server, "admin@example.org", "administrator", stress.PASSWORD, "Ada Admin")
        self.server.start()
        editor = stress.Editor(self.server)
        admin = stress.sign_in(self.server, "admin@example.org")
        admin_lock = threading.Lock()

        queued = subprocess.run([harness.BIN, "newsletter", "send", "why-deterrence-still-works", "--site", self.server.site],
                                capture_output=True, text=True, env=self.server.env, timeout=120)
        self.assertEqual(queued.returncode, 0, queued.stdout + queued.stderr)

        def use(client, rng):
            choice = rng.random()
            if choice < 0.3:
                with admin_lock:  # one browser's cookie jar
                    path = rng.choice(["/admin/", "/admin/newsletter", "/admin/subscribers", "/admin/posts", "/admin/comments"])
                    status = admin.request("GET", path)[0]
                assert status == 200, (path, status)
            elif choice < 0.5:
                email = f"new{rng.randrange(10 ** 9)}@example.org"
                status, _, _ = client.request("POST", "/newsletter/subscribe", f"email={email}",
                                              {"Content-Type": "application/x-www-form-urlencoded"})
                assert status in (200, 303, 429), status
            else:
                status, _, _ = client.request("GET", rng.choice(["/", "/why-deterrence-still-works/", "/newsletter"]))
                assert status == 200, status

        load = stress.Load(self.server.port, 8, use).start()
        writer, writer_errors = stress.run_editor(editor, pause=0.2)
        load.join()
        writer.join(stress.SECONDS + 120)
        self.assertEqual(load.errors, [])
        self.assertEqual(writer_errors, [])
        deadline = time.time() + 120
        status = ""
        while time.time() < deadline:
            status = subprocess.run([harness.BIN, "newsletter", "status", "--site", self.server.site],
                                    capture_output=True, text=True, env=self.server.env).stdout
            if "\tdone\t" in status:
                break
            time.sleep(0.5)
        self.assertIn("\tdone\t", status)
        self.assert_survived()
        issue = [r for r in sink.recipients if r.startswith("reader")]
        self.assertEqual(len(issue), SUBSCRIBERS)
        self.assertEqual(len(set(issue)), SUBSCRIBERS)


def harness_free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    unittest.main()
