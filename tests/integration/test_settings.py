"""The desk's sections, tags, authors and site settings, as the public site shows them."""

import html
import http.client
import json
import os
import re
import unittest
import uuid

import harness
from test_desk import PASSWORD, Browser, add_user
from test_media import files_under, png


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



def settings_fields(page):
    """The Settings form's fields as the page shows them, in order (list of pairs): what a
    browser would send back unchanged (buttons and files left out)."""
    form = page.split('action="/admin/settings" ', 1)[1].split("</form>", 1)[0]
    fields = []
    for tag in re.finditer(r"<(input|textarea|select)\b([^>]*)>(.*?)(?=<(?:input|textarea|select|/form|button|p|label|h2|li|/li|span)\b|$)", form, re.S):
        kind, attributes, rest = tag.groups()
        name = re.search(r'\bname="([^"]+)"', attributes)
        if not name:
            continue
        name = html.unescape(name.group(1))
        if kind == "input":
            typ = (re.search(r'\btype="([^"]+)"', attributes) or [None, "text"])[1]
            value = html.unescape((re.search(r'\bvalue="([^"]*)"', attributes) or [None, ""])[1])
            if typ == "file":
                continue
            if typ == "checkbox" and " checked" not in attributes:
                continue
            fields.append((name, value))
        elif kind == "textarea":
            fields.append((name, html.unescape(rest.split("</textarea>", 1)[0])))
        else:
            body = rest.split("</select>", 1)[0] if "</select>" in rest else form[tag.end():].split("</select>", 1)[0]
            chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)<', body)
            if chosen:
                fields.append((name, html.unescape(chosen.group(1) if chosen.group(1) is not None else chosen.group(2))))
    return fields


def replaced(fields, **changes):
    """`fields` with the first value of each named field replaced (or added)."""
    out, done = [], set()
    for name, value in fields:
        if name in changes and name not in done:
            out.append((name, changes[name]))
            done.add(name)
        else:
            out.append((name, value))
    out += [(name, value) for name, value in changes.items() if name not in done]
    return out


def post_multipart(browser, path, fields, files, host=None):
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, (filename, data, kind) in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f'Content-Type: {kind}\r\n\r\n').encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", browser.server.port, timeout=120)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    result = (response.status, response.headers, response.read().decode())
    connection.close()
    return result


class Branding(unittest.TestCase):
    """Logo, favicon, accent colour, menu and time zone, from the desk's Settings to the site and
    the newsletter."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        add_user(cls.server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def form(self, browser):
        status, _, page, _ = browser.request("GET", "/admin/settings")
        self.assertEqual(status, 200)
        return settings_fields(page), page

    def save(self, browser, fields):
        return browser.request("POST", "/admin/settings", fields)

    def home(self):
        status, _, body = self.server.get("/")
        self.assertEqual(status, 200)
        return body.decode()

    def test_a_logo_favicon_accent_and_menu_reach_the_site_and_the_newsletter(self):
        admin = self.signed_in("admin@example.org")
        before = self.home()
        self.assertIn('<link rel="icon" href="/assets/icon.svg?v=', before)  # the theme's icon
        self.assertNotIn("/brand.css", before)
        fields, page = self.form(admin)
        self.assertIn('<option selected>America/New_York</option>', page)
        self.assertIn('<optgroup label="Europe">', page)
        self.assertEqual(dict(fields)["accent_color"], "#9b1c1c")  # the theme's, shown
        self.assertNotIn("accent_reset", page)
        fields = replaced(fields, accent_color="#0A6E3C")
        status, _, page = post_multipart(admin, "/admin/settings", fields,
                                         {"logo_file": ("masthead.png", png(400, 100), "image/png"),
                                          "favicon_file": ("icon.png", png(64, 64), "image/png")})
        self.assertEqual(status, 303, page)
        fields, page = self.form(admin)
        logo = dict(fields)["logo"]
        favicon = dict(fields)["favicon"]
        self.assertTrue(logo.startswith("/uploads/media/") and logo.endswith(".png"), logo)
        self.assertTrue(favicon.startswith("/uploads/media/"), favicon)
        self.assertIn('value="#0a6e3c"', page)
        self.assertNotIn('role="alert"', page.split("<main", 1)[1])  # enough contrast: no warning

        body = self.home()
        self.assertIn(f'<img class="site-logo" src="{logo}" alt="The Test Review">', body)
        self.assertIn(f'<link rel="icon" href="{favicon}" type="image/png">', body)
        self.assertIn('<link rel="stylesheet" href="/brand.css?v=0a6e3c">', body)
        status, headers, css = self.server.get("/brand.css?v=0a6e3c")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/css"))
        self.assertIn("immutable", headers["cache-control"])
        self.assertIn(b"--accent: #0a6e3c", css)
        status, headers, css = self.server.get("/brand.css?v=made-up")
        self.assertEqual(status, 200)
        self.assertNotIn("immutable", headers["cache-control"])
        self.assertIn(b"--accent: #0a6e3c", css)
        self.assertEqual(self.server.get(logo)[0], 200)
        article = self.server.get("/why-deterrence-still-works/")[2].decode()
        ld = [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', article, re.S)]
        publisher = next(block["publisher"] for block in ld if "publisher" in block)
        self.assertTrue(publisher["logo"]["url"].endswith(logo))

        # The menu: a page, a section and an external link, in that order, then moved.
        fields = replaced(fields, nav_item="page:about", nav_label="")
        self.assertEqual(self.save(admin, fields)[0], 303)
        fields, _ = self.form(admin)
        fields = [(n, v) for n, v in fields if n not in ("nav_item", "nav_url", "nav_label")]
        fields += [("nav_item", "page:about"), ("nav_url", ""), ("nav_label", ""),
                   ("nav_item", "section:economy"), ("nav_url", ""), ("nav_label", "Money"),
                   ("nav_item", "link"), ("nav_url", "https://shop.example/store"), ("nav_label", "Shop"),
                   ("nav_item", ""), ("nav_url", ""), ("nav_label", "")]
        self.assertEqual(self.save(admin, fields)[0], 303)
        nav = self.home().split('aria-label="Sections"', 1)[1].split("</nav>", 1)[0]
        links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
        self.assertEqual(links, [("/about/", "About"), ("/section/economy/", "Money"),
                                 ("https://shop.example/store", "Shop")])
        self.assertNotIn("Security and Foreign Policy", nav)  # the chosen menu replaces the sections
        fields, _ = self.form(admin)
        status, headers, _, _ = self.save(admin, fields + [("nav_move", "up:2")])
        self.assertEqual(status, 303)
        self.assertTrue(headers["Location"].endswith("#menu"))
        nav = self.home().split('aria-label="Sections"', 1)[1].split("</nav>", 1)[0]
        self.assertEqual([label for _, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)],
                         ["About", "Shop", "Money"])
        fields, _ = self.form(admin)
        self.assertEqual(self.save(admin, fields + [("nav_move", "remove:0")])[0], 303)
        nav = self.home().split('aria-label="Sections"', 1)[1].split("</nav>", 1)[0]
        self.assertNotIn("/about/", nav)

        # The newsletter's preview wears the same logo, colour and menu.
        status, _, page, _ = admin.request("GET", "/admin/newsletter")
        self.assertEqual(status, 200)
        preview_csrf = re.search(r'name="preview_csrf" value="([^"]+)"', page).group(1)
        post_id = re.search(r'<option value="(\d+)">Why Deterrence Still Works</option>', page).group(1)
        status, _, preview, _ = admin.request("POST", "/admin/newsletter/preview",
                                              {"preview_csrf": preview_csrf, "post": post_id})
        self.assertEqual(status, 200)
        self.assertIn(logo + '" alt="The Test Review"', preview)
        self.assertIn("background:#0a6e3c", preview)
        self.assertIn('href="https://shop.example/store"', preview)

        # Back to the theme's colour and icon, and the sections as the menu.
        fields, _ = self.form(admin)
        fields = [(n, v) for n, v in fields if n not in ("nav_item", "nav_url", "nav_label")]
        fields = replaced(fields, favicon="", logo="", accent_reset="1")
        self.assertEqual(self.save(admin, fields)[0], 303)
        body = self.home()
        self.assertIn('<link rel="icon" href="/assets/icon.svg?v=', body)
        self.assertNotIn("/brand.css", body)
        self.assertNotIn("site-logo", body)
        self.assertIn("Security and Foreign Policy", body.split('aria-label="Sections"', 1)[1].split("</nav>", 1)[0])

    def test_a_low_contrast_accent_is_saved_with_a_warning(self):
        admin = self.signed_in("admin@example.org")
        fields, _ = self.form(admin)
        self.assertEqual(self.save(admin, replaced(fields, accent_color="#ffd700"))[0], 303)
        _, page = self.form(admin)
        self.assertIn('class="error" role="alert">This colour', page)
        self.assertIn('<link rel="stylesheet" href="/brand.css?v=ffd700">', self.home())
        fields, _ = self.form(admin)
        self.assertEqual(self.save(admin, replaced(fields, accent_reset="1"))[0], 303)
        self.assertNotIn("/brand.css", self.home())

    def test_hostile_values_are_refused_and_the_form_keeps_what_was_typed(self):
        admin = self.signed_in("admin@example.org")
        fields, _ = self.form(admin)
        fields = [(n, v) for n, v in fields if n not in ("nav_item", "nav_url", "nav_label")]
        typed = replaced(fields, title="A Typed Title")
        cases = [
            [("accent_color", "red")],
            [("accent_color", "#000000;} body { display: none")],
            [("logo", "https://evil.example/logo.png")],
            [("logo", "/uploads/media/not-in-the-library.png")],
            [("favicon", "/uploads/../broadsheet.db")],
            [("timezone", "Mars/Olympus")],
            [("nav_item", "link"), ("nav_url", "javascript:alert(1)"), ("nav_label", "Click")],
            [("nav_item", "link"), ("nav_url", "https://example.org/"), ("nav_label", "")],
            [("nav_item", "link"), ("nav_url", "https://example.org/"), ("nav_label", "x" * 101)],
            [("nav_item", "section:no-such-section"), ("nav_url", ""), ("nav_label", "")],
            [("nav_item", "script:x"), ("nav_url", ""), ("nav_label", "")],
            [("nav_item", "section:economy"), ("nav_url", ""), ("nav_label", "")] * 31,
        ]
        for case in cases:
            with self.subTest(case=case[:3]):
                body = replaced(typed, **{n: v for n, v in case if n in ("accent_color", "logo", "favicon", "timezone")})
                body += [(n, v) for n, v in case if n.startswith("nav_")]
                status, _, page, _ = self.save(admin, body)
                self.assertEqual(status, 422)
                self.assertIn('value="A Typed Title"', page)
                self.assertNotIn("javascript:alert(1)</a>", page)
        self.assertNotIn("A Typed Title", self.home())
        self.assertNotIn("javascript:", self.home())

    def media_count(self):
        with self.server.database() as db:
            return db.execute("SELECT count(*) FROM media").fetchone()[0]

    def test_an_image_is_stored_only_when_the_whole_form_is_right(self):
        admin = self.signed_in("admin@example.org")
        fields, _ = self.form(admin)
        fields = [(n, v) for n, v in fields if n not in ("nav_item", "nav_url", "nav_label")]
        uploads = os.path.join(self.server.site, "uploads")
        files, media = files_under(uploads), self.media_count()
        # A comment setting out of range, beside a good logo: nothing stored, the image included,
        # and every field comes back as typed.
        typed = replaced(fields, title="Typed Title", comments_thread_depth="11",
                         comments_hold_words="typed-word", comments_notify_authors="1")
        status, _, page = post_multipart(admin, "/admin/settings", typed,
                                         {"logo_file": ("masthead.png", png(400, 100), "image/png")})
        self.assertEqual(status, 422)
        self.assertEqual(self.media_count(), media)
        self.assertEqual(files_under(uploads), files)
        shown = dict(settings_fields(page))
        self.assertEqual(shown["title"], "Typed Title")
        self.assertEqual(shown["comments_thread_depth"], "11")
        self.assertEqual(shown["comments_hold_words"].strip(), "typed-word")
        self.assertEqual(shown.get("comments_notify_authors"), "1")
        self.assertNotIn("Typed Title", self.home())
        # Put right, the same form stores the image and the settings together.
        status, _, page = post_multipart(admin, "/admin/settings", replaced(typed, comments_thread_depth="3"),
                                         {"logo_file": ("masthead.png", png(400, 100), "image/png")})
        self.assertEqual(status, 303, page)
        self.assertEqual(self.media_count(), media + 1)
        fields, _ = self.form(admin)
        self.assertTrue(dict(fields)["logo"].startswith("/uploads/media/"))
        self.assertEqual(dict(fields)["comments_hold_words"].strip(), "typed-word")

    def test_an_svg_favicon_is_refused_naming_the_field(self):
        admin = self.signed_in("admin@example.org")
        fields, _ = self.form(admin)
        fields = [(n, v) for n, v in fields if n not in ("nav_item", "nav_url", "nav_label")]
        media = self.media_count()
        svg = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
               b'<script>alert(1)</script><rect width="16" height="16"/></svg>')
        for name in ("icon.svg", "icon.png"):  # by its bytes too, whatever its name
            with self.subTest(name=name):
                status, _, page = post_multipart(admin, "/admin/settings", replaced(fields, title="Svg Try"),
                                                 {"favicon_file": (name, svg, "image/svg+xml")})
                self.assertEqual(status, 422)
                self.assertRegex(page, r'<input id="favicon_file" name="favicon_file" type="file" '
                                       r'accept="image/png,image/jpeg,image/webp,image/gif" aria-invalid="true" '
                                       r'aria-describedby="settings-error">')
                self.assertIn('id="settings-error"', page)
                self.assertEqual(self.media_count(), media)

    def test_only_administrators_change_branding_or_the_public_address(self):
        editor = self.signed_in("editor@example.org")
        self.assertEqual(editor.request("GET", "/admin/settings")[0], 403)
        csrf = harness.form_token(editor.request("GET", "/admin/")[2], "/admin/logout")
        self.assertEqual(editor.request("POST", "/admin/settings", {"csrf": csrf, "title": "Hijacked"})[0], 403)
        self.assertEqual(editor.request("POST", "/admin/settings/address",
                                        {"csrf": csrf, "address": f"http://127.0.0.1:{self.server.port}"})[0], 403)
        self.assertNotIn("address-warning", editor.request("GET", "/admin/")[2])

    def test_the_desk_favicon_is_served(self):
        page = Browser(self.server).request("GET", "/admin/login")[2]
        icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
        self.assertEqual(self.server.get(icon)[0], 200)


class PublicAddress(unittest.TestCase):
    """The banner an administrator sees when the desk is reached at another address than the
    public one, and its one-click fix."""

    def start(self, env=None):
        server = harness.Server(env=env)
        add_user(server, "admin@example.org", "administrator", PASSWORD, "Ada Admin")
        server.start()
        self.addCleanup(server.close)
        admin = Browser(server)
        self.assertEqual(admin.sign_in("admin@example.org", PASSWORD)[0], 303)
        return server, admin

    def test_the_banner_offers_this_address_and_the_fix_saves_it(self):
        server, admin = self.start()
        here = f"http://127.0.0.1:{server.port}"
        page = admin.request("GET", "/admin/")[2]
        self.assertIn('class="address-warning"', page)
        self.assertIn(f"<strong>{here}</strong>", page)
        self.assertIn("http://127.0.0.1:8080", page)  # links use this while no address is set
        csrf = harness.form_token(page, "/admin/settings/address")
        # Another address than the one this request reached is refused, whatever it is.
        for other in ["https://evil.example", "javascript:alert(1)", here + "/path"]:
            self.assertEqual(admin.request("POST", "/admin/settings/address", {"csrf": csrf, "address": other})[0], 422)
        self.assertEqual(admin.request("POST", "/admin/settings/address", {"address": here})[0], 403)  # no token
        status, headers, _, _ = admin.request("POST", "/admin/settings/address", {"csrf": csrf, "address": here})
        self.assertEqual(status, 303)
        page = admin.request("GET", "/admin/settings")[2]
        self.assertNotIn('class="address-warning"', page)
        self.assertIn(f'id="base_url" name="base_url" type="url" value="{here}"', page)
        body = server.get("/why-deterrence-still-works/")[2].decode()
        self.assertIn(f'<link rel="canonical" href="{here}/why-deterrence-still-works/">', body)
        audit = admin.request("GET", "/admin/audit")[2]
        self.assertIn("public-address", audit)
        # Reached under another name (a Host header), the banner comes back, naming it.
        other = Browser(server, headers={"Host": "desk.example:9000"})
        other.cookies = dict(admin.cookies)
        page = other.request("GET", "/admin/")[2]
        self.assertIn("<strong>http://desk.example:9000</strong>", page)
        self.assertIn(f"<strong>{here}</strong>", page)
        # A Host that is no address gets no banner at all.
        hostile = Browser(server, headers={"Host": 'x"><script>alert(1)</script>'})
        hostile.cookies = dict(admin.cookies)
        status, _, page, _ = hostile.request("GET", "/admin/")
        self.assertNotIn("address-warning", page)
        self.assertNotIn("<script>alert(1)", page)

    def test_an_address_set_by_the_configuration_is_explained_not_offered(self):
        server, admin = self.start()
        here = f"http://127.0.0.1:{server.port}"
        csrf = harness.form_token(admin.request("GET", "/admin/")[2], "/admin/settings/address")
        with server.database() as db:
            stored = db.execute("SELECT value FROM settings WHERE key = 'base_url'").fetchone()
        # The same site served again with its address in the environment.
        server.stop()
        server.env["BROADSHEET_BASE_URL"] = "https://review.example"
        server.start()
        page = admin.request("GET", "/admin/")[2]  # the same session
        self.assertIn('class="address-warning"', page)
        self.assertIn("<strong>https://review.example</strong>", page)
        self.assertIn("BROADSHEET_BASE_URL", page)
        self.assertNotIn('action="/admin/settings/address"', page)
        # The form's token from before still belongs to this session: the fix does not pretend.
        status, _, page, _ = admin.request("POST", "/admin/settings/address", {"csrf": csrf, "address": here})
        self.assertEqual(status, 409)
        self.assertIn("BROADSHEET_BASE_URL", page)
        with server.database() as db:
            self.assertEqual(db.execute("SELECT value FROM settings WHERE key = 'base_url'").fetchone(), stored)

    def test_a_proxys_address_is_explained_not_offered(self):
        server, admin = self.start()
        csrf = harness.form_token(admin.request("GET", "/admin/")[2], "/admin/settings/address")
        for configured, reason in [("https://127.0.0.1:{port}", "trusted_proxies"),
                                   ("https://news.example", "Host header")]:
            server.stop()
            configured = configured.format(port=server.port)  # the next start may take another port
            with server.database() as db:
                db.execute("UPDATE settings SET value = ? WHERE key = 'base_url'", (configured,))
            server.start()
            here = f"http://127.0.0.1:{server.port}"
            page = admin.request("GET", "/admin/")[2]
            self.assertIn('class="address-warning"', page)
            self.assertIn(f"<strong>{here}</strong>", page)
            self.assertIn(reason, page)
            self.assertNotIn('action="/admin/settings/address"', page)
            # Posted all the same, the fix refuses and changes nothing.
            status, _, page, _ = admin.request("POST", "/admin/settings/address", {"csrf": csrf, "address": here})
            self.assertEqual(status, 422)
            with server.database() as db:
                stored = db.execute("SELECT value FROM settings WHERE key = 'base_url'").fetchone()[0]
            self.assertEqual(stored, configured)

if __name__ == "__main__":
    unittest.main()
