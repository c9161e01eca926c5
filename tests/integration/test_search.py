"""Discovery: full-text search (/search, /search.json) ranked, highlighted, filtered and paged,
kept in step with the desk's writes and safe with any input; archives by year and month;
related analysis; per-post search and social overrides; structured data on every page type."""

import html
import json
import re
import time
import unittest
import urllib.parse

import harness
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of

EXTRA = {
    "posts/cafe.md": """
        ---
        title: Café Diplomacy in Zürich
        dek: Talks over coffee, and what they settled.
        section: economy
        authors: [jane-doe]
        tags: [Trade, Korea]
        date: 2024-05-10T12:00:00Z
        ---
        Negotiators sanctioning each other by day met for coffee by night.
        """,
    "posts/quiet.md": """
        ---
        title: A Quiet Piece Syndicated From Elsewhere
        dek: The dek of the quiet piece.
        section: economy
        date: 2024-05-11T12:00:00Z
        description: A description written for search engines.
        social_image: https://cdn.example/social.png
        canonical: https://original.example/quiet/
        noindex: true
        ---
        Body of the quiet piece.
        """,
}
# Twelve pieces about pipelines across 2023, one with the word in its title, for ranking and pages.
for number in range(1, 13):
    title = "Pipelines and Power" if number == 7 else f"Energy Notes, Part {number}"
    EXTRA[f"posts/energy-{number}.md"] = f"""
        ---
        title: {title}
        dek: Number {number} of a series.
        section: economy
        date: 2023-{number:02}-15T12:00:00Z
        ---
        """ + ("The pipeline question again. " * (6 if number != 7 else 1))


def search(server, query, **filters):
    params = urllib.parse.urlencode(dict(q=query, **filters))
    status, headers, body = server.get("/search.json?" + params)
    assert status == 200, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), headers
    return json.loads(body)


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(content=dict(harness.CONTENT, **EXTRA))
        done = add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def titles(self, query, **filters):
        return [r["title"] for r in search(self.server, query, **filters)["results"]]

    def test_ranked_stemmed_folded_and_highlighted(self):
        found = search(self.server, "pipeline")
        self.assertEqual(found["total"], 12)
        self.assertEqual(found["results"][0]["title"], "Pipelines and Power")  # title weighs most
        self.assertIn("<mark>pipeline</mark>", found["results"][1]["excerpt_html"])
        self.assertEqual(self.titles("cafe zurich"), ["Café Diplomacy in Zürich"])
        self.assertEqual(self.titles("sanctions"), ["Café Diplomacy in Zürich"])  # "sanctioning"
        self.assertEqual(self.titles('"coffee by night"'), ["Café Diplomacy in Zürich"])
        self.assertEqual(self.titles('"night by coffee"'), [])
        self.assertEqual(self.titles("jane nuclear"), ["Why Deterrence Still Works"])  # authors, tags
        self.assertEqual(self.titles("coffee -zurich"), [])
        self.assertEqual(self.titles("zurich OR deterrence"),
                         ["Why Deterrence Still Works", "Café Diplomacy in Zürich"])

        status, headers, body = self.server.get("/search?q=cafe+diplomacy")
        self.assertEqual(status, 200)
        self.assertIn("noindex", headers["x-robots-tag"])
        page = body.decode()
        self.assertIn("Café <mark>Diplomacy</mark> in Zürich", page)
        self.assertIn("1 result for", page)
        self.assertIn('value="cafe diplomacy"', page)

    def test_search_rebuild_while_serving_keeps_answering_and_ends_as_before(self):
        queries = ["pipeline", "cafe zurich", "korea", "deterrence"]
        before = {q: search(self.server, q) for q in queries}
        done = harness.run("search", "rebuild", "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        # The server's indexer reads the log's `reindex` row within a second and rebuilds in the
        # background; searches answer throughout, and once it is done, as before.
        for _ in range(20):
            self.assertEqual(search(self.server, "pipeline")["total"], 12)
            time.sleep(0.1)
        time.sleep(1.5)
        self.assertEqual({q: search(self.server, q) for q in queries}, before)
        missing = harness.run("search", "rebuild", "--site", self.server.site + "-missing")
        self.assertNotEqual(missing.returncode, 0)

    def test_filters_order_and_pages(self):
        self.assertEqual(self.titles("korea", section="economy"), ["Café Diplomacy in Zürich"])
        self.assertEqual(self.titles("korea", author="jane-doe", **{"from": "2024-05-01"}),
                         ["Café Diplomacy in Zürich"])
        self.assertEqual(self.titles("pipeline", **{"from": "2023-03-01", "to": "2023-03-15"}),
                         ["Energy Notes, Part 3"])
        newest = self.titles("pipeline", sort="newest")
        self.assertEqual(newest[:2], ["Energy Notes, Part 12", "Energy Notes, Part 11"])
        first = search(self.server, "pipeline")
        self.assertEqual((first["page"], first["pages"], len(first["results"])), (1, 2, 10))
        self.assertTrue(first["next"].startswith("/search.json?q=pipeline"))
        second = search(self.server, "pipeline", page="2")
        self.assertEqual(len(second["results"]), 2)
        self.assertIsNone(second["next"])
        page = self.server.get("/search?q=pipeline")[2].decode()
        self.assertIn('href="/search?q=pipeline&amp;page=2" rel="next">Next</a>', page)
        # Filters that cannot be read are left out, and the reader is told.
        odd = search(self.server, "korea", section="nowhere", author="nobody", **{"from": "yesterday"})
        self.assertEqual(odd["total"], 2)
        self.assertEqual(len(odd["notices"]), 3)

    def test_any_input_gets_results_or_a_sentence(self):
        hostile = ['"unbalanced', 'NEAR(a b)', 'title:x', 'a AND OR NOT', '***', '-', '"', "'; DROP TABLE posts; --",
                   "x" * 10240, "\u0000\u0001", "caf\udcff", '^deterrence', "(((", "pipeline*" * 400]
        for text in hostile:
            encoded = urllib.parse.quote(text, errors="surrogateescape")
            for path in ("/search?q=" + encoded, "/search.json?q=" + encoded):
                status, headers, body = self.server.get(path)
                self.assertEqual(status, 200, (path[:80], body[:200]))
                if path.startswith("/search.json"):
                    answer = json.loads(body)
                    self.assertTrue(answer["results"] or answer["notices"] or answer["understood"], path[:80])
        self.assertIn("Why Deterrence", self.titles('"deterrence')[0])
        self.assertEqual(search(self.server, "x" * 10240)["notices"],
                         ["Your search was long, so only its beginning was used."])
        self.assertEqual(self.server.get("/search?q=%ff%fe")[0], 200)
        self.assertEqual(self.server.get("/search?page=-1&q=a&sort=%00")[0], 200)
        self.assertEqual(search(self.server, "pipeline", page="99")["results"], [])
        self.assertEqual(search(self.server, "pipeline", page="99999999999")["page"], 1)  # not a number we take
        self.assertEqual(search(self.server, "pipeline", page="2147483647")["page"], 1000)

    def test_the_index_follows_the_desk(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)

        def save(path, action, **changes):
            status, _, page, _ = editor.request("GET", path)
            self.assertEqual(status, 200)
            csrf, count = form_of(page)
            fields = dict(FIELDS, csrf=csrf, edit_count=count, **{"do": action})
            fields.update(changes)
            return editor.request("POST", "/admin/posts" if path.endswith("/new") else path, fields)

        status, headers, _, _ = save("/admin/posts/new", "publish", title="Quokkas Are Strategic",
                                     body="The marsupial doctrine.", tags="Wildlife")
        self.assertEqual(status, 303)
        post = headers["Location"].split("?")[0]
        self.assertEqual(self.titles("quokka"), ["Quokkas Are Strategic"])
        self.assertEqual(self.titles("marsupial wildlife"), ["Quokkas Are Strategic"])
        save(post, "save", title="Wombats Are Strategic", slug="quokkas-are-strategic", tags="Wildlife")
        self.assertEqual(self.titles("quokka"), [])
        self.assertEqual(self.titles("wombat"), ["Wombats Are Strategic"])
        save(post, "unpublish", title="Wombats Are Strategic", slug="quokkas-are-strategic")
        self.assertEqual(self.titles("wombat"), [])
        save(post, "publish", title="Wombats Are Strategic", slug="quokkas-are-strategic")
        self.assertEqual(self.titles("wombat"), ["Wombats Are Strategic"])
        save(post, "trash", title="Wombats Are Strategic", slug="quokkas-are-strategic")
        self.assertEqual(self.titles("wombat"), [])


    def test_metrics_say_how_far_the_index_is_behind_the_log(self):
        deadline = time.time() + 10
        while True:
            status, _, body = self.server.get("/metrics")
            self.assertEqual(status, 200)
            metrics = body.decode()
            rows = re.search(r"^broadsheet_search_log_behind_rows (\d+)$", metrics, re.M)
            self.assertIsNotNone(rows, metrics[-2000:])
            if rows.group(1) == "0" or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(rows.group(1), "0")  # the indexer keeps up, within a second
        self.assertRegex(metrics, r"(?m)^broadsheet_search_log_behind_seconds 0$")
        self.assertRegex(metrics, r"(?m)^broadsheet_search_caught_up_timestamp_seconds \d{10}$")
        self.assertRegex(metrics, r"(?m)^broadsheet_search_building [01]$")

    def test_the_editor_sets_how_a_post_appears_to_search_engines(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        status, _, page, _ = editor.request("GET", "/admin/posts/new")
        csrf, count = form_of(page)
        self.assertIn('name="seo_description"', page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title="Seen Differently", **{"do": "publish"},
                      seo_description="Written for search results.", social_image="/uploads/social.png",
                      canonical_url="javascript:alert(1)", noindex="1")
        status, _, page, _ = editor.request("POST", "/admin/posts", fields)
        self.assertEqual(status, 422)
        self.assertIn("The canonical address must be a full address", html.unescape(page))
        self.assertIn("Written for search results.", page)  # the text is kept
        fields["canonical_url"] = "https://first.example/seen/"
        status, _, _, _ = editor.request("POST", "/admin/posts", fields)
        self.assertEqual(status, 303)
        article = self.server.get("/seen-differently/")[2].decode()
        self.assertIn('<meta name="description" content="Written for search results.">', article)
        self.assertIn('<link rel="canonical" href="https://first.example/seen/">', article)
        self.assertIn('<meta name="robots" content="noindex">', article)
        self.assertIn('/uploads/social.png">', article)


class Archives(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(content=dict(harness.CONTENT, **EXTRA)).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_years_and_months(self):
        status, _, body = self.server.get("/2023/")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertIn('<h1 class="list-heading">2023</h1>', page)
        self.assertIn('href="/2023/07/">July</a> (1)', page)
        self.assertIn('href="/2024/">2024</a>', page)
        self.assertIn('href="/2023/page/2/"', page)  # twelve pieces, ten a page
        self.assertEqual(self.server.get("/2023/page/2/")[0], 200)
        self.assertEqual(self.server.get("/2023/page/3/")[0], 404)
        status, _, body = self.server.get("/2023/07/")
        self.assertEqual(status, 200)
        self.assertIn("Pipelines and Power", body.decode())
        self.assertNotIn("Energy Notes, Part 6", body.decode())
        self.assertIn("July 2023", body.decode())
        for path in ("/2023/13/", "/2023/00/", "/2023/7/", "/2022/", "/2099/", "/0999/", "/2023/07/page/2/"):
            self.assertEqual(self.server.get(path)[0], 404, path)
        self.assertEqual(self.server.get("/2023")[0], 301)
        # A month is the publication's: 2024-03-01T09:30Z is March in New York too.
        self.assertIn("Why Deterrence Still Works", self.server.get("/2024/03/")[2].decode())


class Appearance(unittest.TestCase):
    """What search engines and social sites see."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(content=dict(harness.CONTENT, **EXTRA),
                                    env={"BROADSHEET_BASE_URL": "https://review.example"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def page(self, path):
        status, _, body = self.server.get(path)
        self.assertEqual(status, 200, path)
        return body.decode()

    def json_ld(self, page):
        return [json.loads(block) for block in
                re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]

    def meta(self, page, key):
        found = re.search(r'<meta (?:property|name)="' + re.escape(key) + r'" content="([^"]*)">', page)
        return html.unescape(found.group(1)) if found else None

    def test_articles_carry_open_graph_twitter_and_breadcrumbs(self):
        page = self.page("/why-deterrence-still-works/")
        self.assertEqual(self.meta(page, "og:type"), "article")
        self.assertEqual(self.meta(page, "twitter:card"), "summary_large_image")
        self.assertTrue(self.meta(page, "og:image").startswith("https://review.example/uploads/"))
        self.assertEqual(self.meta(page, "og:image:alt"), "Soldiers at a border post")
        self.assertEqual(self.meta(page, "article:section"), "Security and Foreign Policy")
        self.assertIn('<meta property="article:tag" content="Nuclear Weapons">', page)
        self.assertIn('<link rel="canonical" href="https://review.example/why-deterrence-still-works/">', page)
        article, crumbs = self.json_ld(page)
        self.assertEqual(article["@type"], "OpinionNewsArticle")
        self.assertEqual(crumbs["@type"], "BreadcrumbList")
        self.assertEqual([item["name"] for item in crumbs["itemListElement"]],
                         ["The Test Review", "Security and Foreign Policy", "Why Deterrence Still Works"])
        self.assertEqual(crumbs["itemListElement"][1]["item"], "https://review.example/section/security/")
        related = re.search(r'<section class="related".*?</section>', page, re.S).group(0)
        self.assertIn("Café Diplomacy in Zürich", related)  # shares the Korea tag

    def test_per_post_overrides(self):
        page = self.page("/a-quiet-piece-syndicated-from-elsewhere/")
        self.assertIn('<meta name="robots" content="noindex">', page)
        self.assertIn('<link rel="canonical" href="https://original.example/quiet/">', page)
        self.assertEqual(self.meta(page, "description"), "A description written for search engines.")
        self.assertEqual(self.meta(page, "og:description"), "A description written for search engines.")
        self.assertEqual(self.meta(page, "og:image"), "https://cdn.example/social.png")
        self.assertEqual(self.meta(page, "twitter:image"), "https://cdn.example/social.png")
        sitemap = self.server.get("/sitemaps/posts-1.xml")[2].decode()
        self.assertNotIn("a-quiet-piece", sitemap)
        self.assertIn("why-deterrence-still-works", sitemap)
        # Site search still finds it.
        self.assertEqual(search(self.server, "quiet")["total"], 1)

    def test_structured_data_on_every_page_type(self):
        home = self.json_ld(self.page("/"))[0]
        self.assertEqual(home["@type"], "WebSite")
        self.assertEqual(home["potentialAction"]["@type"], "SearchAction")
        self.assertEqual(home["potentialAction"]["target"]["urlTemplate"],
                         "https://review.example/search?q={search_term_string}")
        author, crumbs = self.json_ld(self.page("/author/jane-doe/"))
        self.assertEqual(author["@type"], "ProfilePage")
        self.assertEqual(author["mainEntity"]["@type"], "Person")
        self.assertEqual(author["mainEntity"]["name"], "Jane Doe")
        self.assertIn("Korean peninsula", author["mainEntity"]["description"])
        self.assertEqual(crumbs["itemListElement"][-1]["name"], "Jane Doe")
        for path, name in (("/section/economy/", "Economy"), ("/tag/korea/", "Korea")):
            collection, crumbs = self.json_ld(self.page(path))
            self.assertEqual(collection["@type"], "CollectionPage", path)
            self.assertEqual(collection["isPartOf"]["@type"], "WebSite")
            self.assertEqual(crumbs["itemListElement"][-1]["name"], name)
        archive, crumbs = self.json_ld(self.page("/2023/07/"))
        self.assertEqual(archive["@type"], "CollectionPage")
        self.assertEqual([i["name"] for i in crumbs["itemListElement"]], ["The Test Review", "2023", "July 2023"])


if __name__ == "__main__":
    unittest.main()
