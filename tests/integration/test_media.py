"""The media library: uploads checked by content, stripped of metadata, resized, and served with
srcset; the editor's featured-image upload."""

import html
import http.client
import os
import re
import struct
import threading
import time
import unittest
import uuid
import zlib

import harness
from test_desk import PASSWORD, Browser, add_user


def png(width, height, text=None):
    """A solid-colour RGB PNG, optionally with a tEXt chunk (metadata that must not survive)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\x40\x80\xc0" * width
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if text:
        data += chunk(b"tEXt", b"Comment\x00" + text.encode())
    return data + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def deep_png(width, height, depth=16):
    """An RGBA PNG of `depth` bits per channel, made row by row so that it never sits decoded in
    this process; a smooth gradient, so that it compresses to a few hundred KB."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row_bytes = width * 4 * depth // 8
    row = b"\x00" + (bytes(range(256)) * (row_bytes // 256 + 1))[:row_bytes]
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 6, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def memory_mb(pid, field):
    """VmRSS (resident now) or VmHWM (resident at its peak) of a process, in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(field + " not in /proc status")


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, (filename, data, kind) in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f'Content-Type: {kind}\r\n\r\n').encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_multipart(browser, path, fields, files):
    body, kind = multipart(fields, files)
    connection = http.client.HTTPConnection("127.0.0.1", browser.server.port, timeout=120)
    headers = {"Content-Type": kind, "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    result = (response.status, response.headers, response.read().decode())
    connection.close()
    return result


def csrf_of(page):
    return harness.form_token(page)


class MediaLibrary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        add_user(cls.server, "writer@example.org", "contributor", PASSWORD, "Wren Writer")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def signed_in(self, email):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in(email, PASSWORD)[0], 303)
        return browser

    def test_an_upload_is_stripped_resized_and_listed(self):
        editor = self.signed_in("editor@example.org")
        csrf = csrf_of(editor.request("GET", "/admin/media")[2])
        status, headers, _ = post_multipart(editor, "/admin/media", {"csrf": csrf, "alt": "A blue field", "caption": "", "credit": "Desk photo"},
                                            {"file": ("Field Photo.png", png(1000, 500, "GPS 51.5N 0.1W SECRET"), "image/png")})
        self.assertEqual(status, 303)
        page = editor.request("GET", "/admin/media")[2]
        url = re.search(r'id="url-\d+" type="text" readonly value="(/uploads/media/\d{4}/\d{2}/[a-z0-9_-]+-field-photo\.png)"', page).group(1)
        # Its Markdown places it as a figure with its credit (docs/content-format.md).
        self.assertIn("![A blue field](" + url + ' " | Desk photo")', html.unescape(page))
        status, headers, original = self.server.get(url)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "image/png")
        self.assertNotIn(b"SECRET", original)
        for width in (480, 960):
            for extension, kind in (("png", "image/png"), ("webp", "image/webp")):
                status, headers, _ = self.server.get(url.replace(".png", f"-{width}.{extension}"))
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-type"], kind)
        self.assertEqual(self.server.get(url.replace(".png", "-1600.png"))[0], 404)  # never upscaled

    def test_the_servers_private_files_are_never_served(self):
        # Where search index snapshots go in the media store (search/snapshot.h); a file there is
        # not a reader's, however the address is spelled.
        folder = os.path.join(self.server.site, "uploads", "private", "search", "0" * 32)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "postlist.glass"), "w") as f:
            f.write("embargoed words")
        with open(os.path.join(self.server.site, "uploads", "public.txt"), "w") as f:
            f.write("fine")
        self.assertEqual(self.server.get("/uploads/public.txt")[0], 200)
        tail = "private/search/%s/postlist.glass" % ("0" * 32)
        for path in ("/uploads/" + tail, "/uploads//" + tail, "/uploads/./" + tail,
                     "/uploads/%2F" + tail, "/uploads/.//" + tail, "/uploads/PRIVATE/" + tail[8:]):
            status, _, body = self.server.get(path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"embargoed", body, path)

    def test_bad_uploads_are_refused_with_the_reason(self):
        editor = self.signed_in("editor@example.org")
        csrf = csrf_of(editor.request("GET", "/admin/media")[2])
        cases = [
            ({"alt": ""}, ("a.png", png(10, 10), "image/png"), "alt text"),
            ({"alt": "x"}, ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"), "only JPEG, PNG, WebP and GIF"),
            ({"alt": "x"}, ("photo.jpg", b"#!/bin/sh\necho disguised\n", "image/jpeg"), "not an image"),
            ({"alt": "x"}, ("cut.png", png(300, 300)[:200], "image/png"), "damaged"),
        ]
        for fields, upload, message in cases:
            status, _, page = post_multipart(editor, "/admin/media", dict(fields, csrf=csrf), {"file": upload})
            self.assertEqual(status, 422, upload[0])
            self.assertIn(message, page, upload[0])
        writer = self.signed_in("writer@example.org")
        self.assertEqual(writer.request("GET", "/admin/media")[0], 403)

    def test_an_oversized_upload_is_refused_before_it_is_read(self):
        editor = self.signed_in("editor@example.org")
        reply = self.server.raw(b"POST /admin/media HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                                b"Content-Length: 104857600\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"))
        # Outside the desk, the ordinary (smaller) limit applies.
        reply = self.server.raw(b"POST /newsletter/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"))

    def test_the_editor_uploads_a_featured_image_served_with_srcset(self):
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/posts/new")[2]
        csrf = csrf_of(page)
        count = re.search(r'name="edit_count" value="(\d+)"', page).group(1)
        fields = {"csrf": csrf, "edit_count": count, "do": "publish", "title": "Pictured Analysis", "dek": "",
                  "body": "Text.", "slug": "", "kind": "article", "section": "security", "authors": "jane-doe",
                  "tags": "", "image_url": "", "image_alt": "A wide blue field", "image_caption": "Somewhere.",
                  "image_credit": "Photo: Desk", "comments_open": "1", "disclaimer_mode": "default", "disclaimer": "", "date": ""}
        status, headers, _ = post_multipart(editor, "/admin/posts", fields, {"image_file": ("wide.png", png(2000, 1000), "image/png")})
        self.assertEqual(status, 303)
        body = self.server.get("/pictured-analysis/")[2].decode()
        source = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+">', body)
        self.assertIsNotNone(source, body[:2000])
        self.assertEqual(len(source.group(1).split(", ")), 3)  # 480, 960, 1600
        self.assertRegex(body, r'<img src="/uploads/media/[^"]+\.png" srcset="[^"]+-480\.png 480w, [^"]+ 2000w" sizes="[^"]+" width="2000" height="1000" alt="A wide blue field"')
        self.assertIn("Photo: Desk", body)

    def test_the_preview_shows_a_chosen_photo_without_uploading_it(self):
        # A phone photo's size (over the form limit of 1 MiB): noise, so that it does not compress.
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        width, height = 800, 800
        rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
        photo = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                 + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))
        self.assertGreater(len(photo), 1024 * 1024)
        editor = self.signed_in("editor@example.org")
        page = editor.request("GET", "/admin/posts/new")[2]
        token = html.unescape(re.search(r'data-token="([^"]+)"', page).group(1))
        uploads = files_under(os.path.join(self.server.site, "uploads"))
        media = editor.request("GET", "/admin/media")[2].count("<img ")
        fields = {"csrf": token, "post": "0", "title": "Photo Preview", "body": "Text.", "image_alt": "Noise"}
        status, headers, body = post_multipart(editor, "/admin/preview", fields,
                                               {"image_file": ("photo.png", photo, "image/png")})
        self.assertEqual(status, 200)
        self.assertIn('src="data:image/png;base64,', body)
        self.assertIn("sandbox", headers["Content-Security-Policy"])
        # Not a byte of it stored.
        self.assertEqual(files_under(os.path.join(self.server.site, "uploads")), uploads)
        self.assertEqual(editor.request("GET", "/admin/media")[2].count("<img "), media)
        # What the browser would not show as an image is not shown (nor stored).
        status, _, body = post_multipart(editor, "/admin/preview", fields,
                                         {"image_file": ("photo.png", b"<svg onload=alert(1)>", "image/png")})
        self.assertEqual(status, 200)
        self.assertNotIn("data:", body)
        self.assertNotIn("onload", body)


def files_under(folder):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


class FailedUploads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()
        cls.editor = Browser(cls.server)
        assert cls.editor.sign_in("editor@example.org", PASSWORD)[0] == 303

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_an_upload_whose_database_step_fails_leaves_no_files(self):
        uploads = os.path.join(self.server.site, "uploads")
        before = files_under(uploads)
        # The database refuses the media row, after the image and its variants were written.
        postgres = bool(self.server.database_url)
        with self.server.database() as db:
            if postgres:
                db.execute("CREATE FUNCTION refuse_media() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$")
                db.execute("CREATE TRIGGER refuse_media BEFORE INSERT ON media "
                           "FOR EACH ROW EXECUTE FUNCTION refuse_media()")
            else:
                db.execute("CREATE TRIGGER refuse_media BEFORE INSERT ON media "
                           "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        try:
            csrf = csrf_of(self.editor.request("GET", "/admin/media")[2])
            status, _, _ = post_multipart(self.editor, "/admin/media", {"csrf": csrf, "alt": "A field"},
                                          {"file": ("field.png", png(2000, 1000), "image/png")})
            self.assertIn(status, (409, 500))  # the database's refusal, not stored
            self.assertEqual(files_under(uploads), before)
        finally:
            with self.server.database() as db:
                db.execute("DROP TRIGGER refuse_media" + (" ON media" if postgres else ""))
        # With the database back, the same upload is stored: original and six variants.
        csrf = csrf_of(self.editor.request("GET", "/admin/media")[2])
        status, _, _ = post_multipart(self.editor, "/admin/media", {"csrf": csrf, "alt": "A field"},
                                      {"file": ("field.png", png(2000, 1000), "image/png")})
        self.assertEqual(status, 303)
        self.assertEqual(len(files_under(uploads)), len(before) + 7)


class BusyImageJobs(unittest.TestCase):
    """An upload arriving while every image job is taken is answered at once: 503, Retry-After,
    and the form shown again with the writer's words; no request thread waits for a turn."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_IMAGE_JOBS": "1", "BROADSHEET_IMAGE_WAIT_S": "4"})
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()
        cls.editor = Browser(cls.server)
        assert cls.editor.sign_in("editor@example.org", PASSWORD)[0] == 303
        cls.csrf = csrf_of(cls.editor.request("GET", "/admin/media")[2])

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def while_busy(self, send):
        """Starts a slow large upload and calls send() until it answers 503 (the large upload's
        body may still be on its way at first); returns that answer and how long it took."""
        large = deep_png(5000, 5000, 8)  # 100 MB decoded: seconds of work for the one job
        first = []

        def upload_large():
            # A small upload below may hold the one job for a moment: try until the large one runs.
            for _ in range(400):
                answer = post_multipart(self.editor, "/admin/media", {"csrf": self.csrf, "alt": "Large"},
                                        {"file": ("large.png", large, "image/png")})
                if answer[0] != 503:
                    break
                time.sleep(0.05)
            first.append(answer)
        thread = threading.Thread(target=upload_large)
        thread.start()
        busy = None
        while thread.is_alive() and busy is None:
            started = time.monotonic()
            status, headers, page = send()
            if status == 503:
                busy = (status, headers, page, time.monotonic() - started)
            else:
                time.sleep(0.3)  # leave the job free most of the time, for the large upload
        thread.join()
        self.assertEqual(first[0][0], 303)
        self.assertIsNotNone(busy, "the second upload was never turned away")
        return busy

    def test_a_second_upload_while_one_is_processed_gets_503_with_its_fields_kept(self):
        fields = {"csrf": self.csrf, "alt": "Gulls over the harbour", "caption": "Morning & mist",
                  "credit": "Photo: K. Ng"}
        small = {"file": ("gulls.png", png(1200, 800), "image/png")}
        status, headers, page, seconds = self.while_busy(
            lambda: post_multipart(self.editor, "/admin/media", fields, small))
        self.assertLess(seconds, 2)  # answered at once, not after a wait
        self.assertEqual(headers["Retry-After"], "4")
        self.assertIn("Another image is being processed; try again in 4 seconds", html.unescape(page))
        self.assertIn('value="Gulls over the harbour"', page)
        self.assertIn("Morning &amp; mist", page)
        self.assertIn("Photo: K. Ng", page)
        # The one job is free again: the same upload is stored.
        status, _, _ = post_multipart(self.editor, "/admin/media", fields, small)
        self.assertEqual(status, 303)

    def test_the_editors_featured_image_while_one_is_processed_gets_503_with_the_text_kept(self):
        page = self.editor.request("GET", "/admin/posts/new")[2]
        count = re.search(r'name="edit_count" value="(\d+)"', page).group(1)
        fields = {"csrf": csrf_of(page), "edit_count": count, "do": "save", "title": "Harbour Birds",
                  "dek": "", "body": "Gulls at dawn.", "slug": "", "kind": "article", "section": "security",
                  "authors": "jane-doe", "tags": "", "image_url": "", "image_alt": "Gulls over the harbour",
                  "image_caption": "", "image_credit": "Photo: K. Ng", "comments_open": "1",
                  "disclaimer_mode": "default", "disclaimer": "", "date": ""}
        image = {"image_file": ("gulls.png", png(1200, 800), "image/png")}
        status, headers, page, seconds = self.while_busy(
            lambda: post_multipart(self.editor, "/admin/posts", fields, image))
        self.assertLess(seconds, 2)
        self.assertEqual(headers["Retry-After"], "4")
        self.assertIn("Another image is being processed; try again in 4 seconds", html.unescape(page))
        self.assertIn("Harbour Birds", page)
        self.assertIn("Gulls at dawn.", page)


class UploadMemory(unittest.TestCase):
    """Issue 13, item 8: a small file that decodes to hundreds of megabytes is refused from its
    header, images are processed one at a time, and memory goes back afterwards."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_IMAGE_JOBS": "1", "BROADSHEET_IMAGE_WAIT_S": "1"})
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        cls.server.start()
        cls.editor = Browser(cls.server)
        assert cls.editor.sign_in("editor@example.org", PASSWORD)[0] == 303
        cls.csrf = csrf_of(cls.editor.request("GET", "/admin/media")[2])

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def upload_at_once(self, data, count):
        results = []

        def upload():
            # One image at a time: the others are turned away at once (503) and try again.
            for _ in range(200):
                status, _, page = post_multipart(self.editor, "/admin/media", {"csrf": self.csrf, "alt": "Deep"},
                                                 {"file": ("deep.png", data, "image/png")})
                if status != 503:
                    break
                time.sleep(0.2)
            results.append((status, page))
        threads = [threading.Thread(target=upload) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def test_a_16_bit_image_that_decodes_to_392_mb_is_refused_from_its_header(self):
        data = deep_png(7000, 7000, 16)  # 7000 × 7000 × 4 channels × 2 bytes = 392 MB decoded
        self.assertLess(len(data), 2 * 1024 * 1024)
        pid = self.server.process.pid
        started = time.monotonic()
        results = self.upload_at_once(data, 3)
        self.assertEqual([status for status, _ in results], [413, 413, 413])
        self.assertLess(time.monotonic() - started, 20)  # refused, not decoded
        self.assertLess(memory_mb(pid, "VmHWM"), 400)

    def test_images_take_turns_and_memory_is_returned(self):
        pid = self.server.process.pid
        baseline = memory_mb(pid, "VmRSS")
        data = deep_png(2500, 2500, 8)  # 25 MB decoded each
        results = self.upload_at_once(data, 3)
        self.assertEqual([status for status, _ in results], [303, 303, 303])
        self.assertLess(memory_mb(pid, "VmHWM"), 400)
        # The C heap's freed pages go back to the system after each image.
        self.assertLess(memory_mb(pid, "VmRSS"), baseline + 60)


if __name__ == "__main__":
    unittest.main()
