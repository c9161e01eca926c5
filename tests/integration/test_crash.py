"""Crash consistency (issue 13, item 13): under a mixed write load — reader comments, newsletter
sign-ups and their confirmations, desk saves, a newsletter send and `broadsheet import` runs —
the server is SIGKILLed at random moments, twenty times. After each kill the database passes
`PRAGMA integrity_check` (on SQLite), every write the server acknowledged is in it, and in the end every
subscriber got the issue, no one more often than newsletter/sender.h promises: a crash re-sends
at most the one batch in flight (a quarter second's worth), so a reader gets at most one repeat per
kill during the send."""

import collections
import html
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from aiosmtpd.controller import Controller

import harness
from test_comments import comment
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of
from test_mail import free_port
from test_newsletter import RecordingSmtp, subscribe

KILLS = 20
SUBSCRIBERS = 400
RATE = 80  # messages a second, so the send spans several kills
BATCH = RATE // 4  # the most a crash can repeat: a batch is a quarter second's worth (sender.cc)
ISSUE = "Why Deterrence Still Works"


class Acknowledged:
    """Writes the server (or the importer) confirmed, by kind; shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = {"comment": [], "subscriber": [], "confirmed": [], "post": [], "import": []}
        self.refusals = collections.Counter()  # (kind, status) answers that acknowledged nothing

    def refused(self, kind, status):
        with self.lock:
            self.refusals[(kind, status)] += 1

    def add(self, kind, value):
        with self.lock:
            self.items[kind].append(value)

    def copy(self):
        with self.lock:
            return {kind: list(values) for kind, values in self.items.items()}


class CrashConsistency(unittest.TestCase):
    def setUp(self):
        self.smtp_handler = RecordingSmtp()
        port = free_port()
        self.smtp = Controller(self.smtp_handler, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.server = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
            "BROADSHEET_TRUSTED_PROXIES": "127.0.0.1",
            "BROADSHEET_NEWSLETTER_RATE": str(RATE),
            "BROADSHEET_NEWSLETTER_RETRY_AFTER_S": "1",
        })
        done = add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.server.set_desk_setting("comments_rate_limit", "0")
        self.readers = [f"reader{i:03d}@example.org" for i in range(SUBSCRIBERS)]
        with self.db() as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)", [(a,) for a in self.readers])
        self.imports = tempfile.mkdtemp(prefix="broadsheet-crash-imports-")

    def tearDown(self):
        self.server.close()
        self.smtp.stop()
        subprocess.run(["rm", "-rf", self.imports])

    def db(self):
        return self.server.database()

    # The load: each function loops until `stop` is set, recording what was acknowledged.

    def comments(self, stop, acked):
        while not stop.is_set():
            text = f"Crash comment {uuid.uuid4().hex}."
            try:
                status, _, _ = comment(self.server, {"body": text, "email": f"c{uuid.uuid4().hex[:8]}@example.org"},
                                       headers={"X-Forwarded-For": f"10.1.{random.randrange(256)}.{random.randrange(1, 255)}"})
            except OSError:
                continue  # the server is gone: nothing was acknowledged
            if status == 303:
                acked.add("comment", text)
            else:
                acked.refused("comment", status)

    def signups(self, stop, acked):
        while not stop.is_set():
            email = f"new-{uuid.uuid4().hex[:12]}@example.org"
            try:
                status, _, _ = self.server.request(
                    "POST", "/newsletter/subscribe",
                    {"Content-Type": "application/x-www-form-urlencoded",
                     "X-Forwarded-For": f"10.2.{random.randrange(256)}.{random.randrange(1, 255)}"},
                    urllib.parse.urlencode({"email": email}))
            except OSError:
                continue
            if status == 200:
                acked.add("subscriber", email)
            else:
                acked.refused("subscriber", status)

    def confirmations(self, stop, acked, used):
        while not stop.is_set():
            for envelope, message in list(self.smtp_handler.messages):
                if not message["To"].startswith("new-") or message["To"] in used:
                    continue
                body = message.get_payload(decode=True)
                if body is None:
                    continue
                found = re.search(r"http://test\.example(/newsletter/confirm/\S+)", body.decode())
                if not found:
                    continue
                used.add(message["To"])
                try:
                    status, _, _ = self.server.get(found.group(1))
                except OSError:
                    used.discard(message["To"])
                    continue
                if status == 200:
                    acked.add("confirmed", message["To"])
                else:
                    acked.refused("confirmed", status)
            time.sleep(0.05)

    def desk(self, stop, acked):
        browser = Browser(self.server)
        while not stop.is_set():
            try:
                if "bs_session" not in browser.cookies:
                    browser.sign_in("editor@example.org", PASSWORD)
                    continue
                status, _, page, _ = browser.request("GET", "/admin/posts/new")
                if status != 200:
                    browser.cookies.clear()
                    continue
                csrf, count = form_of(page)
                title = f"Crash Draft {uuid.uuid4().hex[:10]}"
                status, headers, _, _ = browser.request(
                    "POST", "/admin/posts", dict(FIELDS, title=title, csrf=csrf, edit_count=count, **{"do": "save"}))
            except (OSError, AttributeError):
                continue
            if status == 303:
                post_id = int(re.fullmatch(r"/admin/posts/(\d+)", headers["Location"].split("?")[0]).group(1))
                acked.add("post", (post_id, title))
            else:
                acked.refused("post", status)

    def run_import(self, cycle, acked):
        folder = os.path.join(self.imports, str(cycle))
        slug = f"imported-in-cycle-{cycle}"
        harness.write_tree(folder, {f"posts/{slug}.md": f"""
            ---
            title: Imported in cycle {cycle}
            section: security
            date: 2024-03-02T09:30:00Z
            ---
            Words brought in by the importer while the server is killed.
            """})
        done = harness.run("import", "markdown", folder, "--site", self.server.site, timeout=120)
        if done.returncode == 0:
            acked.add("import", slug)
        else:
            acked.refused("import", done.returncode)

    # The checks.

    def check_database(self, acked, cycle):
        with self.db() as db:
            if not self.server.database_url:  # PostgreSQL checks its pages and keys itself
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)], f"cycle {cycle}")
                self.assertEqual(db.execute("PRAGMA foreign_key_check").fetchall(), [], f"cycle {cycle}")
            bodies = {row[0] for row in db.execute("SELECT body_markdown FROM comments")}
            missing = [text for text in acked["comment"] if text not in bodies]
            self.assertEqual(missing, [], f"acknowledged comments lost after kill {cycle}")
            statuses = dict(db.execute("SELECT email, status FROM subscribers"))
            missing = [email for email in acked["subscriber"] if email not in statuses]
            self.assertEqual(missing, [], f"acknowledged sign-ups lost after kill {cycle}")
            unconfirmed = [email for email in acked["confirmed"] if statuses.get(email) != "active"]
            self.assertEqual(unconfirmed, [], f"acknowledged confirmations lost after kill {cycle}")
            titles = dict(db.execute("SELECT id, title FROM posts"))
            missing = [(post_id, title) for post_id, title in acked["post"] if titles.get(post_id) != title]
            self.assertEqual(missing, [], f"acknowledged desk saves lost after kill {cycle}")
            slugs = {row[0] for row in db.execute("SELECT slug FROM posts")}
            missing = [slug for slug in acked["import"] if slug not in slugs]
            self.assertEqual(missing, [], f"acknowledged imports lost after kill {cycle}")

    def send_finished(self):
        with self.db() as db:
            return db.execute("SELECT COUNT(*) FROM newsletter_deliveries WHERE status = 'queued'").fetchone()[0] == 0

    def test_twenty_kills_under_a_mixed_write_load_lose_nothing_acknowledged(self):
        started = time.monotonic()
        self.server.start()
        sent = subprocess.run([harness.BIN, "newsletter", "send", "why-deterrence-still-works", "--site", self.server.site],
                              capture_output=True, text=True, timeout=60, env=self.server.env)
        self.assertEqual(sent.returncode, 0, sent.stderr)
        acked = Acknowledged()
        used_confirmations = set()
        kills_during_send = 0
        random.seed(os.environ.get("BROADSHEET_CRASH_SEED", str(time.time())))
        for cycle in range(1, KILLS + 1):
            stop = threading.Event()
            load = [threading.Thread(target=self.comments, args=(stop, acked)),
                    threading.Thread(target=self.comments, args=(stop, acked)),
                    threading.Thread(target=self.signups, args=(stop, acked)),
                    threading.Thread(target=self.confirmations, args=(stop, acked, used_confirmations)),
                    threading.Thread(target=self.desk, args=(stop, acked)),
                    threading.Thread(target=self.run_import, args=(cycle, acked))]
            for thread in load:
                thread.start()
            time.sleep(random.uniform(0.3, 2.5))
            sending = not self.send_finished()
            self.server.process.send_signal(signal.SIGKILL)
            self.server.process.wait()
            self.server.drainer.join(timeout=10)
            self.server.process.stdout.close()
            self.server.process.stderr.close()
            kills_during_send += sending
            stop.set()
            for thread in load:
                thread.join(timeout=120)
            self.check_database(acked.copy(), cycle)
            self.server.start()
        totals = {kind: len(values) for kind, values in acked.copy().items()}
        print(f"\nacknowledged over {KILLS} kills: {totals}; kills during the send: {kills_during_send}; "
              f"refused: {dict(acked.refusals)}",
              file=sys.stderr)
        for kind in ("comment", "subscriber", "post", "import"):
            self.assertGreater(totals[kind], KILLS // 2, kind)  # the load did write

        # The send finishes after the last restart; then count what each reader received.
        deadline = time.monotonic() + 60
        while not self.send_finished() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(self.send_finished())
        time.sleep(1)
        received = {}
        for _, message in list(self.smtp_handler.messages):
            if message["Subject"] == ISSUE:
                received[message["To"]] = received.get(message["To"], 0) + 1
        self.assertEqual(set(received), set(self.readers))  # everyone got it, nobody else did
        # sender.h: a crash re-sends at most the batch in flight.
        self.assertLessEqual(max(received.values()), 1 + kills_during_send)
        self.assertLessEqual(sum(received.values()) - len(self.readers), kills_during_send * BATCH)
        print(f"issue copies: {sum(received.values())} to {len(self.readers)} readers, at most "
              f"{max(received.values())} each", file=sys.stderr)
        self.assertLess(time.monotonic() - started, 240)


if __name__ == "__main__":
    unittest.main()
