"""Two-factor sign-in (TOTP) through the desk, with codes computed as an authenticator app would."""

import base64
import hashlib
import hmac
import html
import re
import struct
import threading
import time
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user


def totp(secret, at=None, offset=0):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int((at or time.time()) // 30) + offset
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[start:start + 4])[0] & 0x7FFFFFFF
    return f"{value % 1000000:06d}"


def csrf_of(page):
    return harness.form_token(page)


class TwoFactor(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server()
        add_user(self.server, "ed@example.org", "editor", PASSWORD, "Ed Itor")
        add_user(self.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        self.server.start()

    def tearDown(self):
        self.server.close()

    def enable(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        page = browser.request("GET", "/admin/two-factor")[2]
        self.assertIn("<svg", page)  # the QR code
        secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page).group(1)
        signature = html.unescape(re.search(r'name="secret_signature" value="([^"]+)"', page).group(1))
        status, _, _, _ = browser.request("POST", "/admin/two-factor", {
            "csrf": csrf_of(page), "do": "enable", "secret": secret, "secret_signature": signature,
            "code": totp(secret)})
        self.assertEqual(status, 303)
        return browser, secret

    def test_sign_in_asks_for_the_code_and_each_code_works_once(self):
        _, secret = self.enable("ed@example.org")
        browser = Browser(self.server)
        status, headers, _, cookies = browser.sign_in("ed@example.org", PASSWORD)
        self.assertEqual(status, 303)
        self.assertTrue(headers["Location"].startswith("/admin/login/code"))
        self.assertFalse([c for c in cookies if c.startswith("bs_session=")])
        self.assertEqual(browser.request("GET", "/admin/")[0], 303)  # not signed in yet
        page = browser.request("GET", "/admin/login/code")[2]
        status, _, page, _ = browser.request("POST", "/admin/login/code", {"csrf": csrf_of(page), "code": "000000" if totp(secret) != "000000" else "111111", "next": "/admin/"})
        self.assertEqual(status, 401)
        code = totp(secret, offset=1)  # the enabling code used this step; the next one is fresh
        status, headers, _, cookies = browser.request("POST", "/admin/login/code", {"csrf": csrf_of(page), "code": code, "next": "/admin/"})
        self.assertEqual(status, 303)
        self.assertTrue([c for c in cookies if c.startswith("bs_session=")])
        self.assertEqual(browser.request("GET", "/admin/")[0], 200)
        # The same code again, in another browser, is refused.
        other = Browser(self.server)
        other.sign_in("ed@example.org", PASSWORD)
        page = other.request("GET", "/admin/login/code")[2]
        status, _, _, _ = other.request("POST", "/admin/login/code", {"csrf": csrf_of(page), "code": code, "next": "/admin/"})
        self.assertEqual(status, 401)

    def test_a_forged_secret_cannot_be_enabled(self):
        browser = Browser(self.server)
        browser.sign_in("ed@example.org", PASSWORD)
        page = browser.request("GET", "/admin/two-factor")[2]
        signature = html.unescape(re.search(r'name="secret_signature" value="([^"]+)"', page).group(1))
        chosen = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        status, _, _, _ = browser.request("POST", "/admin/two-factor", {
            "csrf": csrf_of(page), "do": "enable", "secret": chosen, "secret_signature": signature, "code": totp(chosen)})
        self.assertEqual(status, 403)

    def test_administrators_can_require_it_for_staff(self):
        admin_browser, admin_secret = self.enable("admin@example.org")
        page = admin_browser.request("GET", "/admin/settings")[2]
        fields = {"csrf": csrf_of(page), "title": "The Test Review", "description": "", "base_url": "",
                  "disclaimer": "Ours.", "timezone": "UTC", "language": "en", "require_two_factor": "1"}
        self.assertEqual(admin_browser.request("POST", "/admin/settings", fields)[0], 303)
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("ed@example.org", PASSWORD)[0], 303)
        status, headers, _, _ = editor.request("GET", "/admin/posts")
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/admin/two-factor")
        page = editor.request("GET", "/admin/two-factor")[2]
        self.assertIn("requires two-factor sign-in", page)
        # Once set up, the desk opens; turning it off is refused while it is required.
        secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page).group(1)
        signature = html.unescape(re.search(r'name="secret_signature" value="([^"]+)"', page).group(1))
        token = csrf_of(page)  # the page's form posts to /admin/two-factor
        editor.request("POST", "/admin/two-factor", {"csrf": token, "do": "enable", "secret": secret,
                                                     "secret_signature": signature, "code": totp(secret)})
        self.assertEqual(editor.request("GET", "/admin/posts")[0], 200)
        page = editor.request("GET", "/admin/two-factor")[2]
        self.assertNotIn('value="disable"', page)
        status, _, page, _ = editor.request("POST", "/admin/two-factor", {"csrf": token, "do": "disable", "code": totp(secret, offset=1)})
        self.assertEqual(status, 422)

    def burst(self, browser, path, fields, count=40):
        """Sends `count` copies of a form at once, each on its own connection; the statuses."""
        statuses = []
        lock = threading.Lock()
        gate = threading.Barrier(count)

        def send():
            gate.wait()
            status = browser.request("POST", path, fields)[0]
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=send) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return statuses

    def test_a_burst_of_wrong_codes_gets_no_more_checks_than_the_limit(self):
        _, secret = self.enable("ed@example.org")
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("ed@example.org", PASSWORD)[0], 303)
        page = browser.request("GET", "/admin/login/code")[2]
        right = {totp(secret, offset=d) for d in (-1, 0, 1, 2)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in right)
        statuses = self.burst(browser, "/admin/login/code", {"csrf": csrf_of(page), "code": wrong, "next": "/admin/"})
        self.assertEqual(statuses.count(401), 5, statuses)  # the limit per account
        self.assertEqual(statuses.count(429), 35, statuses)
        # The right code is refused too while the account is throttled.
        status, _, _, _ = browser.request("POST", "/admin/login/code", {"csrf": csrf_of(page), "code": totp(secret, offset=1), "next": "/admin/"})
        self.assertEqual(status, 429)

    def test_a_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit(self):
        browser = Browser(self.server)
        token = browser.csrf("/admin/login")
        statuses = self.burst(browser, "/admin/login", {"csrf": token, "email": "admin@example.org", "password": "wrong horse"})
        self.assertEqual(statuses.count(401), 5, statuses)
        self.assertEqual(statuses.count(429), 35, statuses)
        self.assertEqual(browser.sign_in("admin@example.org", PASSWORD)[0], 429)


if __name__ == "__main__":
    unittest.main()
