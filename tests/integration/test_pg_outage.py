"""A PostgreSQL site whose database goes away while the server runs (issue 14, item 4): cached
pages are still served, /healthz and /readyz answer 503, a reader's comment is refused (503) without
being told how the database failed, and everything comes back by itself when the database returns.
Meanwhile pages keep the publication's look, the sign-in page still opens, and what a reader or an
editor wrote comes back to them (a busy database, rather than an absent one: test_floods). The
test runs its own throwaway cluster (tests/postgres/cluster.sh), since it stops and starts it."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from test_comments import ARTICLE, comment
from test_desk import PASSWORD, Browser, add_user

CLUSTER = os.path.join(harness.SOURCE, "tests", "postgres", "cluster.sh")


def cluster(action, directory):
    done = subprocess.run(["sh", CLUSTER, action, directory], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


class Outage(unittest.TestCase):
    def setUp(self):
        if not os.path.exists("/usr/lib/postgresql/15/bin/initdb"):
            self.skipTest("PostgreSQL 15 is not installed (make deps installs postgresql-15)")
        self.cluster = tempfile.mkdtemp(prefix="broadsheet-pg-outage-")
        cluster("start", self.cluster)
        with open(os.path.join(self.cluster, "url")) as f:
            url = f.read().strip()
        saved, harness.STORE_POSTGRES = harness.STORE_POSTGRES, url
        try:
            self.server = harness.Server()
        finally:
            harness.STORE_POSTGRES = saved
        done = add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        self.server.start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")

    def tearDown(self):
        self.server.close()
        cluster("stop", self.cluster)
        shutil.rmtree(self.cluster, ignore_errors=True)

    def wait_for(self, path, status, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.server.get(path)[0] == status:
                return
            time.sleep(0.2)
        self.fail(f"{path} did not answer {status} within {seconds} s")

    def test_cached_pages_stay_up_and_the_rest_comes_back_by_itself(self):
        status, _, before = self.server.get(ARTICLE)
        self.assertEqual(status, 200)
        for path in ("/healthz", "/readyz"):
            self.assertEqual(self.server.get(path)[:1], (200,))

        cluster("pause", self.cluster)
        try:
            status, _, during = self.server.get(ARTICLE)
            self.assertEqual(status, 200)  # from the cache
            self.assertEqual(during, before)
            for path in ("/healthz", "/readyz"):
                self.assertEqual(self.server.get(path)[0], 503)
            fields = {"body": "Written while the database was away.", "name": "Patient Reader"}
            status, _, page = comment(self.server, fields)
            self.assertEqual(status, 503)
            self.assertNotIn(b"PostgreSQL", page)  # readers are not told the machinery
        finally:
            cluster("resume", self.cluster)

        self.wait_for("/readyz", 200)
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.assertEqual(comment(self.server, fields)[0], 303)
        self.assertEqual(self.server.get("/search?q=deterrence")[0], 200)

    def test_what_people_wrote_comes_back_and_the_look_stays(self):
        editor = Browser(self.server)
        token = editor.csrf("/admin/login")
        status, _, _, _ = editor.request("POST", "/admin/login", {"csrf": token, "email": "editor@example.org",
                                                                 "password": PASSWORD})
        self.assertEqual(status, 303)
        save_token = editor.csrf("/admin/posts/new", "/admin/posts")
        reader = Browser(self.server)

        cluster("pause", self.cluster)
        try:
            # A page never cached: the publication's error page, not bare text.
            status, headers, page = self.server.get("/about/")
            self.assertEqual(status, 503)
            self.assertEqual(headers.get("retry-after"), "5")
            self.assertIn(b"The Test Review", page)
            self.assertIn(b"Unavailable for a moment", page)

            # The sign-in page opens; signing in says why it cannot be checked.
            sign_in = reader.csrf("/admin/login")
            status, headers, page, _ = reader.request("POST", "/admin/login", {
                "csrf": sign_in, "email": "editor@example.org", "password": PASSWORD})
            self.assertEqual(status, 503)
            self.assertIn("could not be checked", page)
            self.assertIn('value="editor@example.org"', page)

            # A reader's comment comes back to be copied.
            status, _, page = comment(self.server, {"body": "Deterrence needs <credible> resolve."})
            self.assertEqual(status, 503)
            self.assertIn(b"Deterrence needs &lt;credible&gt; resolve.", page)

            # So does an editor's article.
            status, headers, page, _ = editor.request("POST", "/admin/posts", {
                "csrf": save_token, "title": "Written in the dark", "body": "Every word of it kept."})
            self.assertEqual(status, 503)
            self.assertIn("Nothing was saved", page)
            self.assertIn("Every word of it kept.", page)
            self.assertIn("Written in the dark", page)
            time.sleep(3)  # the indexer tries every second meanwhile
        finally:
            cluster("resume", self.cluster)
        self.wait_for("/readyz", 200)
        self.assertEqual(self.server.get("/about/")[0], 200)
        # The indexer said once that it failed and once that it works again, not every second.
        deadline = time.time() + 10
        while time.time() < deadline and not any("search indexing works again" in line
                                                  for line in self.server.log):
            time.sleep(0.2)
        log = "".join(self.server.log)
        self.assertIn("search indexing works again", log)
        self.assertEqual(log.count("search indexing failed"), 1)


if __name__ == "__main__":
    unittest.main()
