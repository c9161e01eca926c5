"""Several nodes on one PostgreSQL database (issue 16, "background work exactly once"): two
`broadsheet serve` processes, each with a site directory of its own and the same database, share a
newsletter send through their claims, so that every subscriber gets one copy; when one is killed
mid-send the other finishes it, repeating at most the messages the killed one had in flight; and a
scheduled post is published by one of them only (the scheduler's lease). PostgreSQL only: SQLite
sites are one machine's, and two servers there would share one search index directory."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from aiosmtpd.controller import Controller

import harness
from test_mail import free_port

SUBSCRIBERS = 300


class Sink:
    """An SMTP server that keeps the addressee of every message it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 OK"

    def count(self):
        with self.lock:
            return len(self.received)

    def copies(self):
        with self.lock:
            counts = {}
            for address in self.received:
                counts[address] = counts.get(address, 0) + 1
            return counts


def another_node(first):
    """A second server on `first`'s database: a copy of its site directory (its settings, which
    name the database), without the search index, which is each node's own."""
    node = harness.Server.__new__(harness.Server)
    node.dir = tempfile.mkdtemp(prefix="broadsheet-it-")
    node.site = os.path.join(node.dir, "site")
    shutil.copytree(first.site, node.site, ignore=shutil.ignore_patterns("search.xapian", "*.log"))
    node.env = dict(first.env)
    node.database_url = first.database_url
    node.process = None
    node.port = None
    return node


@unittest.skipUnless(harness.STORE_POSTGRES, "nodes share a PostgreSQL database (integration_pg)")
class TwoNodes(unittest.TestCase):
    def setUp(self):
        self.sink = Sink()
        port = free_port()
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.first = harness.Server(env={
            "BROADSHEET_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BROADSHEET_MAIL_FROM": "The Test Review <news@test.example>",
            "BROADSHEET_BASE_URL": "http://test.example",
            "BROADSHEET_NEWSLETTER_RATE": "60",  # each node's: the send lasts a few seconds
            "BROADSHEET_LOG_LEVEL": "debug",
        })
        self.second = another_node(self.first)
        self.addresses = [f"reader{i:03d}@example.org" for i in range(SUBSCRIBERS)]
        with self.first.database() as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)", [(a,) for a in self.addresses])
        self.first.start()
        self.second.start()

    def tearDown(self):
        self.first.close()
        self.second.close()
        self.smtp.stop()

    def send(self):
        done = subprocess.run([harness.BIN, "newsletter", "send", "why-deterrence-still-works",
                               "--site", self.first.site],
                              capture_output=True, text=True, timeout=60, env=self.first.env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("the running server delivers it", done.stdout)

    def wait_for(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline and self.sink.count() < count:
            time.sleep(0.1)

    def sent_by(self, node):
        return sum(int(line.split("newsletter: ")[1].split(" sent")[0])
                   for line in node.log if "newsletter: " in line and " sent, " in line)

    def test_both_nodes_send_one_issue_and_every_subscriber_gets_one_copy(self):
        self.send()
        self.wait_for(SUBSCRIBERS)
        time.sleep(2)  # anything sent twice would arrive by now
        copies = self.sink.copies()
        self.assertEqual(set(copies), set(self.addresses))
        self.assertEqual([a for a, n in copies.items() if n != 1], [])
        # Both took part: each node's worker logged what it sent, and together that is the send.
        first, second = self.sent_by(self.first), self.sent_by(self.second)
        self.assertGreater(first, 0, "".join(self.first.log[-20:]))
        self.assertGreater(second, 0, "".join(self.second.log[-20:]))
        self.assertEqual(first + second, SUBSCRIBERS)
        with self.first.database() as db:
            self.assertEqual(db.execute("SELECT status FROM newsletter_sends").fetchall(), [("done",)])

    def test_a_node_killed_mid_send_leaves_the_rest_to_the_other(self):
        self.send()
        self.wait_for(SUBSCRIBERS // 4)
        self.first.stop(signal.SIGKILL)
        # The survivor takes over the killed node's claims once its heartbeat lapses (10 s).
        self.wait_for(SUBSCRIBERS, timeout=60)
        time.sleep(2)
        copies = self.sink.copies()
        self.assertEqual(set(copies), set(self.addresses))  # everyone got it
        repeated = [a for a, n in copies.items() if n > 1]
        # At most the killed node's messages in flight: one batch (a quarter second's worth).
        self.assertLessEqual(len(repeated), 60 // 4)
        self.assertTrue(all(n <= 2 for n in copies.values()))
        with self.second.database() as db:
            self.assertEqual(db.execute("SELECT status FROM newsletter_sends").fetchall(), [("done",)])

    def test_a_scheduled_post_is_published_by_one_node(self):
        due = int(time.time()) + 1
        with self.first.database() as db:
            db.execute("UPDATE posts SET status = 'scheduled', published_at = ? WHERE slug = ?",
                       (due, "why-deterrence-still-works"))
        deadline = time.time() + 40  # a scheduler round is 15 s
        published = []
        while time.time() < deadline:
            with self.first.database() as db:
                published = db.execute("SELECT status FROM posts WHERE slug = ?",
                                       ("why-deterrence-still-works",)).fetchall()
            if published == [("published",)]:
                break
            time.sleep(0.5)
        self.assertEqual(published, [("published",)])
        time.sleep(1)
        logged = [node for node in (self.first, self.second)
                  if any("published 1 scheduled post(s)" in line for line in node.log)]
        self.assertEqual(len(logged), 1)
        holders = [node for node in (self.first, self.second)
                   if any("now does the scheduler work" in line for line in node.log)]
        self.assertEqual(len(holders), 1)
        with self.first.database() as db:
            leases = db.execute("SELECT name FROM leases WHERE name NOT LIKE 'node:%' "
                                "AND name NOT LIKE 'newsletter:%'").fetchall()
        self.assertEqual(leases, [("scheduler",)])


if __name__ == "__main__":
    unittest.main()
