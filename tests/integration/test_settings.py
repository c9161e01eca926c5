"""The desk's sections, tags, authors and site settings, as the public site shows them."""

import html
import re
import unittest

import harness
from test_desk import PASSWORD, Browser, add_user


def csrf_of(page, action=None):
    return harness.form_token(page, action)


class Settings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_LANGUAGE": "en-GB"})
        add_user(cls.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(cls.server, "author@example.org", "author", PASSWORD, "Al Author")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def test_an_editor_adds_and_edits_sections_and_the_navigation_follows(self):
        editor = self.signed_in("editor@example.org")
        csrf = csrf_of(editor.request("GET", "/admin/sections")[2])
        status, _, _, _ = editor.request("POST", "/admin/sections", {
            "csrf": csrf, "do": "add", "name": "Asia and the Pacific", "slug": "", "description": "The region.",
            "position": "0", "opinion": "1"})
        self.assertEqual(status, 303)
        status, _, body = self.server.get("/section/asia-and-the-pacific/")
        self.assertEqual(status, 200)
        nav = body.decode().split('aria-label="Sections"')[1]
        self.assertLess(nav.find("Asia and the Pacific"), nav.find("Security and Foreign Policy"))
        status, _, page, _ = editor.request("POST", "/admin/sections", {
            "csrf": csrf, "do": "add", "name": "Asia Again", "slug": "asia-and-the-pacific", "position": "1"})
        self.assertEqual(status, 422)
        self.assertIn("already a section", page)
        editor.request("POST", "/admin/sections", {"csrf": csrf, "do": "save", "slug": "asia-and-the-pacific",
                                                   "name": "Asia-Pacific", "position": "0"})
        self.assertIn(b"Asia-Pacific", self.server.get("/section/asia-and-the-pacific/")[2])
        editor.request("POST", "/admin/sections", {"csrf": csrf, "do": "delete", "slug": "asia-and-the-pacific"})
        self.assertEqual(self.server.get("/section/asia-and-the-pacific/")[0], 404)

    def test_author_profiles_and_tags_are_editable(self):
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/sections")[2]
        csrf = csrf_of(page, "/admin/authors")
        status, _, _, _ = editor.request("POST", "/admin/authors", {
            "csrf": csrf, "do": "save", "slug": "jane-doe", "name": "Jane Doe",
            "credentials": "Senior Fellow, Korea Program", "bio": "Jane <script>alert(1)</script> writes.", "avatar": "", "email": ""})
        self.assertEqual(status, 303)
        body = self.server.get("/author/jane-doe/")[2].decode()
        self.assertIn("Senior Fellow, Korea Program", body)
        self.assertNotIn("<script>alert(1)", body)
        status, _, _, _ = editor.request("POST", "/admin/tags", {"csrf": csrf_of(page, "/admin/tags"), "do": "rename", "slug": "korea", "name": "Korean Peninsula"})
        self.assertEqual(status, 303)
        self.assertIn(b"Korean Peninsula", self.server.get("/tag/korea/")[2])
        author = self.signed_in("author@example.org")
        self.assertEqual(author.request("GET", "/admin/sections")[0], 403)
        self.assertEqual(author.request("POST", "/admin/tags", {"csrf": csrf_of(author.request("GET", "/admin/")[2], "/admin/logout"),
                                                               "do": "delete", "slug": "korea"})[0], 403)

    def test_an_administrator_changes_the_site_settings(self):
        admin = self.signed_in("admin@example.org")
        page = admin.request("GET", "/admin/settings")[2]
        self.assertIn("overridden", page)  # the language comes from the environment here
        csrf = csrf_of(page)
        fields = {"csrf": csrf, "title": "The Renamed Review", "description": "New tagline.",
                  "base_url": "https://review.example", "disclaimer": "Contributors speak for themselves.",
                  "timezone": "Europe/Paris", "language": "fr"}
        self.assertEqual(admin.request("POST", "/admin/settings", fields)[0], 303)
        body = self.server.get("/why-deterrence-still-works/")[2].decode()
        self.assertIn("The Renamed Review", body)
        self.assertIn("Contributors speak for themselves.", body)
        self.assertIn('<link rel="canonical" href="https://review.example/why-deterrence-still-works/">', body)
        self.assertIn('<html lang="en-GB">', body)  # the environment still wins
        status, _, page, _ = admin.request("POST", "/admin/settings", dict(fields, timezone="Mars/Olympus"))
        self.assertEqual(status, 422)
        self.assertIn("unknown time zone", page)
        editor = self.signed_in("editor@example.org")
        self.assertEqual(editor.request("GET", "/admin/settings")[0], 403)


if __name__ == "__main__":
    unittest.main()
