"""A comment storm: many threads post comments to several articles at once (published at once, so
every comment marks its page stale), while readers read those articles."""

import os
import re
import sqlite3
import unittest

import stress
from stress import harness

ARTICLES = 4


class CommentStorm(stress.StressCase, unittest.TestCase):
    def test_comments_from_many_threads(self):
        content = dict(harness.CONTENT)
        for i in range(ARTICLES):
            content[f"posts/storm-{i}.md"] = f"""
                ---
                title: Storm Article {i}
                section: economy
                authors: [jane-doe]
                date: 2024-03-0{i + 1}T09:30:00Z
                ---
                Article {i} on the grid.
                """
        self.server = harness.Server(content=content)
        for key, value in (("comment_moderation", "hold-none"), ("comments_rate_limit", "0"),
                           ("comments_min_form_seconds", "0")):
            self.server.set_desk_setting(key, value)
        self.server.start()
        paths = [f"/storm-article-{i}/" for i in range(ARTICLES)]
        tokens = {}
        for path in paths:
            status, _, body = self.server.get(path + "comments/token")
            self.assertEqual(status, 200, body)
            tokens[path] = re.search(r'"token":"([^"]+)"', body.decode()).group(1)
        acknowledged = []

        def comment(client, rng):
            path = rng.choice(paths)
            if rng.random() < 0.3:
                status, _, _ = client.request("GET", path)
                assert status == 200, status
                return
            body = stress.quote(f"Storm comment {rng.randrange(10 ** 9)} about the grid.")
            form = (f"name=Storm+Reader&email=storm%40example.org&website=&parent=0&token={tokens[path]}"
                    f"&body={body}")
            status, response, data = client.request(
                "POST", path + "comments", form, {"Content-Type": "application/x-www-form-urlencoded"})
            assert status in (303, 429), (status, data[:300])
            found = re.search(r"#comment-(\d+)$", response.getheader("Location", ""))
            if status == 303 and found:
                acknowledged.append(int(found.group(1)))

        load = stress.Load(self.server.port, 16, comment).start().join()
        self.assertEqual(load.errors, [])
        self.assertGreater(len(acknowledged), 10)
        self.assert_survived()
        with sqlite3.connect(os.path.join(self.server.site, "broadsheet.db")) as db:
            stored = {row[0] for row in db.execute("SELECT id FROM comments")}
        self.assertEqual(set(acknowledged) - stored, set())
        self.assertEqual(len(acknowledged), len(set(acknowledged)))


if __name__ == "__main__":
    unittest.main()
