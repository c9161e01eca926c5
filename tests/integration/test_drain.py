"""Draining (issue 16, item 7): on SIGTERM a node stops being ready at once, goes on serving for
its drain period so that a load balancer notices, finishes the requests in flight, and exits 0."""

import signal
import socket
import time
import unittest

import harness


class Draining(unittest.TestCase):
    def test_sigterm_makes_readyz_503_finishes_a_slow_request_and_exits_0(self):
        server = harness.Server(env={"BROADSHEET_DRAIN_S": "2"})
        try:
            server.start()
            self.assertEqual(server.get("/readyz")[0], 200)
            # A slow client: its form's header and half its body are in when the signal comes.
            body = b"email=reader%40example.org&website="
            slow = socket.create_connection(("127.0.0.1", server.port), timeout=20)
            slow.sendall(b"POST /newsletter/subscribe HTTP/1.1\r\nHost: test\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            time.sleep(0.3)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            self.assertEqual(server.get("/readyz")[0], 503)  # at once
            self.assertEqual(server.get("/healthz")[0], 200)  # alive, and still serving
            self.assertEqual(server.get("/why-deterrence-still-works/")[0], 200)
            time.sleep(2.5)  # the drain period is over: the server is stopping
            slow.sendall(body[10:])
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = slow.recv(65536)
                if not chunk:
                    break
                answer += chunk
            slow.close()
            self.assertRegex(answer.split(b"\r\n", 1)[0], rb"^HTTP/1\.1 [2-5]\d\d ")
            self.assertIn(b"Connection: close", answer)
            self.assertEqual(server.process.wait(timeout=15), 0)
        finally:
            server.close()


class Readiness(unittest.TestCase):
    def test_a_node_older_than_the_databases_schema_is_not_ready(self):
        server = harness.Server()
        try:
            server.start()
            self.assertEqual(server.get("/readyz")[0], 200)
            with server.database() as db:
                if server.database_url:
                    db.execute("UPDATE broadsheet_schema SET version = version + 1")
                else:
                    version = db.execute("PRAGMA user_version").fetchone()[0]
                    db.execute("PRAGMA user_version = %d" % (version + 1))
            status, _, body = server.get("/readyz")
            self.assertEqual(status, 503, body)
            self.assertEqual(server.get("/healthz")[0], 200)  # alive: only not to be sent traffic
            with server.database() as db:
                if server.database_url:
                    db.execute("UPDATE broadsheet_schema SET version = version - 1")
                else:
                    db.execute("PRAGMA user_version = %d" % version)
            self.assertEqual(server.get("/readyz")[0], 200)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
