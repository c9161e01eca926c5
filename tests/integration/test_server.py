"""The real binary serving a temporary site: pages, headers, limits, timeouts and shutdown."""

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

import brotli

import harness


class PublicPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_article_page_has_the_reference_elements(self):
        status, headers, body = self.server.get("/why-deterrence-still-works/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        html = body.decode()
        expected = ["Security and Foreign Policy", "<h1 class=\"headline\">Why Deterrence Still Works</h1>",
                    "class=\"dek\"", "href=\"/author/jane-doe/\"", "March 1, 2024",
                    "alt=\"Soldiers at a border post\"", "AP Photo/Test Photographer", "A quotation",
                    "Director for Partnerships and North Korea Analyst", "class=\"disclaimer\"",
                    "Leave a Reply"]  # no newsletter signup: this site has no mail (test_honest_forms)
        position = 0
        for needle in expected:
            found = html.find(needle, position)
            self.assertNotEqual(found, -1, "missing or out of order: " + needle)
            position = found
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
        self.assertEqual(ld["@type"], "OpinionNewsArticle")
        self.assertEqual(ld["image"]["creditText"], "AP Photo/Test Photographer")

    def test_lists_and_pages(self):
        for path in ["/", "/section/security/", "/author/jane-doe/", "/tag/korea/", "/about/"]:
            status, headers, body = self.server.get(path)
            self.assertEqual(status, 200, path)
            self.assertIn(b"Why Deterrence Still Works" if path != "/about/" else b"Who we are.", body, path)
        self.assertIn(b'<a href="/about/">About</a>', self.server.get("/")[2])

    def test_not_found_is_themed_and_404(self):
        status, headers, body = self.server.get("/no-such-article/")
        self.assertEqual(status, 404)
        self.assertIn(b"Page not found", body)
        self.assertIn(b'<meta name="robots" content="noindex">', body)
        self.assertEqual(self.server.get("/section/nowhere/")[0], 404)
        self.assertEqual(self.server.get("/page/0/")[0], 404)
        self.assertEqual(self.server.get("/page/99/")[0], 404)
        # Page numbers whose offset would not fit an int are pages that do not exist.
        for path in ["/page/2147483647/", "/page/214748365/", "/why-deterrence-still-works/comments/page/2147483647/",
                     "/sitemaps/posts-2147483647.xml", "/section/security/page/2147483647/"]:
            self.assertEqual(self.server.get(path)[0], 404, path)

    def test_missing_trailing_slash_redirects(self):
        status, headers, _ = self.server.get("/why-deterrence-still-works?x=1")
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/why-deterrence-still-works/?x=1")

    def test_wrong_method_is_405_with_allow(self):
        status, headers, _ = self.server.request("DELETE", "/")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_head_has_headers_but_no_body(self):
        status, headers, body = self.server.request("HEAD", "/")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(headers["content-length"]), 1000)

    def test_etag_and_conditional_get(self):
        status, headers, body = self.server.get("/why-deterrence-still-works/")
        etag = headers["etag"]
        self.assertRegex(etag, r'^"[0-9a-f]+"$')
        # Browsers revalidate every time (the ETag makes it cheap); with no shared cache told of
        # changes, none may keep it either (docs/caching.md).
        self.assertEqual(headers["cache-control"], "public, no-cache")
        self.assertNotIn("surrogate-key", headers)
        status, headers, body = self.server.get("/why-deterrence-still-works/", {"If-None-Match": etag})
        self.assertEqual(status, 304)
        self.assertEqual(body, b"")
        self.assertEqual(headers["etag"], etag)
        status, _, _ = self.server.get("/why-deterrence-still-works/", {"If-None-Match": '"other"'})
        self.assertEqual(status, 200)

    def test_gzip_and_brotli_bodies_decode_to_the_same_page(self):
        _, _, plain = self.server.get("/")
        status, headers, body = self.server.get("/", {"Accept-Encoding": "gzip"})
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(headers["vary"], "Accept-Encoding")
        self.assertEqual(gzip.decompress(body), plain)
        status, headers, body = self.server.get("/", {"Accept-Encoding": "gzip, deflate, br"})
        self.assertEqual(headers["content-encoding"], "br")
        self.assertEqual(brotli.decompress(body), plain)
        gz_etag = self.server.get("/", {"Accept-Encoding": "gzip"})[1]["etag"]
        self.assertEqual(self.server.get("/", {"Accept-Encoding": "gzip", "If-None-Match": gz_etag})[0], 304)

    def test_security_headers_and_no_cookies(self):
        for path in ["/", "/why-deterrence-still-works/", "/no-such-page/"]:
            _, headers, _ = self.server.get(path)
            self.assertNotIn("set-cookie", headers)
            csp = headers["content-security-policy"]
            self.assertIn("default-src 'self'", csp)
            self.assertIn("script-src 'self'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertEqual(headers["x-content-type-options"], "nosniff")

    def test_theme_assets_and_uploads(self):
        html = self.server.get("/")[2].decode()
        css = re.search(r'href="(/assets/style\.css\?v=[0-9a-f]+)"', html).group(1)
        status, headers, body = self.server.get(css)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/css; charset=utf-8")
        self.assertIn("immutable", headers["cache-control"])
        status, headers, body = self.server.get("/uploads/images/photo.svg")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "image/svg+xml")
        # Opened on its own an upload runs nothing and has no origin of the site's.
        self.assertEqual(headers["content-security-policy"],
                         "default-src 'none'; style-src 'unsafe-inline'; sandbox")

    def test_uploads_that_are_not_images_are_downloads_of_no_known_type(self):
        # What an import copied from an old site's uploads (a script beside an SVG that loads
        # it) must not act as a script, a style or a page of this origin.
        folder = os.path.join(self.server.site, "uploads", "copied")
        os.makedirs(folder, exist_ok=True)
        for name, text in [("evil.js", "alert(document.domain)"), ("evil.xml", "<x/>"),
                           ("evil.html", "<script>alert(1)</script>"), ("evil.css", "body{}")]:
            with open(os.path.join(folder, name), "w") as file:
                file.write(text)
            status, headers, body = self.server.get("/uploads/copied/" + name)
            self.assertEqual(status, 200, name)
            self.assertEqual(headers["content-type"], "application/octet-stream", name)
            self.assertEqual(headers["content-disposition"], "attachment", name)
            self.assertEqual(headers["x-content-type-options"], "nosniff", name)
            self.assertIn("sandbox", headers["content-security-policy"], name)
        # A sound or a film plays in the page that links it, as itself.
        with open(os.path.join(folder, "talk.mp3"), "wb") as file:
            file.write(b"ID3")
        status, headers, _ = self.server.get("/uploads/copied/talk.mp3")
        self.assertEqual(headers["content-type"], "audio/mpeg")
        self.assertNotIn("content-disposition", headers)
        self.assertEqual(self.server.get("/assets/nothing.css")[0], 404)

    def test_no_path_traversal(self):
        for target in [b"/uploads/../broadsheet.toml", b"/uploads/%2e%2e/broadsheet.db",
                       b"/uploads/images/%2e%2e/%2e%2e/broadsheet.toml", b"/uploads/..%2fbroadsheet.toml",
                       b"/assets/../../broadsheet.toml", b"/uploads/%00"]:
            reply = self.server.raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status = int(reply.split(b" ", 2)[1])
            self.assertIn(status, (400, 404), target)
            self.assertNotIn(b"listen =", reply)

    def test_healthz_and_metrics(self):
        self.assertEqual(self.server.get("/healthz")[:1], (200,))
        self.server.get("/")
        self.server.get("/")
        status, headers, body = self.server.get("/metrics")
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertRegex(text, r'broadsheet_http_requests_total\{route="home",status="200"\} \d+')
        self.assertRegex(text, r"broadsheet_page_cache_hits_total [1-9]\d*")
        self.assertIn("broadsheet_http_request_duration_seconds_bucket{le=\"+Inf\"}", text)
        self.assertIn("broadsheet_page_cache_bytes", text)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        reply = self.server.raw(request * 2 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(reply.count(b"HTTP/1.1 200 OK"), 3)


class HostileInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_REQUEST_TIMEOUT_S": "2", "BROADSHEET_MAX_BODY_KB": "16"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def status_of(self, data):
        reply = self.server.raw(data)
        return int(reply.split(b" ", 2)[1]) if reply else None

    def test_huge_headers_get_431(self):
        big = b"X-Filler: " + b"a" * 20000 + b"\r\n"
        self.assertEqual(self.status_of(b"GET / HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n"), 431)
        self.assertEqual(self.status_of(b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), 431)

    def test_huge_body_gets_413(self):
        body = b"x" * 20000
        self.assertEqual(self.status_of(b"POST /newsletter/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" + body), 413)
        self.assertEqual(self.status_of(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"), 413)

    def test_malformed_requests_get_400(self):
        for data in [b"HELLO\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                     b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"GET ftp://evil/ HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /%zz/ HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x01\x02\r\n\r\n"]:
            self.assertEqual(self.status_of(data), 400, data)

    # RFC 9112 section 3.2.2: the absolute form is accepted and routed by its path (see
    # test_http_limits.RequestTargets).
    def test_absolute_form_is_not_malformed(self):
        self.assertEqual(self.status_of(b"GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n"), 200)

    def test_random_bytes_never_take_the_server_down(self):
        import random
        rng = random.Random(7)
        pieces = [b"GET ", b"POST ", b"/", b"HTTP/1.1", b"\r\n", b"Host: x", b"Content-Length: ",
                  b"Transfer-Encoding: chunked", b"%", b"?", b"\x00", b"\xff", b":", b"0", b"99999999"]
        for _ in range(150):
            data = b"".join(rng.choice(pieces) if rng.random() < 0.7 else bytes([rng.randrange(256)])
                            for _ in range(rng.randrange(1, 40)))
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=3) as sock:
                try:
                    sock.sendall(data + b"\r\n\r\n")
                    sock.shutdown(socket.SHUT_WR)
                    sock.recv(65536)
                except (socket.timeout, ConnectionResetError, BrokenPipeError):
                    pass
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.assertIsNone(self.server.process.poll())

    def test_a_slow_client_is_cut_off_and_does_not_block_others(self):
        sockets = []
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", self.server.port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes the headers
            sockets.append(sock)
        started = time.time()
        self.assertEqual(self.server.get("/")[0], 200)
        self.assertLess(time.time() - started, 1.0)
        # The slow connections are closed once the request timeout (2 s here) has passed.
        sockets[0].settimeout(6)
        data = sockets[0].recv(100)
        self.assertEqual(data, b"")
        for sock in sockets:
            sock.close()

    def test_a_trickling_client_cannot_reset_the_timeout(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        started = time.time()
        try:
            for chunk in [b"GET / HTTP/1.1\r\n"] + [b"X-A: b\r\n"] * 10:
                sock.sendall(chunk)
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(5)
        try:
            data = sock.recv(100)
        except ConnectionResetError:
            data = b""
        self.assertEqual(data, b"")
        self.assertLess(time.time() - started, 5.5)
        sock.close()


class CommandsWhileServing(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()

    def tearDown(self):
        self.server.close()

    def test_an_import_shows_on_the_next_request(self):
        self.assertEqual(self.server.get("/")[0], 200)  # now cached
        harness.write_tree(self.server.content, {"posts/new.md": """
            ---
            title: A Fresh Argument
            section: economy
            ---
            New.
            """})
        done = harness.run("import", "markdown", self.server.content, "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        if harness.STORE_POSTGRES:
            # Another process's write reaches a PostgreSQL site's server within about a second
            # (its store reads the database's content version every second).
            deadline = time.time() + 5
            while b"A Fresh Argument" not in self.server.get("/")[2] and time.time() < deadline:
                time.sleep(0.1)
        self.assertIn(b"A Fresh Argument", self.server.get("/")[2])
        self.assertEqual(self.server.get("/a-fresh-argument/")[0], 200)

    def test_backup_while_serving(self):
        target = os.path.join(self.server.dir, "backup.db")
        # A SQLite file on either database (a PostgreSQL site's: one snapshot copied into it).
        done = harness.run("backup", target, "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        import sqlite3
        with sqlite3.connect(target) as db:
            self.assertEqual(db.execute("SELECT count(*) FROM posts").fetchone()[0], 2)
        again = harness.run("backup", target, "--site", self.server.site)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)

    def test_access_log_records_requests(self):
        self.server.get("/why-deterrence-still-works/", {"User-Agent": 'tester "quoted"'})
        self.server.stop()
        with open(os.path.join(self.server.site, "access.log")) as log:
            lines = log.read().splitlines()
        line = [l for l in lines if "why-deterrence" in l][-1]
        self.assertRegex(line, r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /why-deterrence-still-works/ HTTP/1\.1" 200 \d+ "-" "tester \\x22quoted\\x22" \d+\.\d+$')


class ProxiesAndSettings(unittest.TestCase):
    def test_forwarded_for_is_believed_only_from_trusted_proxies(self):
        for trusted, expected in [("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9")]:
            server = harness.Server(env={"BROADSHEET_TRUSTED_PROXIES": trusted}).start()
            try:
                server.get("/healthz", {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
                server.stop()
                with open(os.path.join(server.site, "access.log")) as log:
                    self.assertTrue(log.read().splitlines()[-1].startswith(expected + " "), trusted)
            finally:
                server.close()

    def test_language_and_time_zone_come_from_settings(self):
        server = harness.Server(env={"BROADSHEET_LANGUAGE": "en-GB", "BROADSHEET_TIMEZONE": "Asia/Tokyo"}).start()
        try:
            html = server.get("/why-deterrence-still-works/")[2].decode()
            self.assertIn('<html lang="en-GB">', html)
            self.assertIn('datetime="2024-03-01T18:30:00+09:00">March 1, 2024', html)
        finally:
            server.close()


class Shutdown(unittest.TestCase):
    def test_sigterm_lets_an_in_flight_request_finish(self):
        server = harness.Server().start()
        try:
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /why-deterrence-still-works/ HTTP/1.1\r\nHost: x\r\n")
            idle = socket.create_connection(("127.0.0.1", server.port))
            time.sleep(0.2)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            sock.sendall(b"\r\n")
            sock.settimeout(5)
            reply = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK"))
            self.assertIn(b"Connection: close", reply)
            idle.settimeout(5)
            self.assertEqual(idle.recv(10), b"")  # idle keep-alive connections are closed
            self.assertEqual(server.process.wait(timeout=10), 0)
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=1)
        finally:
            server.close()


class CommandLine(unittest.TestCase):
    def test_help_lists_the_commands(self):
        done = harness.run("--help")
        self.assertEqual(done.returncode, 0)
        for command in ["init", "serve", "import", "backup", "version"]:
            self.assertIn(command, done.stdout)
        for command in [["serve", "--help"], ["import", "markdown", "--help"], ["init", "--help"]]:
            self.assertEqual(harness.run(*command).returncode, 0, command)
        self.assertIn("--site", harness.run("serve", "--help").stdout)

    def test_version(self):
        done = harness.run("version")
        self.assertEqual(done.returncode, 0)
        self.assertRegex(done.stdout, r"^broadsheet \d+\.\d+\.\d+")

    def test_bad_arguments_fail_with_one_line(self):
        for args in [[], ["frobnicate"], ["serve", "--bogus"], ["init"], ["import", "markdown"]]:
            done = harness.run(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertTrue(done.stderr.startswith("error: "), args)

    def test_missing_and_foreign_site_directories(self):
        import sqlite3
        import tempfile
        with tempfile.TemporaryDirectory() as dir:
            missing = harness.run("serve", "--site", os.path.join(dir, "nope"))
            self.assertEqual(missing.returncode, 1)
            self.assertIn("no site directory", missing.stderr)
            foreign = harness.run("serve", "--site", dir)
            self.assertEqual(foreign.returncode, 1)
            self.assertIn("not a Broadsheet site", foreign.stderr)
            open(os.path.join(dir, "broadsheet.toml"), "w").close()
            with sqlite3.connect(os.path.join(dir, "broadsheet.db")) as db:
                db.execute("CREATE TABLE wp_posts (ID INTEGER)")
            other = harness.run("serve", "--site", dir)
            self.assertEqual(other.returncode, 1)
            self.assertIn("not written by Broadsheet", other.stderr)
            self.assertEqual(len(other.stderr.strip().splitlines()), 1, other.stderr)

    def test_init_refuses_a_folder_with_files(self):
        import tempfile
        with tempfile.TemporaryDirectory() as dir:
            open(os.path.join(dir, "x"), "w").close()
            done = harness.run("init", dir)
            self.assertEqual(done.returncode, 1)
            self.assertIn("not empty", done.stderr)

    @unittest.skipUnless(harness.STORE_POSTGRES, "needs the PostgreSQL cluster (integration_pg.*)")
    def test_a_postgresql_site_can_take_its_database_from_the_environment(self):
        import stat
        import tempfile
        with tempfile.TemporaryDirectory() as dir:
            url = harness.new_postgres_database()
            env = dict(os.environ, BROADSHEET_DATABASE_URL=url)
            site = os.path.join(dir, "site")
            done = harness.run("init", site, env=env)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertFalse(os.path.exists(os.path.join(site, "broadsheet.db")))
            with open(os.path.join(site, "broadsheet.toml")) as config:
                self.assertNotIn(url, config.read())
            added = subprocess.run([harness.BIN, "user", "add", "--site", site, "--email", "a@example.org",
                                    "--name", "A", "--role", "owner", "--password-stdin"],
                                   input="correct horse battery staple\n", env=env,
                                   capture_output=True, text=True, timeout=60)
            self.assertEqual(added.returncode, 0, added.stderr)
            # Given on the command line, the URL goes into a file only its owner may read, and
            # a password in it is never repeated in an error.
            named = os.path.join(dir, "named")
            done = harness.run("init", named, "--database-url", harness.new_postgres_database())
            self.assertEqual(done.returncode, 0, done.stderr)
            mode = stat.S_IMODE(os.stat(os.path.join(named, "broadsheet.toml")).st_mode)
            self.assertEqual(mode, 0o600)
            bad = harness.run("init", os.path.join(dir, "bad"), "--database-url",
                              url.replace("broadsheet@", "broadsheet:S3cret%ZZ@"))
            self.assertEqual(bad.returncode, 1)
            self.assertNotIn("S3cret", bad.stdout + bad.stderr)
            self.assertFalse(os.path.exists(os.path.join(dir, "bad")))

    def test_occupied_port_is_a_clear_error(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = harness.Server()
        try:
            done = harness.run("serve", "--site", server.site, "--listen", f"127.0.0.1:{port}", timeout=10)
            self.assertEqual(done.returncode, 1)
            self.assertIn("already in use", done.stderr)
        finally:
            blocker.close()
            server.close()

    def test_import_reports_bad_files_and_exits_non_zero(self):
        server = harness.Server()
        try:
            harness.write_tree(server.content, {"posts/broken.md": "---\ntitle: Broken\ndate: someday\n---\nx\n"})
            done = harness.run("import", "markdown", server.content, "--site", server.site)
            self.assertEqual(done.returncode, 1)
            self.assertIn("posts/broken.md:3: field 'date'", done.stderr)
            self.assertIn("2 post(s)", done.stdout)  # the good files still import
        finally:
            server.close()

    def test_demo_site_imports_cleanly(self):
        server = harness.Server(content=None, demo=True)
        try:
            server.start()
            status, _, body = server.get("/")
            self.assertEqual(status, 200)
            self.assertGreaterEqual(body.count(b'class="card"'), 10)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
