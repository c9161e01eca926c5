"""A page flood with desk edits: articles, the home page, sections and feeds are read by many
threads while an editor saves and publishes posts, so that the page cache is flushed and refilled
under the readers."""

import random
import unittest

import stress
from stress import harness

PATHS = ["/", "/why-deterrence-still-works/", "/about/", "/feed/", "/feed/atom/", "/feed.json", "/sitemap.xml",
         "/page/2/", "/section/security/", "/section/economy/", "/robots.txt", "/metrics", "/healthz", "/no-such-page/"]


class PageFlood(stress.StressCase, unittest.TestCase):
    def test_readers_while_an_editor_publishes(self):
        self.server = harness.Server()
        stress.add_user(self.server, "editor@example.org", "editor", stress.PASSWORD, "Eda Editor")
        self.server.start()
        editor = stress.Editor(self.server)
        editor.write(random.Random(1))

        def read(client, rng):
            path = rng.choice(PATHS)
            headers = {"Accept-Encoding": rng.choice(["gzip", "br", "identity", "gzip, br"])}
            if rng.random() < 0.1:
                headers["If-None-Match"] = '"x"'
            method = "HEAD" if rng.random() < 0.1 else "GET"
            status, _, _ = client.request(method, path, headers=headers)
            assert status in (200, 304, 301, 404, 410), (path, status)

        load = stress.Load(self.server.port, 12, read).start()
        writer, writer_errors = stress.run_editor(editor, pause=0.05)
        load.join()
        writer.join(stress.SECONDS + 120)
        self.assertEqual(load.errors, [])
        self.assertEqual(writer_errors, [])
        self.assertGreater(editor.saves, 5)
        self.assert_survived()


if __name__ == "__main__":
    unittest.main()
