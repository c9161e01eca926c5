"""Caches in front (issue 16, item 6): public pages say what shared caches may keep and under which
surrogate keys; the desk and a staff member's own answers never; and Varnish, with the VCL that
docs/caching.md documents, drops exactly the pages an edit published through the desk changed."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import http.client
import json
import urllib.parse

import harness
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of

VARNISHD = shutil.which("varnishd") or ("/usr/sbin/varnishd" if os.path.exists("/usr/sbin/varnishd") else None)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def documented_vcl(backend_port):
    with open(os.path.join(harness.SOURCE, "docs", "caching.md")) as doc:
        text = doc.read()
    block = text.split("<!-- vcl:begin -->", 1)[1].split("<!-- vcl:end -->", 1)[0]
    vcl = block.split("```vcl", 1)[1].split("```", 1)[0]
    return vcl.replace('.port = "8080";', '.port = "%d";' % backend_port)


class Headers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_CACHE_S_MAXAGE_S": "120",
                                         "BROADSHEET_CACHE_STALE_WHILE_REVALIDATE_S": "30"})
        assert add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Ed Itor").returncode == 0
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_public_pages_let_shared_caches_keep_them_and_name_their_keys(self):
        status, headers, _ = self.server.get("/why-deterrence-still-works/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "public, max-age=0, s-maxage=120, stale-while-revalidate=30")
        keys = headers["surrogate-key"].split()
        self.assertIn("site", keys)
        self.assertTrue(any(re.fullmatch(r"post:\d+", key) for key in keys), keys)
        self.assertIn("home", self.server.get("/")[1]["surrogate-key"].split())
        self.assertIn("section:security", self.server.get("/section/security/")[1]["surrogate-key"].split())
        self.assertIn("author:jane-doe", self.server.get("/author/jane-doe/")[1]["surrogate-key"].split())
        self.assertIn("tag:korea", self.server.get("/tag/korea/")[1]["surrogate-key"].split())
        self.assertIn("feeds", self.server.get("/feed/")[1]["surrogate-key"].split())

    def test_desk_and_personal_answers_are_never_shared_and_name_no_keys(self):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("editor@example.org", PASSWORD)[0], 303)
        for path in ["/admin/", "/admin/posts", "/why-deterrence-still-works/comments/token"]:
            status, headers, _, _ = browser.request("GET", path)
            self.assertIn("no-store", headers["Cache-Control"], path)
            self.assertIsNone(headers["Surrogate-Key"], path)
        # A signed-in editor's article is a reader's, byte for byte: nothing personal to keep.
        reader = self.server.get("/why-deterrence-still-works/")
        status, headers, page, _ = browser.request("GET", "/why-deterrence-still-works/")
        self.assertEqual(page.encode(), reader[2])
        self.assertIsNone(headers["Set-Cookie"])

    def test_a_stale_copy_is_kept_by_shared_caches_for_a_second_only(self):
        # A comment published at once marks the article stale: the copy served while it is
        # rendered again must not be kept by a cache in front for s-maxage (the purge after the
        # new rendering could come first, or not at all when the one render a second is not due).
        self.server.set_desk_setting("comments_min_form_seconds", "0")
        self.server.set_desk_setting("comment_moderation", "hold-none")
        self.assertEqual(self.server.get("/why-deterrence-still-works/")[0], 200)
        status, _, token = self.server.get("/why-deterrence-still-works/comments/token")
        self.assertEqual(status, 200)
        fields = {"name": "Reader", "email": "stale@example.org", "website": "", "parent": "0",
                  "body": "A comment that makes the page stale.", "token": json.loads(token)["token"]}
        status, headers, _ = self.server.request(
            "POST", "/why-deterrence-still-works/comments", body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 303)
        self.assertNotIn("held", headers["location"])
        stale = self.server.get("/why-deterrence-still-works/")[1]["cache-control"]
        self.assertEqual(stale, "public, max-age=0, s-maxage=1, stale-while-revalidate=30")
        deadline = time.time() + 10
        while time.time() < deadline:
            status, headers, page = self.server.get("/why-deterrence-still-works/")
            if b"A comment that makes the page stale." in page:
                break
            time.sleep(0.1)
        self.assertIn(b"A comment that makes the page stale.", page)
        self.assertEqual(headers["cache-control"], "public, max-age=0, s-maxage=120, stale-while-revalidate=30")

    def test_s_maxage_zero_keeps_shared_caches_out(self):
        server = harness.Server(env={"BROADSHEET_CACHE_S_MAXAGE_S": "0"})
        try:
            server.start()
            self.assertEqual(server.get("/why-deterrence-still-works/")[1]["cache-control"], "public, no-cache")
        finally:
            server.close()


@unittest.skipUnless(VARNISHD, "varnishd is not installed (Debian: apt-get install varnish varnish-modules)")
class ThroughVarnish(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.varnish_port = free_port()
        # As docs/caching.md sets it up: Varnish named as a trusted proxy.
        cls.server = harness.Server(env={"BROADSHEET_CACHE_S_MAXAGE_S": "3600",
                                         "BROADSHEET_CACHE_PURGE": "http://127.0.0.1:%d" % cls.varnish_port,
                                         "BROADSHEET_TRUSTED_PROXIES": "127.0.0.1,::1",
                                         "BROADSHEET_SEARCHES_PER_MINUTE": "30"})
        assert add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Ed Itor").returncode == 0
        cls.server.start()
        cls.server.set_desk_setting("comments_min_form_seconds", "0")
        cls.work = tempfile.mkdtemp(prefix="broadsheet-varnish-")
        vcl = os.path.join(cls.work, "broadsheet.vcl")
        with open(vcl, "w") as out:
            out.write(documented_vcl(cls.server.port))
        os.chmod(cls.work, 0o755)
        os.chmod(vcl, 0o644)
        cls.varnish = subprocess.Popen(
            [VARNISHD, "-F", "-j", "none", "-n", os.path.join(cls.work, "instance"), "-a",
             "127.0.0.1:%d" % cls.varnish_port, "-f", vcl, "-s", "malloc,32m", "-T", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", cls.varnish_port), timeout=1).close()
                break
            except OSError:
                if cls.varnish.poll() is not None:
                    raise AssertionError("varnishd did not start: " + cls.varnish.stdout.read())
                time.sleep(0.2)
        else:
            raise AssertionError("varnishd did not start listening")
        cls.settle()

    @classmethod
    def settle(cls):
        """Waits for the purges under way: the indexer's and the change watch's rounds (a second
        each), then the queue's (which may be pausing before a retry: the server started before
        Varnish did)."""
        time.sleep(1.5)
        deadline = time.time() + 30
        while time.time() < deadline:
            metrics = cls.server.get("/metrics")[2].decode()
            if re.search(r"^broadsheet_purge_keys_waiting 0$", metrics, re.M):
                return
            time.sleep(0.2)
        raise AssertionError("purges still waiting: " + metrics)

    @classmethod
    def tearDownClass(cls):
        cls.varnish.terminate()
        try:
            cls.varnish.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.varnish.kill()
        cls.varnish.stdout.close()
        cls.server.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def through_varnish(self, path, headers={}):
        connection = http.client.HTTPConnection("127.0.0.1", self.varnish_port, timeout=10)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        headers = {k.lower(): v for k, v in response.getheaders()}
        connection.close()
        return response.status, headers, body

    def cached(self, path):
        """Fetches `path` through Varnish and lets whatever that started settle (a stale page's
        refresh purges it once more)."""
        self.assertEqual(self.through_varnish(path)[0], 200)
        self.settle()
        self.through_varnish(path)

    def assert_hit(self, path):
        status, headers, _ = self.through_varnish(path)
        self.assertEqual(status, 200)
        # A hit names two transactions: this request's and the one that fetched the object.
        self.assertEqual(len(headers["x-varnish"].split()), 2, (path, headers["x-varnish"]))

    def publish_edit(self, title):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("editor@example.org", PASSWORD)[0], 303)
        with self.server.database() as db:
            post = "/admin/posts/%d" % db.execute("SELECT id FROM posts WHERE slug = 'why-deterrence-still-works'").fetchone()[0]
        status, _, page, _ = browser.request("GET", post)
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title=title, slug="why-deterrence-still-works",
                      section="security", authors="jane-doe", tags="Korea, Nuclear Weapons",
                      **{"do": "save"})
        status, _, page, _ = browser.request("POST", post, fields)
        self.assertEqual(status, 303, page[:500])

    def until_through_varnish(self, path, text):
        deadline = time.time() + 10
        while time.time() < deadline:
            if text in self.through_varnish(path)[2]:
                return
            time.sleep(0.2)
        self.fail("%r never showed at %s through Varnish" % (text, path))

    def comment(self, body, email):
        status, _, token = self.server.get("/why-deterrence-still-works/comments/token")
        self.assertEqual(status, 200)
        fields = {"name": "Reader", "email": email, "website": "", "body": body, "parent": "0",
                  "token": json.loads(token)["token"]}
        status, headers, _ = self.server.request(
            "POST", "/why-deterrence-still-works/comments", body=urllib.parse.urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 303)
        return headers["location"]

    def test_readers_behind_varnish_are_limited_each_on_their_own(self):
        # Varnish appends the address it was reached from to X-Forwarded-For; the server, which
        # trusts Varnish, counts each reader's searches under the reader's address.
        flooder = {"X-Forwarded-For": "203.0.113.7"}
        statuses = [self.through_varnish("/search?q=flood%d" % i, flooder)[0] for i in range(31)]
        self.assertEqual(statuses[:30], [200] * 30)
        self.assertEqual(statuses[30], 429)
        self.assertEqual(self.through_varnish("/search?q=another-reader",
                                              {"X-Forwarded-For": "203.0.113.8"})[0], 200)

    def test_a_comment_approved_by_a_command_purges_its_article(self):
        self.server.set_desk_setting("comment_moderation", "hold-first")
        location = self.comment("Held until a moderator looks.", "first-timer@example.org")
        self.assertIn("comment=held", location)
        listed = harness.run("comments", "list", "--status", "pending", "--site", self.server.site)
        comment_id = next(line.split()[0] for line in listed.stdout.splitlines() if "first-timer" in line
                          or "Held until" in line)
        self.cached("/why-deterrence-still-works/")
        self.assert_hit("/why-deterrence-still-works/")
        done = harness.run("comments", "approve", comment_id, "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.until_through_varnish("/why-deterrence-still-works/", "Held until a moderator looks.")

    def test_a_comment_published_at_once_reaches_readers_through_varnish(self):
        self.server.set_desk_setting("comment_moderation", "hold-none")
        self.cached("/why-deterrence-still-works/")
        self.assert_hit("/why-deterrence-still-works/")
        self.comment("Published at once, and seen at once.", "regular@example.org")
        self.until_through_varnish("/why-deterrence-still-works/", "Published at once, and seen at once.")

    def test_a_settings_change_by_a_command_purges_every_page(self):
        self.cached("/about/")
        self.assert_hit("/about/")
        # Only the publication's settings: no post, section or author is written again.
        content = {}
        content["publication.yaml"] = """
            title: The Renamed Review
            description: Analysis for tests.
            timezone: America/New_York
            """
        folder = os.path.join(self.server.dir, "renamed")
        harness.write_tree(folder, content)
        done = harness.run("import", "markdown", folder, "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.until_through_varnish("/about/", "The Renamed Review")

    def test_an_edit_published_through_the_desk_purges_its_pages_and_no_others(self):
        for path in ["/why-deterrence-still-works/", "/about/", "/section/security/"]:
            self.cached(path)
            self.assert_hit(path)
        self.assertIn("Why Deterrence Still Works", self.through_varnish("/why-deterrence-still-works/")[2])

        self.publish_edit("Why Deterrence Works Again")
        deadline = time.time() + 10
        while time.time() < deadline:
            if "Why Deterrence Works Again" in self.through_varnish("/why-deterrence-still-works/")[2]:
                break
            time.sleep(0.2)
        else:
            self.fail("the edited article never showed through Varnish")
        self.assertIn("Why Deterrence Works Again", self.through_varnish("/section/security/")[2])
        self.assert_hit("/about/")  # an unrelated page stayed cached: the purge was exact
        status, _, metrics = self.server.get("/metrics")
        self.assertRegex(metrics.decode(), r'broadsheet_purges_total\{outcome="sent"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
