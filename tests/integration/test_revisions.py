"""Revisions and corrections with care (issue 15, item 6): word-level revision comparisons, a
restore that asks first and says what it changes, correction and update notes that editors (and
only editors) reword or remove, and every desk time in the publication's zone."""

import html
import re
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of

ZONE_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T"  # the test site is in America/New_York


class RevisionsAndNotes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role in [("editor@example.org", "editor"), ("author@example.org", "author"),
                            ("writer@example.org", "contributor"), ("admin@example.org", "administrator")]:
            done = add_user(cls.server, email, role, PASSWORD, role.capitalize() + " Person")
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def create(self, browser, action="save", **changes):
        page = browser.request("GET", "/admin/posts/new")[2]
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, **{"do": action})
        fields.update(changes)
        status, headers, page, _ = browser.request("POST", "/admin/posts", fields)
        self.assertEqual(status, 303, page[:500])
        return headers["Location"].split("?")[0]

    def save(self, browser, post, action="save", **changes):
        status, _, page, _ = browser.request("GET", post)
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, **{"do": action})
        fields["title"] = html.unescape(re.search(r'name="title" type="text" value="([^"]*)"', page).group(1))
        fields["slug"] = html.unescape(re.search(r'name="slug" type="text" value="([^"]*)"', page).group(1))
        fields.update(changes)
        status, _, page, _ = browser.request("POST", post, fields)
        self.assertEqual(status, 303, page[:500])

    def add_note(self, browser, post, kind, text):
        page = browser.request("GET", post)[2]
        csrf = harness.form_token(page, re.escape(post + "/notes"))
        status, _, _, _ = browser.request("POST", post + "/notes", {"csrf": csrf, "kind": kind, "text": text})
        self.assertEqual(status, 303)

    def note_links(self, browser, post):
        return re.findall(r'<a href="(' + re.escape(post) + r'/notes/\d+)">Edit or remove', browser.request("GET", post)[2])

    def audit(self):
        page = self.signed_in("admin@example.org").request("GET", "/admin/audit")[2]
        return html.unescape(page)

    # Word-level comparison.

    def test_a_changed_paragraph_marks_the_changed_words_escaped_and_labelled(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, title="Word Level", slug="word-level",
                           body="Tom & Jerry <i>said</i> the vote was 52 to 48.\n\nUntouched paragraph.")
        self.save(editor, post, body="Tom & Jerry <i>said</i> the vote was 51 to 49.\n\nUntouched paragraph.")
        revisions = re.findall(r'<a href="(' + re.escape(post) + r'/revisions/\d+)">', editor.request("GET", post)[2])
        status, _, page, _ = editor.request("GET", revisions[-1])
        self.assertEqual(status, 200)
        hidden = '<span class="visually-hidden">'
        self.assertIn('<span class="diff-removed">\u2212 Tom &amp; Jerry &lt;i&gt;said&lt;/i&gt; the vote was '
                      f'<del>{hidden}[removed: </span>52{hidden}]</span></del> to '
                      f'<del>{hidden}[removed: </span>48{hidden}]</span></del>.</span>', page)
        self.assertIn(f'<ins>{hidden}[added: </span>51{hidden}]</span></ins>', page)
        self.assertIn('<span class="diff-same">  Untouched paragraph.</span>', page)
        self.assertNotIn("<i>said", page)

    # Confirm before restore.

    def test_restoring_asks_first_and_names_the_live_article_and_its_notes(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, "publish", title="Restore With Care", slug="restore-with-care",
                           body="The treaty was signed in 1994.")
        self.save(editor, post, body="The treaty was signed in 1995.")
        self.add_note(editor, post, "correction", "An earlier version gave the year as 1994.")
        revisions = re.findall(r'<a href="(' + re.escape(post) + r'/revisions/\d+)">', editor.request("GET", post)[2])
        oldest = revisions[-1]
        page = editor.request("GET", oldest)[2]
        # The comparison's button only leads to the question; it posts nothing.
        self.assertNotRegex(page, r'<form method="post" action="' + re.escape(oldest) + '/restore"')
        count = re.search(r'<form method="get" action="' + re.escape(oldest) + r'/restore">\s*'
                          r'<input type="hidden" name="edit_count" value="(\d+)">', page).group(1)

        status, _, confirm, _ = editor.request("GET", f"{oldest}/restore?edit_count={count}")
        self.assertEqual(status, 200)
        self.assertIn("This article is published: restoring changes the live article at once.", confirm)
        self.assertIn("An earlier version gave the year as 1994.", confirm)
        self.assertIn("added after this revision was saved", confirm)
        self.assertIn("1 paragraph(s) of the current text go, 1 from the revision come back", confirm)
        self.assertRegex(confirm, r"Restore the revision of " + ZONE_TIME + r"\?")
        self.assertIn(f'name="edit_count" value="{count}"', confirm)
        self.assertIn(b"signed in 1995", self.server.get("/restore-with-care/")[2])

        csrf = harness.form_token(confirm, re.escape(oldest + "/restore"))
        # Without the confirmation, a post is only shown the question again.
        status, _, again, _ = editor.request("POST", oldest + "/restore", {"csrf": csrf, "edit_count": count})
        self.assertEqual(status, 200)
        self.assertIn("changes the live article at once", again)
        self.assertIn(b"signed in 1995", self.server.get("/restore-with-care/")[2])
        # Without a valid token, nothing at all.
        status, _, _, _ = editor.request("POST", oldest + "/restore", {"csrf": "forged", "edit_count": count, "confirmed": "1"})
        self.assertEqual(status, 403)
        self.assertIn(b"signed in 1995", self.server.get("/restore-with-care/")[2])

        status, headers, _, _ = editor.request("POST", oldest + "/restore",
                                               {"csrf": csrf, "edit_count": count, "confirmed": "1"})
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], post + "?saved=save")
        self.assertIn(b"signed in 1994", self.server.get("/restore-with-care/")[2])
        self.assertRegex(self.audit(), r"<td>restore-revision</td><td><a href=\"" + re.escape(post) + r"\">")
        # The form is spent: the post changed since it was opened.
        status, _, _, _ = editor.request("POST", oldest + "/restore", {"csrf": csrf, "edit_count": count, "confirmed": "1"})
        self.assertEqual(status, 409)

    def test_a_draft_restore_says_nothing_of_a_live_article_and_others_may_not_ask(self):
        writer = self.signed_in("writer@example.org")
        post = self.create(writer, title="Draft Restore", slug="draft-restore", body="First.")
        self.save(writer, post, body="Second.")
        oldest = re.findall(r'<a href="(' + re.escape(post) + r'/revisions/\d+)">', writer.request("GET", post)[2])[-1]
        status, _, confirm, _ = writer.request("GET", oldest + "/restore")
        self.assertEqual(status, 200)
        self.assertNotIn("live article", confirm)
        self.assertIn("Restore this revision</button>", confirm)
        csrf = harness.form_token(confirm, re.escape(oldest + "/restore"))
        count = re.search(r'name="edit_count" value="(\d+)"', confirm).group(1)
        self.assertEqual(writer.request("POST", oldest + "/restore", {"csrf": csrf, "edit_count": count, "confirmed": "1"})[0], 303)
        self.assertIn("First.", writer.request("GET", post)[2])
        # Someone else's post, and a revision of another post, are not theirs to restore.
        editor = self.signed_in("editor@example.org")
        other = self.create(editor, "publish", title="Not Yours", slug="not-yours", body="One.")
        self.save(editor, other, body="Two.")
        theirs = re.findall(r'<a href="(' + re.escape(other) + r'/revisions/\d+)">', editor.request("GET", other)[2])[-1]
        self.assertEqual(writer.request("GET", theirs + "/restore")[0], 403)
        self.assertEqual(editor.request("GET", other + "/revisions/" + oldest.rsplit("/", 1)[1] + "/restore")[0], 404)
        self.assertEqual(editor.request("GET", other + "/revisions/junk/restore")[0], 404)

    # Notes: editors reword and remove; others may not.

    def test_an_editor_rewords_and_removes_notes_and_readers_see_it_at_once(self):
        editor = self.signed_in("editor@example.org")
        post = self.create(editor, "publish", title="Noted Piece", slug="noted-piece", body="Body.")
        self.add_note(editor, post, "correction", "The minister was misnamed.")
        self.add_note(editor, post, "update", "Talks resume Monday.")
        self.assertIn(b"The minister was misnamed.", self.server.get("/noted-piece/")[2])  # now cached
        first, second = self.note_links(editor, post)

        status, _, form, _ = editor.request("GET", first)
        self.assertEqual(status, 200)
        self.assertIn("The minister was misnamed.</textarea>", form)
        self.assertRegex(form, "Dated " + ZONE_TIME)
        csrf = harness.form_token(form, re.escape(first))
        # A bad change comes back with the text typed and nothing stored.
        status, _, page, _ = editor.request("POST", first, {"csrf": csrf, "do": "save", "kind": "correction", "text": "   "})
        self.assertEqual(status, 422)
        status, _, page, _ = editor.request("POST", first, {"csrf": csrf, "do": "save", "kind": "correction",
                                                            "text": "The foreign minister was misnamed <b>twice</b>."})
        self.assertEqual(status, 303)
        body = self.server.get("/noted-piece/")[2].decode()
        self.assertIn("The foreign minister was misnamed &lt;b&gt;twice&lt;/b&gt;.", body)
        self.assertNotIn("The minister was misnamed.", body)

        csrf = harness.form_token(editor.request("GET", second)[2], re.escape(second))
        self.assertEqual(editor.request("POST", second, {"csrf": csrf, "do": "remove"})[0], 303)
        self.assertNotIn(b"Talks resume Monday.", self.server.get("/noted-piece/")[2])
        self.assertEqual(editor.request("GET", second)[0], 404)
        self.assertEqual(editor.request("POST", second, {"csrf": csrf, "do": "remove"})[0], 404)

        log = self.audit()
        self.assertRegex(log, r"<td>edit-correction</td><td><a href=\"" + re.escape(post) + r"\">#\d+</a></td>"
                              r"<td>note \d+: The foreign minister was misnamed <b>twice</b>\. \(was correction: The minister was misnamed\.\)</td>")
        self.assertRegex(log, r"<td>remove-update</td><td><a href=\"" + re.escape(post) + r"\">#\d+</a></td>"
                              r"<td>note \d+: Talks resume Monday\.</td>")

    def test_authors_and_contributors_may_not_change_notes(self):
        author = self.signed_in("author@example.org")
        post = self.create(author, "publish", title="Author Own", slug="author-own", body="Body.")
        self.add_note(author, post, "correction", "Fixed a date.")  # adding stays theirs
        self.assertEqual(self.note_links(author, post), [])
        editor = self.signed_in("editor@example.org")
        (link,) = self.note_links(editor, post)
        self.assertEqual(author.request("GET", link)[0], 403)
        self.assertEqual(author.request("POST", link, {"csrf": "forged", "do": "remove"})[0], 403)
        writer = self.signed_in("writer@example.org")
        self.assertEqual(writer.request("GET", link)[0], 403)
        self.assertEqual(writer.request("POST", link, {"csrf": "forged", "do": "remove"})[0], 403)
        self.assertIn(b"Fixed a date.", self.server.get("/author-own/")[2])
        self.assertEqual(editor.request("GET", post + "/notes/999999")[0], 404)

    # Times in the publication's zone.

    def test_desk_times_are_in_the_publication_zone_and_the_date_field_reads_it(self):
        editor = self.signed_in("editor@example.org")
        summer = self.create(editor, "publish", title="Summer Piece", slug="summer-piece", date="2026-07-01T09:30")
        winter = self.create(editor, "publish", title="Winter Piece", slug="winter-piece", date="2026-01-15T09:30")
        # Stored as the instant it names: the public page gives the offset in force that day.
        self.assertIn(b"2026-07-01T09:30:00-04:00", self.server.get("/summer-piece/")[2])
        self.assertIn(b"2026-01-15T09:30:00-05:00", self.server.get("/winter-piece/")[2])
        page = editor.request("GET", summer)[2]
        self.assertIn('value="2026-07-01T09:30"', page)
        self.assertIn("Publication date and time (America/New_York, EDT)", page)
        page = editor.request("GET", winter)[2]
        self.assertIn('value="2026-01-15T09:30"', page)
        self.assertIn("Publication date and time (America/New_York, EST)", page)
        self.assertRegex(page, r'<a href="' + re.escape(winter) + r'/revisions/\d+">' + ZONE_TIME + "</a>")

        posts = editor.request("GET", "/admin/posts")[2]
        self.assertIn("2026-07-01 09:30 EDT", posts)
        self.assertIn("2026-01-15 09:30 EST", posts)
        self.assertIn("2026-07-01 09:30 EDT", editor.request("GET", "/admin/")[2])
        sessions = editor.request("GET", "/admin/sessions")[2]
        self.assertRegex(sessions, "<td>" + ZONE_TIME + "</td>")
        # The audit log orders actions of the same minute by eye: to the second, with the zone.
        audit = self.audit()
        self.assertRegex(audit, r'<td><time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00">'
                         r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T</time></td>")
        self.assertIn("(America/New_York)", audit)
        for path in ["/admin/posts", "/admin/sessions", summer]:
            self.assertNotRegex(editor.request("GET", path)[2], r"\d\d:\d\d UTC", path)


class OverriddenTimeZone(unittest.TestCase):
    """broadsheet.toml's or the environment's time zone is the desk's too (issue 15)."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_TIMEZONE": "Europe/Berlin"})
        done = add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Editor Person")
        assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_the_desk_shows_and_reads_times_in_the_overriding_zone(self):
        editor = Browser(self.server)
        self.assertEqual(editor.sign_in("editor@example.org", PASSWORD)[0], 303)
        page = editor.request("GET", "/admin/posts/new")[2]
        csrf, count = form_of(page)
        fields = dict(FIELDS, csrf=csrf, edit_count=count, title="Berlin Piece", slug="berlin-piece",
                      date="2026-07-01T09:30", **{"do": "publish"})
        status, headers, page, _ = editor.request("POST", "/admin/posts", fields)
        self.assertEqual(status, 303, page[:500])
        post = headers["Location"].split("?")[0]
        # The date typed is read in Berlin's zone, as the field says, and shown back the same.
        self.assertIn(b"2026-07-01T09:30:00+02:00", self.server.get("/berlin-piece/")[2])
        page = editor.request("GET", post)[2]
        self.assertIn('value="2026-07-01T09:30"', page)
        self.assertIn("Publication date and time (Europe/Berlin, CEST)", page)
        self.assertIn("2026-07-01 09:30 CEST", editor.request("GET", "/admin/posts")[2])
        self.assertIn("2026-07-01 09:30 CEST", editor.request("GET", "/admin/")[2])
        self.assertRegex(editor.request("GET", "/admin/sessions")[2], r"\d\d:\d\d CES?T</td>")
        for path in ["/admin/posts", "/admin/sessions", post]:
            self.assertNotRegex(editor.request("GET", path)[2], r"\d\d:\d\d E[SD]T", path)


if __name__ == "__main__":
    unittest.main()
