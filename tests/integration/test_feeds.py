"""Feeds: RSS 2.0, Atom and JSON Feed for the site and each section, author and tag, and an
article's comments; parsed with Debian's python3-feedparser (no errors, the right entries),
answering conditional GETs, and announced on every page."""

import json
import os
import unittest

import feedparser

import harness

ARTICLE = "/why-deterrence-still-works/"
SECOND = """
    ---
    title: Sanctions & "Smart" Money <Analysis>
    dek: A second piece, in the economy section.
    section: economy
    authors: [jane-doe]
    tags: [Sanctions]
    date: 2024-04-02T10:00:00Z
    ---
    Body of the second piece with a [link](/why-deterrence-still-works/).
    """


class Feeds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        content = dict(harness.CONTENT)
        content["posts/second.md"] = SECOND
        cls.server = harness.Server(content=content).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def parse(self, path):
        status, headers, body = self.server.get(path)
        self.assertEqual(status, 200, path)
        feed = feedparser.parse(body, response_headers={"content-type": headers["content-type"]})
        self.assertEqual(feed.bozo, 0, f"{path}: {feed.get('bozo_exception')}")
        return feed, headers

    def json_feed(self, path):
        """Debian's feedparser (6.0.10) does not read JSON Feed: checked against JSON Feed 1.1."""
        status, headers, body = self.server.get(path)
        self.assertEqual(status, 200, path)
        self.assertEqual(headers["content-type"], "application/feed+json; charset=utf-8")
        data = json.loads(body)
        self.assertEqual(data["version"], "https://jsonfeed.org/version/1.1")
        for key in ("title", "home_page_url", "feed_url", "items"):
            self.assertIn(key, data)
        for item in data["items"]:
            self.assertIsInstance(item["id"], str)
            self.assertTrue("content_html" in item or "content_text" in item)
        return data

    def test_site_feeds_in_three_formats(self):
        self.assertEqual([i["title"] for i in self.json_feed("/feed.json")["items"]],
                         ['Sanctions & "Smart" Money <Analysis>', "Why Deterrence Still Works"])
        for path, version in [("/feed/", "rss20"), ("/feed/atom/", "atom10")]:
            feed, headers = self.parse(path)
            self.assertEqual(feed.version, version, path)
            self.assertEqual(len(feed.entries), 2, path)  # the About page is not an article
            first = feed.entries[0]
            self.assertEqual(first.title, 'Sanctions & "Smart" Money <Analysis>', path)
            self.assertEqual(first.link, "http://127.0.0.1:8080/sanctions-smart-money-analysis/", path)
            self.assertIn("Last-Modified", {k.title() for k in headers}, path)
        rss, headers = self.parse("/feed/")
        self.assertEqual(headers["content-type"], "application/rss+xml; charset=utf-8")
        deterrence = rss.entries[1]
        self.assertEqual(deterrence.author, "Jane Doe")
        self.assertIn("Deterrence is about belief.", deterrence.content[0].value)
        self.assertEqual(deterrence.enclosures[0].href, "http://127.0.0.1:8080/uploads/images/photo.svg")
        self.assertEqual(deterrence.media_credit[0]["content"], "AP Photo/Test Photographer")
        self.assertEqual({t.term for t in deterrence.tags}, {"Security and Foreign Policy", "Korea", "Nuclear Weapons"})
        self.assertIn('href="http://127.0.0.1:8080/why-deterrence-still-works/"', rss.entries[0].content[0].value)
        data = self.json_feed("/feed.json")
        self.assertEqual(data["items"][1]["authors"][0]["name"], "Jane Doe")
        self.assertEqual(data["items"][1]["image"], "http://127.0.0.1:8080/uploads/images/photo.svg")

    def test_section_author_and_tag_feeds(self):
        self.assertEqual(len(self.parse("/section/economy/feed/")[0].entries), 1)
        self.assertEqual(len(self.parse("/section/security/feed/atom/")[0].entries), 1)
        self.assertEqual(len(self.parse("/author/jane-doe/feed/")[0].entries), 2)
        self.assertEqual([i["title"] for i in self.json_feed("/tag/sanctions/feed.json")["items"]],
                         ['Sanctions & "Smart" Money <Analysis>'])
        self.assertEqual(len(self.parse("/tag/sanctions/feed/")[0].entries), 1)
        self.assertEqual(self.server.get("/section/no-such/feed/")[0], 404)

    def test_conditional_get_answers_304(self):
        status, headers, _ = self.server.get("/feed/")
        self.assertEqual(status, 200)
        self.assertEqual(self.server.get("/feed/", {"If-None-Match": headers["etag"]})[0], 304)
        self.assertEqual(self.server.get("/feed/", {"If-Modified-Since": headers["last-modified"]})[0], 304)
        self.assertEqual(self.server.get("/feed/", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0], 200)
        parsed = feedparser.parse(f"http://127.0.0.1:{self.server.port}/feed/", etag=headers["etag"],
                                  modified=headers["last-modified"])
        self.assertEqual(parsed.status, 304)

    def test_every_page_announces_its_feeds(self):
        home = self.server.get("/")[2].decode()
        self.assertIn('<link rel="alternate" type="application/rss+xml" title="The Test Review" href="/feed/">', home)
        self.assertIn('type="application/atom+xml"', home)
        self.assertIn('type="application/feed+json"', home)
        self.assertIn('href="/section/economy/feed/"', self.server.get("/section/economy/")[2].decode())
        self.assertIn(f'href="{ARTICLE}feed/"', self.server.get(ARTICLE)[2].decode())


class Crawlers(unittest.TestCase):
    def test_sitemaps_news_sitemap_and_robots(self):
        import time
        import xml.etree.ElementTree as ElementTree
        server = harness.Server()
        try:
            fresh = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
            harness.write_tree(server.content, {"posts/fresh.md": f"---\ntitle: Fresh & New\ndate: {fresh}\n---\nNew.\n"})
            harness.run("import", "markdown", server.content, "--site", server.site)
            server.start()
            ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
                  "n": "http://www.google.com/schemas/sitemap-news/0.9"}
            status, headers, body = server.get("/sitemap.xml")
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/xml; charset=utf-8")
            maps = [e.text for e in ElementTree.fromstring(body).findall("s:sitemap/s:loc", ns)]
            self.assertEqual(maps, ["http://127.0.0.1:8080/sitemaps/pages.xml",
                                    "http://127.0.0.1:8080/sitemaps/posts-1.xml",
                                    "http://127.0.0.1:8080/sitemaps/news.xml"])
            posts = ElementTree.fromstring(server.get("/sitemaps/posts-1.xml")[2])
            urls = [e.findtext("s:loc", namespaces=ns) for e in posts.findall("s:url", ns)]
            self.assertEqual(sorted(urls), ["http://127.0.0.1:8080/about/", "http://127.0.0.1:8080/fresh-new/",
                                            "http://127.0.0.1:8080/why-deterrence-still-works/"])
            self.assertTrue(all(e.findtext("s:lastmod", namespaces=ns) for e in posts.findall("s:url", ns)))
            pages = ElementTree.fromstring(server.get("/sitemaps/pages.xml")[2])
            self.assertIn("http://127.0.0.1:8080/section/security/",
                          [e.text for e in pages.findall("s:url/s:loc", ns)])
            news = ElementTree.fromstring(server.get("/sitemaps/news.xml")[2])
            self.assertEqual([e.text for e in news.findall("s:url/n:news/n:title", ns)], ["Fresh & New"])
            for missing in ("/sitemaps/posts-2.xml", "/sitemaps/posts-0.xml", "/sitemaps/other.xml"):
                self.assertEqual(server.get(missing)[0], 404, missing)
            robots = server.get("/robots.txt")[2].decode()
            self.assertIn("Disallow: /admin/", robots)
            self.assertTrue(robots.endswith("Sitemap: http://127.0.0.1:8080/sitemap.xml\n"), robots)
            server.set_desk_setting("robots_txt", "User-agent: *\nDisallow: /private/")
            harness.run("import", "markdown", server.content, "--site", server.site)  # a write: pages renew
            server.settle()
            self.assertIn("Disallow: /private/", server.get("/robots.txt")[2].decode())
        finally:
            server.close()


class CommentsAndExcerpts(unittest.TestCase):
    def test_the_comments_feed_and_excerpt_feeds(self):
        server = harness.Server().start()
        try:
            feed = feedparser.parse(server.get(ARTICLE + "feed/")[2])
            self.assertEqual((feed.bozo, len(feed.entries)), (0, 0))
            with server.database() as db:
                post_id = db.execute("SELECT id FROM posts WHERE slug = 'why-deterrence-still-works'").fetchone()[0]
                db.execute("INSERT INTO comments(post_id, status, author_name, author_email, body_markdown, body_html, "
                           "created_at) VALUES (?, 'approved', 'Ola Reader', 'ola@example.org', 'Fine <b>point</b>.', "
                           "'<p>Fine &lt;b&gt;point&lt;/b&gt;.</p>', 1700000000)", (post_id,))
            harness.run("comments", "approve", "1", "--site", server.site)  # bumps the pages' version
            server.settle()
            status, _, body = server.get(ARTICLE + "feed/")
            feed = feedparser.parse(body)
            self.assertEqual((feed.bozo, len(feed.entries)), (0, 1))
            self.assertEqual(feed.entries[0].author, "Ola Reader")
            self.assertNotIn(b"ola@example.org", body)
            self.assertEqual(server.get("/about/feed/")[0], 404)
            server.set_desk_setting("feed_full_text", "0")
            harness.run("comments", "approve", "1", "--site", server.site)
            server.settle()
            feed = feedparser.parse(server.get("/feed/")[2])
            texts = [c.value for c in feed.entries[0].get("content", [])]
            self.assertFalse(any("Deterrence is about belief." in t for t in texts), texts)
            self.assertIn("old logic of deterrence", feed.entries[0].summary)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
