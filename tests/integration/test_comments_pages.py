"""Long comment sections: the article shows the newest page of threads, older threads are on
/SLUG/comments/page/N/, and /SLUG/comments/ID/ is a comment's permanent address, redirecting to
the page that shows it. The count in the heading (kept by the database) follows moderation."""

import os
import random
import re
import unittest

import harness
from test_comments import ARTICLE, cli, comment
from test_http_limits import metric

THREADS = 120  # the article shows 50 threads a page: three pages


class CommentPages(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server()
        with self.server.database() as db:
            post = db.execute("SELECT id FROM posts WHERE slug = ?", (ARTICLE.strip("/"),)).fetchone()[0]
            other = db.execute("SELECT id FROM posts WHERE id <> ? AND status = 'published'",
                               (post,)).fetchone()[0]

            def add(post_id, status, text, parent=None):
                return db.execute(
                    "INSERT INTO comments(post_id, parent_id, status, author_name, author_email, "
                    "body_markdown, body_html, created_at) VALUES (?, ?, ?, 'Reader', 'r@example.org', "
                    "?, ?, ?) RETURNING id", (post_id, parent, status, text, f"<p>{text}</p>",
                                              1700000000)).fetchone()[0]

            self.roots = [add(post, "approved", f"Thread number {k}") for k in range(THREADS)]
            self.reply = add(post, "approved", "A reply to the oldest thread", self.roots[0])
            self.held = add(post, "pending", "Held for a moderator")
            self.elsewhere = add(other, "approved", "On another article")
        self.server.start()
        self.server.set_desk_setting("comments_min_form_seconds", "0")

    def tearDown(self):
        self.server.close()

    def ids_on(self, path):
        status, _, body = self.server.get(path)
        self.assertEqual(status, 200, path)
        return body.decode(), {int(i) for i in re.findall(r'id="comment-(\d+)"', body.decode())}

    def test_the_article_shows_the_newest_threads_and_links_the_older_pages(self):
        page, ids = self.ids_on(ARTICLE)
        self.assertEqual(ids, set(self.roots[-50:]))
        self.assertIn(f'href="{ARTICLE}comments/page/2/#comments"', page)
        self.assertIn(f"{THREADS + 1} comments", page)  # every approved one, not the held one
        page, ids = self.ids_on(ARTICLE + "comments/page/3/")
        self.assertEqual(ids, set(self.roots[:20]) | {self.reply})  # a thread keeps its replies
        self.assertIn(f'href="{ARTICLE}comments/page/2/#comments"', page)
        self.assertNotIn("comments/page/4/", page)
        self.assertEqual(self.server.get(ARTICLE + "comments/page/4/")[0], 404)

    def test_a_query_the_pages_do_not_read_is_served_from_the_cache(self):
        # Articles and their comment pages read ?replyto= and ?comment= alone (issue 13).
        for path in (ARTICLE, ARTICLE + "comments/page/2/"):
            with self.subTest(path=path):
                status, _, warm = self.server.get(path)
                self.assertEqual(status, 200)
                entries = metric(self.server, "broadsheet_page_cache_entries")
                hits = metric(self.server, "broadsheet_page_cache_hits_total")
                for query in ("?x=1", "?x=2", "?x=%d&utm_source=mail" % random.randrange(10 ** 12)):
                    status, _, body = self.server.get(path + query)
                    self.assertEqual(status, 200, query)
                    self.assertEqual(body, warm, query)
                self.assertEqual(metric(self.server, "broadsheet_page_cache_hits_total") - hits, 3)
                self.assertEqual(metric(self.server, "broadsheet_page_cache_entries"), entries)

    def test_a_reply_link_still_opens_the_form_for_its_comment(self):
        newest, older = self.roots[-1], self.roots[-51]  # the second on page 2
        page = self.ids_on(ARTICLE)[0]
        self.assertIn(f'href="?replyto={newest}#respond"', page)
        self.assertIn('name="parent" value="0"', page)
        self.assertIn('class="comment-replying" hidden', page)
        for path, comment_id in ((ARTICLE, newest), (ARTICLE + "comments/page/2/", older)):
            for query in (f"?replyto={comment_id}", f"?x=1&replyto={comment_id}&replyto=5"):
                with self.subTest(target=path + query):
                    page = self.ids_on(path + query)[0]
                    self.assertIn(f'name="parent" value="{comment_id}"', page)
                    self.assertNotIn('class="comment-replying" hidden', page)
        self.assertIn("awaiting moderation", self.ids_on(ARTICLE + "?x=1&comment=held")[0])
        # Neither became the page at the bare address.
        page = self.ids_on(ARTICLE)[0]
        self.assertIn('name="parent" value="0"', page)
        self.assertNotIn("awaiting moderation", page)

    def test_a_comments_address_lands_on_the_page_that_shows_it(self):
        cases = {self.roots[-1]: ARTICLE, self.roots[-50]: ARTICLE,
                 self.roots[-51]: ARTICLE + "comments/page/2/", self.roots[0]: ARTICLE + "comments/page/3/",
                 self.reply: ARTICLE + "comments/page/3/"}
        for comment_id, page in cases.items():
            status, headers, _ = self.server.get(f"{ARTICLE}comments/{comment_id}/")
            self.assertEqual(status, 302, comment_id)
            self.assertEqual(headers["location"], f"{page}#comment-{comment_id}")
            self.assertIn(comment_id, self.ids_on(page)[1])

    def test_a_published_reply_to_an_older_thread_lands_on_its_page(self):
        status, headers, _ = comment(self.server, {"body": "Late to this thread.", "email": "r@example.org",
                                                   "parent": str(self.roots[0])})
        self.assertEqual(status, 303)
        found = re.fullmatch(re.escape(ARTICLE) + r"comments/page/3/\?comment=(\d+)#comment-(\d+)",
                             headers["location"])
        self.assertTrue(found, headers["location"])
        page, ids = self.ids_on(headers["location"].split("#")[0])
        self.assertIn(int(found.group(1)), ids)
        self.assertIn("Your comment is published.", page)
        # a new thread is on the first page
        status, headers, _ = comment(self.server, {"body": "A new thread.", "email": "r@example.org"})
        self.assertRegex(headers["location"], "^" + re.escape(ARTICLE) + r"\?comment=\d+#comment-\d+$")

    def test_an_address_of_a_comment_not_shown_there_is_not_found(self):
        for path in (f"{ARTICLE}comments/{self.held}/", f"{ARTICLE}comments/{self.elsewhere}/",
                     f"{ARTICLE}comments/999999/", f"{ARTICLE}comments/0/", f"{ARTICLE}comments/-1/",
                     f"{ARTICLE}comments/12abc/", f"{ARTICLE}comments/{'9' * 40}/",
                     f"/no-such-article/comments/{self.roots[0]}/"):
            self.assertEqual(self.server.get(path)[0], 404, path)

    def test_the_count_follows_approval_spam_and_deletion(self):
        self.assertIn(f"{THREADS + 1} comments", self.ids_on(ARTICLE)[0])
        self.assertEqual(cli(self.server, "approve", str(self.held)).returncode, 0)
        self.assertIn(f"{THREADS + 2} comments", self.ids_on(ARTICLE)[0])
        self.assertEqual(cli(self.server, "spam", str(self.roots[-1])).returncode, 0)
        self.assertIn(f"{THREADS + 1} comments", self.ids_on(ARTICLE)[0])
        self.assertEqual(self.server.get(f"{ARTICLE}comments/{self.roots[-1]}/")[0], 404)

    def test_the_comments_feed_holds_the_newest_hundred_with_their_permanent_addresses(self):
        status, _, body = self.server.get(ARTICLE + "feed/")
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertEqual(text.count("<item>"), 100)  # not the article's 50 threads, not all 121
        self.assertIn("A reply to the oldest thread", text)
        self.assertIn(f"Thread number {THREADS - 1}&lt;", text)
        self.assertNotIn(f"Thread number {THREADS - 100}&lt;", text)
        oldest = self.roots[THREADS - 99]  # the oldest one in the feed
        self.assertTrue(re.search(rf"<link>http://[^<]+{re.escape(ARTICLE)}comments/{oldest}/</link>", text))
        # the guid is the one readers' feed programs already know
        self.assertTrue(re.search(rf'<guid isPermaLink="true">http://[^<]+{re.escape(ARTICLE)}#comment-{oldest}</guid>',
                                  text))


if __name__ == "__main__":
    unittest.main()
