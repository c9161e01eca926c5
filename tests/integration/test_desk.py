"""The editorial desk's sign-in: sessions, CSRF, throttling, set-password links, sign-out."""

import html
import http.client
import re
import subprocess
import unittest
import urllib.parse

import harness

PASSWORD = "correct horse battery staple"


class Browser:
    """Keeps cookies like a browser (Path=/admin only) and never follows redirects."""

    def __init__(self, server, headers=None):
        self.server = server
        self.cookies = {}
        self.extra = headers or {}
        self.timeout = 30  # seconds to wait for an answer

    def request(self, method, path, fields=None):
        headers = dict(self.extra)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read().decode()
        set_cookies = response.headers.get_all("Set-Cookie") or []
        for cookie in set_cookies:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        connection.close()
        return response.status, response.headers, data, set_cookies

    def csrf(self, path, action=None):
        """The token of the form posting to `action` (a regular expression) on the page at
        `path`; without `action`, of the page's first form."""
        status, _, page, _ = self.request("GET", path)
        self.assert_ok = status
        return harness.form_token(page, action)

    def sign_in(self, email, password):
        token = self.csrf("/admin/login")
        return self.request("POST", "/admin/login", {"csrf": token, "email": email, "password": password})


def add_user(server, email, role, password=None, name="Staff Member"):
    args = [harness.BIN, "user", "add", "--email", email, "--name", name, "--role", role, "--site", server.site]
    if password is not None:
        args.append("--password-stdin")
    return subprocess.run(args, input=(password + "\n") if password is not None else None,
                          capture_output=True, text=True, timeout=30)


class SignIn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_TRUSTED_PROXIES": "127.0.0.1"})
        done = add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_without_a_session_every_admin_page_redirects_to_sign_in(self):
        browser = Browser(self.server)
        for method, path in [("GET", "/admin"), ("GET", "/admin/"), ("GET", "/admin/posts"),
                             ("GET", "/admin/sessions"), ("POST", "/admin/posts/new"), ("POST", "/admin/logout")]:
            status, headers, _, _ = browser.request(method, path, {} if method == "POST" else None)
            self.assertEqual(status, 303, path)
            self.assertTrue(headers["Location"].startswith("/admin"), path)
        status, headers, _, _ = browser.request("GET", "/admin/posts?status=draft")
        self.assertEqual(headers["Location"], "/admin/login?next=/admin/posts%3Fstatus%3Ddraft")

    def test_sign_in_form_has_the_contract_fields_and_a_csrf_token(self):
        browser = Browser(self.server)
        status, headers, page, cookies = browser.request("GET", "/admin/login")
        self.assertEqual(status, 200)
        self.assertIn('name="email"', page)
        self.assertIn('name="password"', page)
        self.assertRegex(page, r'type="hidden" name="csrf" value="[^"]+"')
        self.assertEqual(headers["Cache-Control"], "no-store")
        form_cookie = [c for c in cookies if c.startswith("bs_form=")][0]
        self.assertIn("HttpOnly", form_cookie)
        self.assertIn("SameSite=Strict", form_cookie)

    def test_a_post_without_a_valid_csrf_token_is_403(self):
        browser = Browser(self.server)
        browser.request("GET", "/admin/login")
        for fields in [{"email": "editor@example.org", "password": PASSWORD},
                       {"email": "editor@example.org", "password": PASSWORD, "csrf": "forged"}]:
            status, _, _, _ = browser.request("POST", "/admin/login", fields)
            self.assertEqual(status, 403)
        # A token made for another browser's cookie is refused too.
        other = Browser(self.server)
        token = other.csrf("/admin/login")
        status, _, _, _ = browser.request("POST", "/admin/login", {"csrf": token, "email": "editor@example.org",
                                                                    "password": PASSWORD})
        self.assertEqual(status, 403)

    def test_sign_in_sets_a_safe_session_cookie_and_shows_the_dashboard(self):
        browser = Browser(self.server)
        status, headers, _, cookies = browser.sign_in("editor@example.org", PASSWORD)
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/admin/")
        session = [c for c in cookies if c.startswith("bs_session=")][0]
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/admin"]:
            self.assertIn(attribute, session)
        self.assertNotIn("Secure", session)
        status, headers, page, _ = browser.request("GET", "/admin/")
        self.assertEqual(status, 200)
        self.assertIn("Eda Editor", page)
        self.assertIn('<form class="sign-out" method="post" action="/admin/logout">', page)
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(browser.request("GET", "/admin/login")[0], 303)  # already signed in
        status, _, page, _ = browser.request("GET", "/admin/newsletter")
        self.assertEqual(status, 200)
        self.assertIn("<h1>Newsletter</h1>", page)
        self.assertEqual(browser.request("GET", "/admin/no-such-thing")[0], 404)

    def test_session_cookie_is_secure_behind_an_https_proxy(self):
        browser = Browser(self.server, {"X-Forwarded-Proto": "https"})
        status, _, _, cookies = browser.sign_in("editor@example.org", PASSWORD)
        self.assertEqual(status, 303)
        self.assertIn("Secure", [c for c in cookies if c.startswith("bs_session=")][0])

    def test_next_only_leads_inside_the_desk(self):
        browser = Browser(self.server)
        token = browser.csrf("/admin/login?next=/admin/sessions")
        status, headers, _, _ = browser.request("POST", "/admin/login", {
            "csrf": token, "email": "editor@example.org", "password": PASSWORD, "next": "/admin/sessions"})
        self.assertEqual(headers["Location"], "/admin/sessions")
        browser = Browser(self.server)
        token = browser.csrf("/admin/login")
        for evil in ["https://evil.example/", "//evil.example/admin/", "/admin/..//evil"]:
            status, headers, _, _ = browser.request("POST", "/admin/login", {
                "csrf": token, "email": "editor@example.org", "password": PASSWORD, "next": evil})
            self.assertEqual(headers["Location"], "/admin/", evil)

    def test_wrong_password_keeps_the_email_and_says_so(self):
        browser = Browser(self.server)
        status, _, page, cookies = browser.sign_in("editor@example.org", "not the password")
        self.assertEqual(status, 401)
        self.assertIn('value="editor@example.org"', page)
        self.assertIn("wrong", page)
        self.assertFalse([c for c in cookies if c.startswith("bs_session=")])

    def test_sign_out_needs_the_csrf_token_and_ends_the_session(self):
        browser = Browser(self.server)
        browser.sign_in("editor@example.org", PASSWORD)
        status, _, _, _ = browser.request("POST", "/admin/logout", {"csrf": "nope"})
        self.assertEqual(status, 403)
        token = browser.csrf("/admin/", "/admin/logout")
        stolen = dict(browser.cookies)
        status, headers, _, _ = browser.request("POST", "/admin/logout", {"csrf": token})
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/admin/login")
        self.assertEqual(browser.request("GET", "/admin/")[0], 303)
        # The old cookie is dead on the server too, not only forgotten by the browser.
        replay = Browser(self.server)
        replay.cookies = stolen
        self.assertEqual(replay.request("GET", "/admin/")[0], 303)

    def test_sessions_are_listed_and_revocable(self):
        laptop, phone = Browser(self.server, {"User-Agent": "Laptop"}), Browser(self.server, {"User-Agent": "Phone"})
        laptop.sign_in("editor@example.org", PASSWORD)
        phone.sign_in("editor@example.org", PASSWORD)
        status, _, page, _ = laptop.request("GET", "/admin/sessions")
        self.assertEqual(status, 200)
        self.assertIn("Phone", page)
        self.assertIn("Laptop <strong>(this browser)</strong>", page)
        rows = re.findall(r'<td>([^<]+?)(?: <strong>.*?</strong>)?</td>.*?name="csrf" value="([^"]+)".*?name="session" value="([0-9a-f]+)"', page, re.S)
        phone_row = [r for r in rows if r[0] == "Phone"][0]
        status, _, _, _ = laptop.request("POST", "/admin/sessions/revoke",
                                         {"csrf": html.unescape(phone_row[1]), "session": phone_row[2]})
        self.assertEqual(status, 303)
        self.assertEqual(phone.request("GET", "/admin/")[0], 303)
        self.assertEqual(laptop.request("GET", "/admin/")[0], 200)

    def test_public_pages_still_set_no_cookies(self):
        browser = Browser(self.server)
        browser.sign_in("editor@example.org", PASSWORD)
        for path in ["/", "/why-deterrence-still-works/"]:
            _, headers, _, cookies = browser.request("GET", path)
            self.assertEqual(cookies, [])


class Throttling(unittest.TestCase):
    def test_repeated_failures_are_refused_with_429_even_with_the_right_password(self):
        server = harness.Server()
        try:
            add_user(server, "author@example.org", "author", PASSWORD)
            server.start()
            browser = Browser(server)
            for _ in range(5):
                self.assertEqual(browser.sign_in("author@example.org", "guess")[0], 401)
            status, headers, body, _ = browser.sign_in("author@example.org", PASSWORD)
            self.assertEqual(status, 429)
            self.assertTrue(headers["Content-Type"].startswith("text/plain"))
            self.assertIn("Too many failed sign-in attempts", body)
            # The limit is stored, so a restart does not reset it.
            server.stop()
            server.start()
            self.assertEqual(Browser(server).sign_in("author@example.org", PASSWORD)[0], 429)
        finally:
            server.close()


class PasswordLinks(unittest.TestCase):
    def test_user_add_without_a_password_prints_a_one_time_link(self):
        server = harness.Server()
        try:
            done = add_user(server, "new@example.org", "contributor", None, "New Writer")
            self.assertEqual(done.returncode, 0, done.stderr)
            link = re.search(r"(http://\S+/admin/password/(\S+))", done.stdout)
            self.assertIsNotNone(link, done.stdout)
            path = "/admin/password/" + link.group(2)
            server.start()
            browser = Browser(server)
            self.assertEqual(browser.sign_in("new@example.org", "")[0], 401)
            status, _, page, _ = browser.request("GET", path)
            self.assertEqual(status, 200)
            self.assertIn("New Writer", page)
            token = harness.form_token(page)
            status, _, page, _ = browser.request("POST", path, {"csrf": token, "password": "too short", "confirm": "too short"})
            self.assertEqual(status, 422)
            self.assertIn("at least 10 characters", page)
            status, _, _, _ = browser.request("POST", path, {"password": PASSWORD, "confirm": PASSWORD})
            self.assertEqual(status, 403)
            status, headers, _, _ = browser.request("POST", path, {"csrf": token, "password": PASSWORD, "confirm": PASSWORD})
            self.assertEqual(status, 303)
            self.assertIn("/admin/login?reset=1", headers["Location"])
            self.assertEqual(browser.sign_in("new@example.org", PASSWORD)[0], 303)
            self.assertEqual(Browser(server).request("GET", path)[0], 404)  # used up
        finally:
            server.close()

    def test_user_add_refuses_bad_input(self):
        server = harness.Server()
        try:
            self.assertEqual(add_user(server, "not-an-address", "editor", PASSWORD).returncode, 1)
            self.assertEqual(add_user(server, "a@example.org", "emperor", PASSWORD).returncode, 2)
            short = add_user(server, "a@example.org", "editor", "short")
            self.assertEqual(short.returncode, 1)
            self.assertIn("at least 10 characters", short.stderr)
            self.assertEqual(add_user(server, "a@example.org", "editor", PASSWORD).returncode, 0)
            again = add_user(server, "A@example.org", "editor", PASSWORD)
            self.assertEqual(again.returncode, 1)
            self.assertIn("already an account", again.stderr)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
