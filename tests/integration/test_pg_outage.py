"""A PostgreSQL site whose database goes away while the server runs (issue 14, item 4): cached
pages are still served, /healthz and /readyz answer 503, a reader's comment is refused (503) without
being told how the database failed, and everything comes back by itself when the database returns.
(The comment form with the reader's text is not shown again during a full outage: it is part of the
article, which cannot be read then. A busy database keeps it: test_floods.) The test runs its own
throwaway cluster (tests/postgres/cluster.sh), since it stops and starts it."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from test_comments import ARTICLE, comment

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


if __name__ == "__main__":
    unittest.main()
