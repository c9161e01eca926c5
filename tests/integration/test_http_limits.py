"""Strict HTTP framing, request-target forms, connection caps, body limits per route, query strings
that cannot bust the page cache, and who may read /metrics (issue 13)."""

import json
import os
import random
import re
import socket
import time
import unittest

from harness import Server
from test_desk import PASSWORD, Browser, add_user


def statuses(data):
    """The status codes of every response in a byte stream, in order."""
    return [int(code) for code in re.findall(rb"(?m)^HTTP/1\.[01] (\d{3}) ", data)]


def connect_from(source, port, timeout=5):
    """A connection to the server from `source`, one of this machine's loopback addresses."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def ask(sock, path="/healthz", headers=b""):
    """Sends one keep-alive GET; returns the status, or None when the server closed instead."""
    try:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: test\r\n" + headers + b"\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length: (\d+)", head).group(1))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
        return statuses(head)[0]
    except (ConnectionError, socket.timeout, OSError):
        return None


def closed_by_server(sock, wait=2.0):
    """True when the server has closed (or reset) the connection."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except ConnectionError:
        return True
    except socket.timeout:
        return False


class Framing(unittest.TestCase):
    """RFC 9112: a body whose length the server cannot be sure of is never read as a request."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def smuggle(self, head, version=b"HTTP/1.1"):
        """A POST framed by `head`, followed by bytes that would be a second request if the body
        were taken to be empty."""
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
        request = b"POST /newsletter/subscribe " + version + b"\r\nHost: test\r\n" + head + b"\r\n"
        return self.server.raw(request + smuggled, timeout=3)

    def test_transfer_codings_other_than_chunked_are_refused_and_the_connection_closed(self):
        for coding in [b"xchunked", b"identity", b"gzip", b"chunked, identity", b"chunked, chunked",
                       b"gzip, chunked", b"", b"CHUNKED , identity"]:
            with self.subTest(coding=coding):
                data = self.smuggle(b"Transfer-Encoding: " + coding + b"\r\n")
                codes = statuses(data)
                self.assertEqual(len(codes), 1, data)
                self.assertIn(codes[0], (400, 501))
                self.assertRegex(data, rb"(?i)connection: close")

    def test_transfer_encoding_twice_with_content_length_or_in_http_10_is_refused(self):
        for head, version in [
            (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"HTTP/1.1"),
            (b"Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n", b"HTTP/1.1"),
            (b"Transfer-Encoding: chunked\r\n", b"HTTP/1.0"),
        ]:
            with self.subTest(head=head, version=version):
                codes = statuses(self.smuggle(head, version))
                self.assertEqual(len(codes), 1)
                self.assertEqual(codes[0], 400)

    def test_two_transfer_encoding_lines_are_one_list(self):
        codes = statuses(self.smuggle(b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"))
        self.assertEqual(codes, [501])

    def test_chunked_bodies_still_work(self):
        body = b"q=deterrence"
        head = (b"POST /search HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n")
        with_length = self.server.raw(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        chunked = self.server.raw(head + b"Transfer-Encoding: chunked\r\n\r\n"
                                  + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        self.assertEqual(len(statuses(chunked)), 1)
        self.assertEqual(statuses(chunked), statuses(with_length))
        self.assertNotIn(statuses(chunked)[0], (400, 501))

    def test_host_is_required_once_in_http_11(self):
        for request in [b"GET /healthz HTTP/1.1\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                        b"GET /healthz HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: \r\n\r\n"]:
            with self.subTest(request=request):
                data = self.server.raw(request + b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertEqual(statuses(data), [400])
        # HTTP/1.0 had no Host header; RFC 9112 requires it of HTTP/1.1 only.
        self.assertEqual(statuses(self.server.raw(b"GET /healthz HTTP/1.0\r\n\r\n")), [200])
        self.assertEqual(statuses(self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: [::1]:80\r\n"
                                                  b"Connection: close\r\n\r\n")), [200])

    def test_obsolete_line_folding_is_refused(self):
        for request in [b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n two\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n\ttwo\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\n Host: a\r\n\r\n"]:
            with self.subTest(request=request):
                data = self.server.raw(request + b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                self.assertEqual(statuses(data), [400])
                self.assertRegex(data, rb"(?i)connection: close")

    def test_trailer_fields_are_refused(self):
        data = self.server.raw(b"POST /search HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"1\r\nq\r\n0\r\nHost: b\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(statuses(data), [400])

    def test_re_encoded_addresses_are_the_same_cached_page(self):
        def hits():
            body = self.server.get("/metrics")[2]
            return int(re.search(rb"(?m)^broadsheet_page_cache_hits_total (\d+)", body).group(1))
        first = self.server.get("/about/")
        before = hits()
        for variant in ["/%61bout/", "/ab%6fut/", "/%61%62%6F%75%74/"]:
            status, headers, body = self.server.get(variant)
            self.assertEqual(status, 200)
            self.assertEqual(body, first[2])
        self.assertEqual(hits() - before, 3)

    def test_pipelined_requests_are_still_answered_in_order(self):
        data = self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                               b"GET /no-such-page/ HTTP/1.1\r\nHost: a\r\n\r\n"
                               b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(data), [200, 404, 200])


class ConnectionCaps(unittest.TestCase):
    """One address cannot hold every connection; at the limit idle ones make room."""

    def setUp(self):
        self.sockets = []

    def tearDown(self):
        for sock in self.sockets:
            sock.close()
        self.server.close()

    def open(self, source, count):
        """Opens `count` keep-alive connections from `source`, each after one request; returns
        how many were served."""
        served = 0
        for _ in range(count):
            try:
                sock = connect_from(source, self.server.port)
            except OSError:
                continue
            self.sockets.append(sock)
            if ask(sock) == 200:
                served += 1
        return served

    def test_one_address_is_capped_and_others_are_still_served(self):
        self.server = Server(env={"BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS": "20"}).start()
        self.assertEqual(self.open("127.0.0.2", 60), 20)
        # Another address is served at once, and keeps being served.
        for _ in range(5):
            other = connect_from("127.0.0.3", self.server.port)
            self.sockets.append(other)
            self.assertEqual(ask(other), 200)
        # The first address gets room again as its connections close.
        for sock in self.sockets[:10]:
            sock.close()
        time.sleep(0.3)
        self.assertEqual(self.open("127.0.0.2", 5), 5)
        status, _, body = self.server.get("/metrics")
        self.assertEqual(status, 200)
        refused = re.search(rb'broadsheet_connections_refused_total\{limit="per_address"\} (\d+)', body)
        self.assertGreaterEqual(int(refused.group(1)), 40)

    def test_at_the_limit_idle_connections_make_room(self):
        self.server = Server(env={"BROADSHEET_MAX_CONNECTIONS": "30",
                                  "BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS": "1000"}).start()
        self.assertEqual(self.open("127.0.0.2", 30), 30)
        idle = list(self.sockets)
        newcomer = connect_from("127.0.0.3", self.server.port)
        self.sockets.append(newcomer)
        self.assertEqual(ask(newcomer), 200)
        self.assertTrue(any(closed_by_server(sock, 0.5) for sock in idle))

    def test_when_no_connection_is_idle_new_ones_are_refused_not_queued_forever(self):
        self.server = Server(env={"BROADSHEET_MAX_CONNECTIONS": "10",
                                  "BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS": "1000"}).start()
        for _ in range(10):
            busy = connect_from("127.0.0.2", self.server.port)
            busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: te")  # a request under way
            self.sockets.append(busy)
        time.sleep(0.3)
        newcomer = connect_from("127.0.0.3", self.server.port)
        self.sockets.append(newcomer)
        self.assertIsNone(ask(newcomer))
        # Once the busy ones finish, there is room again.
        for sock in self.sockets[:10]:
            sock.close()
        time.sleep(0.3)
        late = connect_from("127.0.0.3", self.server.port)
        self.sockets.append(late)
        self.assertEqual(ask(late), 200)

    def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(self):
        self.server = Server(env={"BROADSHEET_TRUSTED_PROXIES": "127.0.0.1",
                                  "BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS": "5"}).start()
        results = []
        for _ in range(8):
            sock = connect_from("127.0.0.1", self.server.port)
            self.sockets.append(sock)
            results.append(ask(sock, headers=b"X-Forwarded-For: 203.0.113.9\r\n"))
        self.assertEqual(results.count(200), 5)
        self.assertEqual(results.count(429), 3)
        other = connect_from("127.0.0.1", self.server.port)
        self.sockets.append(other)
        self.assertEqual(ask(other, headers=b"X-Forwarded-For: 203.0.113.10\r\n"), 200)
        # Repeated X-Forwarded-For lines are one list, and ports do not make another client.
        for spoof in [b"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.9\r\n",
                      b"X-Forwarded-For: 203.0.113.9:1234\r\n",
                      b"X-Forwarded-For: [::ffff:203.0.113.9]:443\r\n"]:
            sock = connect_from("127.0.0.1", self.server.port)
            self.sockets.append(sock)
            self.assertEqual(ask(sock, headers=spoof), 429, spoof)
        # The proxy's own requests (health checks) are not counted against anyone.
        for _ in range(8):
            own = connect_from("127.0.0.1", self.server.port)
            self.sockets.append(own)
            self.assertEqual(ask(own), 200)


    def test_stalled_requests_make_room_when_the_server_is_full(self):
        self.server = Server(env={"BROADSHEET_MAX_CONNECTIONS": "10",
                                  "BROADSHEET_MAX_CONNECTIONS_PER_ADDRESS": "1000"}).start()
        for _ in range(10):
            loris = connect_from("127.0.0.2", self.server.port)
            loris.sendall(b"GET /healthz HTTP/1.1\r\nHost: te")  # and never the rest
            self.sockets.append(loris)
        time.sleep(2.5)
        newcomer = connect_from("127.0.0.3", self.server.port)
        self.sockets.append(newcomer)
        self.assertEqual(ask(newcomer), 200)


class LargeBodies(unittest.TestCase):
    """Only signed-in staff may send the desk's large uploads; others get the form limit."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_a_stranger_gets_413_before_sending_the_body(self):
        for path in ["/admin/media", "/admin/no-such-thing"]:
            with self.subTest(path=path):
                sock = connect_from("127.0.0.1", self.server.port)
                try:
                    sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n"
                                 b"Content-Type: application/octet-stream\r\n"
                                 b"Content-Length: 20000000\r\n\r\n" + b"x" * 1000)
                    self.assertEqual(statuses(sock.recv(4096)), [413])
                finally:
                    sock.close()

    def test_a_stranger_cannot_stream_a_large_chunked_body(self):
        chunk = b"x" * 65536
        data = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        sock = connect_from("127.0.0.1", self.server.port)
        try:
            sock.sendall(b"POST /admin/media HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            sent = 0
            try:
                while sent < 4 * 1024 * 1024:
                    sock.sendall(data)
                    sent += len(chunk)
            except (ConnectionError, socket.timeout):
                pass
            sock.settimeout(5)
            self.assertEqual(statuses(sock.recv(4096)), [413])
        finally:
            sock.close()

    def test_signed_in_staff_get_the_form_limit_outside_upload_routes(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        cookie = "; ".join(f"{k}={v}" for k, v in editor.cookies.items()).encode()
        for path, extra in [("/admin/settings", cookie), ("/admin/redirects", cookie),
                            ("/newsletter/subscribe", b""), ("/deterrence/comments", b"")]:
            with self.subTest(path=path):
                sock = connect_from("127.0.0.1", self.server.port, timeout=10)
                try:
                    # 2 MiB announced; only a little is sent, so a 413 shows nothing was buffered.
                    sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n" +
                                 (b"Cookie: " + extra + b"\r\n" if extra else b"") +
                                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                                 b"Content-Length: %d\r\n\r\n" % (2 * 1024 * 1024) + b"x" * 1000)
                    self.assertEqual(statuses(sock.recv(4096)), [413])
                finally:
                    sock.close()

    def test_signed_in_staff_may_send_large_uploads(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        cookie = "; ".join(f"{k}={v}" for k, v in editor.cookies.items()).encode()
        sock = connect_from("127.0.0.1", self.server.port, timeout=30)
        try:
            body = b"x" * (5 * 1024 * 1024)
            sock.sendall(b"POST /admin/media HTTP/1.1\r\nHost: a\r\nCookie: " + cookie + b"\r\n"
                         b"Content-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            codes = statuses(sock.recv(4096))
            self.assertEqual(len(codes), 1)
            self.assertNotEqual(codes[0], 413)  # refused for what it is, not for its size
        finally:
            sock.close()


class RequestTargets(unittest.TestCase):
    """RFC 9112 section 3.2: origin, absolute and (for OPTIONS) asterisk forms."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_absolute_form_is_routed_by_its_path(self):
        data = self.server.raw(b"GET http://test.example/why-deterrence-still-works/?utm=1 HTTP/1.1\r\nHost: test.example\r\n"
                               b"Connection: close\r\n\r\n")
        self.assertEqual(statuses(data), [200])
        self.assertIn(b"Why Deterrence Still Works", data)
        data = self.server.raw(b"GET HTTP://test.example HTTP/1.1\r\nHost: test.example\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(data), [200])
        data = self.server.raw(b"GET http://test.example/robots.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(data), [400])  # Host is still required

    def test_options_asterisk_lists_the_methods(self):
        data = self.server.raw(b"OPTIONS * HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(data), [200])
        allow = re.search(rb"(?im)^allow: ([^\r]+)", data).group(1)
        self.assertIn(b"GET", allow)
        self.assertIn(b"POST", allow)

    def test_other_targets_are_refused(self):
        for target in [b"*", b"ftp://test/", b"test/path", b"http:///x", b"http://user@test/"]:
            with self.subTest(target=target):
                data = self.server.raw(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                self.assertEqual(statuses(data), [400])


def metric(server, name):
    body = server.get("/metrics")[2].decode()
    return int(re.search(r"(?m)^" + name + r" (\d+)", body).group(1))


class QueryStrings(unittest.TestCase):
    """A query parameter a page does not read (every one, for most pages) is the same cached page,
    not a new render nor a new cache entry."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_random_queries_on_pages_that_ignore_them_are_cache_hits(self):
        paths = ["/feed/", "/feed/atom/", "/feed.json", "/sitemap.xml", "/sitemaps/pages.xml",
                 "/robots.txt", "/newsletter", "/section/security/", "/author/jane-doe/",
                 "/section/security/feed/", "/why-deterrence-still-works/feed/", "/2024/03/",
                 "/uploads/images/photo.svg"]
        for path in paths:
            self.assertEqual(self.server.get(path)[0], 200, path)
        entries = metric(self.server, "broadsheet_page_cache_entries")
        hits = metric(self.server, "broadsheet_page_cache_hits_total")
        for path in paths:
            for _ in range(20):
                status, _, _ = self.server.get("%s?x=%d" % (path, random.randrange(10 ** 12)))
                self.assertEqual(status, 200, path)
        self.assertEqual(metric(self.server, "broadsheet_page_cache_entries"), entries)
        self.assertEqual(metric(self.server, "broadsheet_page_cache_hits_total") - hits, 20 * len(paths))

    def test_parameters_a_page_does_not_read_are_cache_hits(self):
        # The home page reads ?p= and ?page_id=, articles and pages (and a year's archive, on the
        # same route) ?replyto= and ?comment=, assets ?v=; other parameters are not theirs.
        paths = ["/", "/why-deterrence-still-works/", "/about/", "/2024/", "/assets/style.css"]
        warm = {}
        for path in paths:
            status, _, warm[path] = self.server.get(path)
            self.assertEqual(status, 200, path)
        entries = metric(self.server, "broadsheet_page_cache_entries")
        hits = metric(self.server, "broadsheet_page_cache_hits_total")
        queries = ["?x=1", "?x=2", "?", "?utm_source=mail&fbclid=%d" % random.randrange(10 ** 12),
                   "?replyt=1&comments=held&P=1&pag%65=2"]
        for path in paths:
            for query in queries:
                status, _, body = self.server.get(path + query)
                self.assertEqual(status, 200, path + query)
                self.assertEqual(body, warm[path], path + query)
        self.assertEqual(metric(self.server, "broadsheet_page_cache_entries"), entries)
        self.assertEqual(metric(self.server, "broadsheet_page_cache_hits_total") - hits,
                         len(queries) * len(paths))

    def test_old_wordpress_links_on_the_home_page_still_redirect(self):
        with self.server.database() as db:
            db.execute("INSERT INTO redirects(from_path, to_path, status, created_at) "
                       "VALUES ('/?p=123', '/about/', 301, 0)")
        for query in ("?p=123", "?utm_source=x&p=123", "?p=123&p=9"):
            status, headers, _ = self.server.get("/" + query)
            self.assertEqual((status, headers.get("location")), (301, "/about/"), query)

    def test_pages_that_read_their_query_still_get_it(self):
        self.assertIn(b'href="/why-deterrence-still-works/"', self.server.get("/search?q=deterrence")[2])
        self.assertNotIn(b'href="/why-deterrence-still-works/"', self.server.get("/search?q=zzzqqq")[2])
        # Its own parameters still reach search beside others; a repeated one counts once, first.
        self.assertIn(b'href="/why-deterrence-still-works/"',
                      self.server.get("/search?x=1&q=deterrence&sort=newest")[2])
        self.assertNotIn(b'href="/why-deterrence-still-works/"',
                         self.server.get("/search?q=zzzqqq&q=deterrence")[2])
        status, _, body = self.server.get("/search.json?utm_source=x&q=deterrence&page=1")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["query"], "deterrence")
        # An asset's version is still its own cached copy.
        page = self.server.get("/")[2].decode()
        versioned = re.search(r'href="(/assets/style\.css\?v=[^"]+)"', page).group(1)
        status, headers, _ = self.server.get(versioned + "&x=1")
        self.assertEqual(status, 200)
        self.assertIn("immutable", headers["cache-control"])


class MetricsAccess(unittest.TestCase):
    def test_metrics_answer_loopback_but_not_forwarded_requests(self):
        server = Server().start()
        try:
            self.assertEqual(server.get("/metrics")[0], 200)
            self.assertEqual(server.get("/metrics", {"X-Forwarded-For": "203.0.113.9"})[0], 404)
            # Every forwarding header line counts, an empty one too.
            data = server.raw(b"GET /metrics HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:\r\n"
                              b"X-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n")
            self.assertEqual(statuses(data), [404])
        finally:
            server.close()

    def test_other_addresses_get_404_unless_they_bring_the_token(self):
        token = "a-long-enough-metrics-token"
        server = Server(env={"BROADSHEET_METRICS_ALLOW": "10.9.8.0/24",
                             "BROADSHEET_METRICS_TOKEN": token}).start()
        try:
            status, _, body = server.get("/metrics")
            self.assertEqual(status, 404)
            self.assertNotIn(b"broadsheet_http_requests_total", body)
            self.assertEqual(server.get("/metrics", {"Authorization": "Bearer wrong-token-of-length"})[0], 404)
            status, _, body = server.get("/metrics", {"Authorization": "Bearer " + token})
            self.assertEqual(status, 200)
            self.assertEqual(server.get("/metrics", {"Authorization": "bearer " + token})[0], 200)
            self.assertIn(b"broadsheet_connections_open", body)
        finally:
            server.close()

    def test_a_short_token_is_a_configuration_error(self):
        server = Server(env={"BROADSHEET_METRICS_TOKEN": "short"})
        try:
            with self.assertRaises(AssertionError):
                server.start()
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
