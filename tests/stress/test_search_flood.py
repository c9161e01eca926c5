"""A search flood: many threads search (words, prefixes, OR, phrases, each with a random number)
while an editor publishes and edits posts, so that the indexer applies edits under the searches."""

import random
import unittest

import stress
from stress import harness

QUERIES = ["sanctions {n}", "a* {n}", "energy OR grid {n}", '"supply chain" {n}', "deterrence",
           "grid -energy {n}", "tariff* budget", "{n}", "deterrence peninsula"]


class SearchFlood(stress.StressCase, unittest.TestCase):
    def test_searches_while_the_indexer_applies_edits(self):
        self.server = harness.Server()
        stress.add_user(self.server, "editor@example.org", "editor", stress.PASSWORD, "Eda Editor")
        self.server.start()
        editor = stress.Editor(self.server)
        for _ in range(5):
            editor.write(random.Random(1))

        def search(client, rng):
            query = rng.choice(QUERIES).format(n=rng.randrange(10 ** 6))
            path = rng.choice(["/search?q=", "/search.json?q="]) + stress.quote(query)
            if rng.random() < 0.2:
                path += f"&page={rng.randrange(1, 4)}"
            status, _, _ = client.request("GET", path)
            assert status in (200, 400, 404), (path, status)

        load = stress.Load(self.server.port, 12, search).start()
        writer, writer_errors = stress.run_editor(editor, pause=0.1)
        load.join()
        writer.join(stress.SECONDS + 120)
        self.assertEqual(load.errors, [])
        self.assertEqual(writer_errors, [])
        self.assertGreater(load.count, 0)
        self.assertGreater(editor.saves, 5)
        self.assert_survived()


if __name__ == "__main__":
    unittest.main()
