"""People and review on the desk: staff accounts linked to author profiles, the writer's own
byline on a new post, the warning before publishing without a byline, returning a post to its
writer with a note, editorial notes and who may read them, and the review queue's columns."""

import html
import re
import subprocess
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user
from test_editor import FIELDS, form_of


def users_token(page, user_id):
    return harness.form_token(page, "/admin/users/%d" % user_id)


class PeopleAndReview(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        for email, role, name in [("admin@example.org", "administrator", "Ada Admin"),
                                  ("editor@example.org", "editor", "Edie Editor"),
                                  ("writer@example.org", "contributor", "Wren Writer"),
                                  ("other@example.org", "contributor", "Otis Other"),
                                  ("author@example.org", "author", "Abe Author")]:
            done = add_user(cls.server, email, role, PASSWORD, name)
            assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def user_id(self, page, name):
        return int(re.search(r'<td>%s</td>.*?action="/admin/users/(\d+)"' % re.escape(name), page, re.S).group(1))

    def change_profile(self, admin, name, action, **fields):
        page = admin.request("GET", "/admin/users")[2]
        user = self.user_id(page, name)
        data = dict(csrf=users_token(page, user), **{"do": action}, **fields)
        return admin.request("POST", "/admin/users/%d" % user, data)

    def new_post(self, browser, action="save", **changes):
        status, _, page, _ = browser.request("GET", "/admin/posts/new")
        self.assertEqual(status, 200)
        csrf, count = form_of(page)
        authors = html.unescape(re.search(r'name="authors" type="text" value="([^"]*)"', page).group(1))
        fields = dict(FIELDS, csrf=csrf, edit_count=count, authors=authors, **{"do": action})
        fields.update(changes)
        status, headers, page, _ = browser.request("POST", "/admin/posts", fields)
        return status, headers.get("Location", "").split("?")[0], page

    def act(self, browser, post, action, **changes):
        page = browser.request("GET", post)[2]
        csrf, count = form_of(page)
        current = {name: html.unescape(value) for name, value in
                   re.findall(r'<input id="[^"]+" name="([a-z_]+)" type="(?:text|datetime-local)" value="([^"]*)"', page)}
        fields = dict(FIELDS, **current, csrf=csrf, edit_count=count, **{"do": action})
        fields["title"] = html.unescape(re.search(r'name="title" type="text" value="([^"]*)"', page).group(1))
        fields.update(changes)
        return browser.request("POST", post, fields)

    def test_an_administrator_links_unlinks_and_creates_profiles(self):
        admin = self.signed_in("admin@example.org")
        # Edie has no profile: link Jane Doe's, then unlink it, then create one from her name.
        status, headers, _, _ = self.change_profile(admin, "Edie Editor", "profile-link", author="jane-doe")
        self.assertEqual(status, 303)
        page = admin.request("GET", "/admin/users")[2]
        row = re.search(r"<td>Edie Editor</td>.*?</tr>", page, re.S).group(0)
        self.assertIn("Jane Doe", row)
        # Another account cannot have the same profile.
        status, _, _, _ = self.change_profile(admin, "Otis Other", "profile-link", author="jane-doe")
        self.assertEqual(status, 422)
        status, _, _, _ = self.change_profile(admin, "Otis Other", "profile-link", author="no-such-author")
        self.assertEqual(status, 422)
        self.assertEqual(self.change_profile(admin, "Edie Editor", "profile-unlink")[0], 303)
        self.assertEqual(self.change_profile(admin, "Edie Editor", "profile-create")[0], 303)
        self.assertEqual(self.change_profile(admin, "Edie Editor", "profile-create")[0], 422)
        page = admin.request("GET", "/admin/sections")[2]
        self.assertIn("edie-editor", page)
        # The editor's new post starts with her own byline.
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/posts/new")[2]
        self.assertRegex(page, r'name="authors" type="text" value="edie-editor"')
        # Only administrators see the users page with its profile forms.
        self.assertEqual(editor.request("GET", "/admin/users")[0], 403)

    def test_an_invited_contributor_gets_a_profile_and_a_byline(self):
        admin = self.signed_in("admin@example.org")
        page = admin.request("GET", "/admin/users")[2]
        status, _, page, _ = admin.request("POST", "/admin/users/invite", {
            "csrf": harness.form_token(page, "/admin/users/invite"), "name": "Nia Newcomer",
            "email": "nia@example.org", "role": "contributor"})
        self.assertEqual(status, 200)
        link = html.unescape(re.search(r'id="new-link" type="text" value="([^"]+)"', page).group(1))
        row = re.search(r"<td>Nia Newcomer</td>.*?</tr>", page, re.S).group(0)
        self.assertIn("Nia Newcomer</a>", row)  # the profile, linked
        # Nia accepts, writes and submits: her draft has her byline.
        nia = Browser(self.server)
        path = link.split("127.0.0.1", 1)[-1].split(":", 1)[-1]
        path = path[path.index("/"):]
        page = nia.request("GET", path)[2]
        status, _, _, _ = nia.request("POST", path, {
            "csrf": harness.form_token(page), "password": PASSWORD, "confirm": PASSWORD})
        self.assertIn(status, (200, 303))
        self.assertEqual(nia.sign_in("nia@example.org", PASSWORD)[0], 303)
        status, post, _ = self.new_post(nia, "submit", title="A Newcomer Writes")
        self.assertEqual(status, 303)
        page = nia.request("GET", post)[2]
        self.assertRegex(page, r'name="authors" type="text" value="nia-newcomer"')
        queue = admin.request("GET", "/admin/posts?status=pending")[2]
        row = re.search(r"A Newcomer Writes.*?</tr>", queue, re.S).group(0)
        self.assertIn("Nia Newcomer", row)

    def invite(self, admin, name, email, role="contributor", **fields):
        page = admin.request("GET", "/admin/users")[2]
        return admin.request("POST", "/admin/users/invite", dict(
            csrf=harness.form_token(page, "/admin/users/invite"), name=name, email=email, role=role,
            **fields))

    def author_in_sitemap(self, slug):
        pages = self.server.get("/sitemaps/pages.xml")[2].decode()
        return "/author/%s/</loc>" % slug in pages

    def author_in_search(self, slug):
        return '<option value="%s"' % slug in self.server.get("/search")[2].decode()

    def add_profile(self, admin, name, slug):
        page = admin.request("GET", "/admin/sections")[2]
        status, _, _, _ = admin.request("POST", "/admin/authors", {
            "csrf": harness.form_token(page, "/admin/authors"), "do": "add", "name": name, "slug": slug})
        self.assertEqual(status, 303)

    def test_an_invited_writers_author_page_is_public_once_an_article_is_out(self):
        admin = self.signed_in("admin@example.org")
        status, _, page, _ = self.invite(admin, "Vera Vance", "vera@example.org")
        self.assertEqual(status, 200)
        row = re.search(r"<td>Vera Vance</td>.*?</tr>", page, re.S).group(0)
        # The profile is made and linked, and its link opens its own form under Authors.
        self.assertIn('href="/admin/sections?author=vera-vance#profile-vera-vance"', row)
        page = admin.request("GET", "/admin/sections?author=vera-vance")[2]
        self.assertRegex(page, r'<details class="desk-list" id="profile-vera-vance" open>')
        self.assertNotRegex(page, r'id="profile-jane-doe" open')
        # Nothing public yet: no page, no feed, no sitemap entry, not among search's authors.
        self.assertEqual(self.server.get("/author/vera-vance/")[0], 404)
        self.assertEqual(self.server.get("/author/vera-vance/feed/")[0], 404)
        self.assertFalse(self.author_in_sitemap("vera-vance"))
        self.assertFalse(self.author_in_search("vera-vance"))
        self.assertTrue(self.author_in_sitemap("jane-doe"))  # a profile with articles stays
        # A draft with the byline changes nothing; its publication does.
        editor = self.signed_in("editor@example.org")
        status, post, _ = self.new_post(editor, title="Vera's First Analysis", authors="vera-vance")
        self.assertEqual(status, 303)
        self.assertEqual(self.server.get("/author/vera-vance/")[0], 404)
        self.assertEqual(self.act(editor, post, "publish")[0], 303)
        status, _, body = self.server.get("/author/vera-vance/")
        self.assertEqual(status, 200)
        self.assertIn('href="/veras-first-analysis/"', body.decode())
        self.assertEqual(self.server.get("/author/vera-vance/feed/")[0], 200)
        self.assertTrue(self.author_in_sitemap("vera-vance"))
        self.assertTrue(self.author_in_search("vera-vance"))

    def test_an_invitation_links_a_free_profile_of_the_same_name(self):
        admin = self.signed_in("admin@example.org")
        self.add_profile(admin, "Priya Patel", "priya-patel")
        self.assertEqual(self.server.get("/author/priya-patel/")[0], 404)  # made by hand, no article
        page = admin.request("GET", "/admin/users")[2]
        self.assertIn('<option value="author:priya-patel">Priya Patel (/author/priya-patel/)</option>', page)
        status, _, page, _ = self.invite(admin, "Priya Patel", "priya@example.org")
        self.assertEqual(status, 200)
        row = re.search(r"<td>Priya Patel</td>.*?</tr>", page, re.S).group(0)
        self.assertIn('href="/admin/sections?author=priya-patel#profile-priya-patel"', row)
        self.assertNotIn("priya-patel-2", admin.request("GET", "/admin/sections")[2])
        # Linked now, the profile is no longer offered, and no other account may have it.
        page = admin.request("GET", "/admin/users")[2]
        self.assertNotIn('value="author:priya-patel"', page)
        status, _, page, _ = self.invite(admin, "Quinn Quill", "quinn@example.org",
                                         profile="author:priya-patel")
        self.assertEqual(status, 422)
        self.assertIn('value="quinn@example.org"', page)  # the form keeps what was typed
        self.assertNotIn("<td>quinn@example.org</td>", admin.request("GET", "/admin/users")[2])
        status, _, _, _ = self.invite(admin, "Quinn Quill", "quinn@example.org",
                                      profile="author:no-such-profile")
        self.assertEqual(status, 422)
        for unknown in ["AUTHOR:priya-patel", "newer", "anything"]:
            status, _, _, _ = self.invite(admin, "Quinn Quill", "quinn@example.org", profile=unknown)
            self.assertEqual(status, 422, unknown)
        self.assertNotIn("<td>quinn@example.org</td>", admin.request("GET", "/admin/users")[2])
        # A chosen profile of another name is linked; "new" makes one even for a namesake.
        self.add_profile(admin, "R. Ruiz", "r-ruiz")
        status, _, page, _ = self.invite(admin, "Rosa Ruiz", "rosa@example.org", role="editor",
                                         profile="author:r-ruiz")
        self.assertEqual(status, 200)
        self.assertIn("R. Ruiz</a>", re.search(r"<td>Rosa Ruiz</td>.*?</tr>", page, re.S).group(0))
        status, _, page, _ = self.invite(admin, "Priya Patel", "priya2@example.org", profile="new")
        self.assertEqual(status, 200)
        self.assertIn("priya-patel-2", admin.request("GET", "/admin/sections")[2])
        status, _, page, _ = self.invite(admin, "Sam Silent", "sam@example.org", profile="none")
        self.assertEqual(status, 200)
        self.assertNotIn("sam-silent", admin.request("GET", "/admin/sections")[2])

    def test_user_add_on_the_command_line_creates_or_links_a_profile(self):
        admin = self.signed_in("admin@example.org")
        self.add_profile(admin, "Tomas Torres", "tomas-torres")
        self.add_profile(admin, "T. Torres", "t-torres")
        # The same rule as an invitation: the free namesake is linked...
        done = add_user(self.server, "tomas@example.org", "author", None, "Tomas Torres")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("/author/tomas-torres/", done.stdout)
        # ...a writer without one gets a new profile, --author links a chosen one...
        done = add_user(self.server, "ursula@example.org", "contributor", None, "Ursula Udo")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("/author/ursula-udo/", done.stdout)
        done = subprocess.run([harness.BIN, "user", "add", "--email", "tt@example.org", "--name", "Tee Tee",
                               "--role", "editor", "--author", "t-torres", "--site", self.server.site],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        # ...and a profile another account has is refused, leaving no account behind.
        done = subprocess.run([harness.BIN, "user", "add", "--email", "dup@example.org", "--name", "Dup",
                               "--role", "author", "--author", "tomas-torres", "--site", self.server.site],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        done = subprocess.run([harness.BIN, "user", "add", "--email", "x@example.org", "--name", "X",
                               "--role", "author", "--author", "t-torres", "--no-profile",
                               "--site", self.server.site], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        page = admin.request("GET", "/admin/users")[2]
        self.assertNotIn("dup@example.org", page)
        self.assertNotIn("x@example.org", page)
        for name, profile in [("Tomas Torres", "tomas-torres"), ("Ursula Udo", "ursula-udo"),
                              ("Tee Tee", "t-torres")]:
            row = re.search(r"<td>%s</td>.*?</tr>" % name, page, re.S).group(0)
            self.assertIn('href="/admin/sections?author=%s#profile-%s"' % (profile, profile), row)
        self.assertNotIn("tomas-torres-2", admin.request("GET", "/admin/sections")[2])

    def test_publishing_without_a_byline_asks_first(self):
        editor = self.signed_in("editor@example.org")
        status, post, _ = self.new_post(editor, title="A Piece Nobody Signed", authors="")
        self.assertEqual(status, 303)
        page = editor.request("GET", post)[2]
        self.assertIn('<label class="byline-confirm"><input type="checkbox" name="without_byline"', page)
        status, _, page, _ = self.act(editor, post, "publish", authors="", body="Keep these words.")
        self.assertEqual(status, 422)
        self.assertIn('<label class="byline-confirm"><input type="checkbox" name="without_byline"', page)
        self.assertIn("Keep these words.", page)
        self.assertEqual(self.server.get("/a-piece-nobody-signed/")[0], 404)
        status, _, _, _ = self.act(editor, post, "publish", authors="", without_byline="1")
        self.assertEqual(status, 303)
        self.assertEqual(self.server.get("/a-piece-nobody-signed/")[0], 200)
        # With a byline nothing is asked.
        status, signed, _ = self.new_post(editor, title="A Signed Piece", authors="jane-doe")
        self.assertIn('<label class="byline-confirm" hidden>', editor.request("GET", signed)[2])
        self.assertEqual(self.act(editor, signed, "publish")[0], 303)

    def test_return_to_writer_with_notes_and_who_may_read_them(self):
        writer = self.signed_in("writer@example.org")
        status, post, _ = self.new_post(writer, "submit", title="Draft For Review", authors="jane-doe")
        self.assertEqual(status, 303)
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", post)[2]
        self.assertIn("Return to writer", page)
        self.assertIn("Editorial notes", page)
        action = post + "/return"
        token = harness.form_token(page, re.escape(action))
        # A writer cannot return, nor write editorial notes; the note is required.
        writer_page = writer.request("GET", post)[2]
        self.assertNotIn("Return to writer", writer_page)
        status, _, _, _ = writer.request("POST", action, {"csrf": harness.form_token(writer_page), "note": "Mine."})
        self.assertEqual(status, 403)
        # An empty note: the editor page again, the field marked with why, what was typed kept.
        status, _, page, _ = editor.request("POST", action, {"csrf": token, "note": "  "})
        self.assertEqual(status, 422)
        self.assertRegex(page, r'<textarea id="return-note" name="note"[^>]* aria-invalid="true" '
                               r'aria-describedby="return-note-error">  </textarea>')
        self.assertIn('id="return-note-error"', page)
        self.assertIn("status-pending", page)  # nothing changed
        too_long = "x" * 2001
        status, _, page, _ = editor.request("POST", action, {"csrf": token, "note": too_long})
        self.assertEqual(status, 422)
        self.assertIn(">" + too_long + "</textarea>", page)
        hostile = '<script>alert(1)</script> Tighten the second section.'
        return_token = token
        status, headers, _, _ = editor.request("POST", action, {"csrf": token, "note": hostile})
        self.assertEqual(status, 303)
        # The writer sees a draft, the note at the top, escaped, and the count on the dashboard.
        page = writer.request("GET", post)[2]
        self.assertIn("Draft", page)
        self.assertIn('id="open-notes-count">1<', page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; Tighten the second section.", page)
        self.assertNotIn("<script>alert(1)", page)
        self.assertIn("Edie Editor", page)
        dashboard = writer.request("GET", "/admin/")[2]
        self.assertIn('id="editorial-notes-open">1<', dashboard)
        # The audit log has it.
        admin = self.signed_in("admin@example.org")
        self.assertIn("return-to-writer", admin.request("GET", "/admin/audit")[2])
        # Another contributor reads nothing of it.
        other = self.signed_in("other@example.org")
        self.assertEqual(other.request("GET", post)[0], 403)
        other_page = other.request("GET", "/admin/posts/new")[2]
        note_id = re.search(r'name="note" value="(\d+)"', page).group(1)
        status, _, _, _ = other.request("POST", post + "/editorial-notes", {
            "csrf": harness.form_token(other_page), "do": "resolve", "note": note_id})
        self.assertEqual(status, 403)
        status, _, _, _ = other.request("POST", "/admin/posts/999999/editorial-notes", {
            "csrf": harness.form_token(other_page), "do": "resolve", "note": note_id})
        self.assertIn(status, (403, 404))
        # An editor adds another note; the writer resolves the first.
        page = editor.request("GET", post)[2]
        notes_action = post + "/editorial-notes"
        token = harness.form_token(page, re.escape(notes_action))
        self.assertEqual(editor.request("POST", notes_action, {"csrf": token, "do": "add", "text": "And the headline."})[0], 303)
        # A note too long comes back with the editor page, as typed, and why.
        long_note = "Far too long. " * 200
        status, _, refused, _ = editor.request("POST", notes_action, {"csrf": token, "do": "add", "text": long_note})
        self.assertEqual(status, 422)
        self.assertIn('aria-invalid="true" aria-describedby="editorial-text-error">' + long_note + "</textarea>", refused)
        page = writer.request("GET", post)[2]
        self.assertIn('id="open-notes-count">2<', page)
        token = harness.form_token(page, re.escape(notes_action))
        status, _, _, _ = writer.request("POST", notes_action, {"csrf": token, "do": "resolve", "note": note_id})
        self.assertEqual(status, 303)
        page = writer.request("GET", post)[2]
        self.assertIn('id="open-notes-count">1<', page)
        self.assertRegex(page, r"Resolved by Wren Writer")
        # A writer cannot add notes.
        status, _, _, _ = writer.request("POST", notes_action, {"csrf": token, "do": "add", "text": "Me too."})
        self.assertEqual(status, 403)
        # Returning a draft is refused: only posts awaiting review go back.
        page = editor.request("GET", post)[2]
        self.assertNotIn(">Return to writer</button>", page)
        status, _, page, _ = editor.request("POST", action, {"csrf": return_token, "note": "Again."})
        self.assertEqual(status, 422)
        self.assertNotIn('aria-invalid="true"', page)  # the note was not what was wrong

    def noted_on_dashboard(self, browser):
        """The posts the dashboard lists under editorial notes to address (their addresses)."""
        page = browser.request("GET", "/admin/")[2]
        section = re.search(r'<section class="desk-list editorial-notes-waiting".*?</section>', page, re.S)
        return re.findall(r'<a href="(/admin/posts/\d+)">', section.group(0)) if section else []

    def add_editorial_note(self, editor, post, text):
        page = editor.request("GET", post)[2]
        action = post + "/editorial-notes"
        token = harness.form_token(page, re.escape(action))
        self.assertEqual(editor.request("POST", action, {"csrf": token, "do": "add", "text": text})[0], 303)

    def test_the_dashboard_lists_the_noted_posts_a_writer_may_open(self):
        editor = self.signed_in("editor@example.org")
        # An author's published article with a note: listed, and the link opens it, note on top.
        author = self.signed_in("author@example.org")
        status, published, _ = self.new_post(author, "publish", title="An Author Publishes", authors="jane-doe")
        self.assertEqual(status, 303)
        self.add_editorial_note(editor, published, "Check the second figure.")
        self.assertIn(published, self.noted_on_dashboard(author))
        status, _, page, _ = author.request("GET", published)
        self.assertEqual(status, 200)
        self.assertIn('id="open-notes-count">1<', page)
        self.assertIn("Check the second figure.", page)
        # A contributor's post under review with a note: listed while they may open it; once an
        # editor publishes it, it is the editors' (403 for the contributor), and not listed.
        writer = self.signed_in("writer@example.org")
        status, submitted, _ = self.new_post(writer, "submit", title="Noted Then Published", authors="jane-doe")
        self.assertEqual(status, 303)
        self.add_editorial_note(editor, submitted, "Tighten the ending.")
        self.assertIn(submitted, self.noted_on_dashboard(writer))
        self.assertEqual(self.act(editor, submitted, "publish")[0], 303)
        self.assertEqual(writer.request("GET", submitted)[0], 403)
        self.assertNotIn(submitted, self.noted_on_dashboard(writer))
        # Every post counted is listed, and every one listed opens for the writer.
        for browser in (author, writer):
            for post in self.noted_on_dashboard(browser):
                self.assertEqual(browser.request("GET", post)[0], 200)

    def test_the_review_queue_shows_authors_section_submitted_time_and_words(self):
        writer = self.signed_in("writer@example.org")
        first = self.new_post(writer, "submit", title="Queued First", authors="jane-doe", section="economy",
                              body="One two three four five.")[1]
        second = self.new_post(writer, "submit", title="Queued Second", authors="jane-doe",
                               body="Six seven eight.")[1]
        self.assertTrue(first and second)
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/posts?status=pending")[2]
        self.assertIn(">Submitted</th>", page)
        self.assertIn(">Words</th>", page)
        self.assertLess(page.index("Queued First"), page.index("Queued Second"))
        row = re.search(r"Queued First.*?</tr>", page, re.S).group(0)
        self.assertIn("Jane Doe", row)
        self.assertIn("Economy", row)
        self.assertIn('<td class="words">5</td>', row)
        # The time is the publication's (New York), as FormatDeskTime writes it.
        self.assertRegex(re.search(r'<td class="submitted">([^<]+)</td>', row).group(1), r"\d")


if __name__ == "__main__":
    unittest.main()
