"""Media in an S3-compatible bucket ([media] storage = "s3", docs/media.md): uploads and their
variants go to the bucket, pages load them through the node or at the public URL, and
`broadsheet media migrate` moves a local uploads folder in.

The store is npm's s3rver (a devDependency; Node is on the machine already for the browser tests,
while moto has no Debian package). s3rver 3.7 checks the access key and the form of a Signature
Version 4 request but not the signature itself, so the node talks to it through a small proxy here
that recomputes every request's SigV4 signature from the secret (the algorithm as AWS documents
it) and refuses a wrong one with 403 SignatureDoesNotMatch, as S3 does: the tests then prove
that requests are signed, and signed right."""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from test_desk import PASSWORD, Browser, add_user
from test_media import csrf_of, png, post_multipart

BUCKET = "news-media"
REGION = "eu-west-1"
ACCESS_KEY = "S3RVER"  # s3rver's own account
SECRET = "S3RVER"
S3RVER = os.path.join(harness.SOURCE, "node_modules", "s3rver")
NODE = shutil.which("node")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3rver:
    """s3rver on a free port with an empty bucket, its files in a temporary folder."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="broadsheet-s3rver-")
        self.port = free_port()
        script = (
            "const S3rver = require(%s);"
            "new S3rver({port: %d, address: '127.0.0.1', directory: %s, silent: true,"
            " configureBuckets: [{name: %s}]}).run().then(a => console.log('ready ' + a.port));"
            % (json.dumps(S3RVER), self.port, json.dumps(self.dir), json.dumps(BUCKET)))
        self.process = subprocess.Popen([NODE, "-e", script], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            self.process.kill()
            raise AssertionError("s3rver did not start: " + line + self.process.stderr.read())

    def object(self, key):
        """(status, body) of an anonymous GET of `key`, straight from s3rver."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", "/%s/%s" % (BUCKET, urllib.parse.quote(key)))
        response = connection.getresponse()
        result = (response.status, response.read())
        connection.close()
        return result

    def close(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def sigv4_signature(secret, method, raw_path, headers, signed, payload_hash, amz_date, scope):
    """The signature AWS Signature Version 4 gives a request (docs.aws.amazon.com, "Create a
    signed AWS API request"), computed independently of libcurl."""
    path, _, query = raw_path.partition("?")
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                               for k, v in pairs)
    canonical_headers = "".join("%s:%s\n" % (name, " ".join(headers.get(name, "").strip().split()))
                                for name in signed)
    canonical_request = "\n".join([method, path, canonical_query, canonical_headers, ";".join(signed), payload_hash])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    date, region, service, terminal = scope.split("/")
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminal):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class VerifyingProxy:
    """An HTTP proxy in front of s3rver that lets through only requests signed with SECRET."""

    def __init__(self, upstream_port):
        proxy = self
        self.refused = 0
        self.passed = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def refuse(self, code, message):
                proxy.refused += 1
                body = ("<?xml version=\"1.0\"?><Error><Code>%s</Code><Message>%s</Message></Error>"
                        % (code, message)).encode()
                self.send_response(403)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                found = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8}/[^/]+/s3/aws4_request), "
                                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
                                     headers.get("authorization", ""))
                if not found:
                    return self.refuse("AccessDenied", "not signed with SigV4")
                access_key, scope, signed, signature = found.groups()
                payload_hash = headers.get("x-amz-content-sha256", "")
                if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
                    return self.refuse("XAmzContentSHA256Mismatch", "the body is not the one signed")
                if not {"host", "x-amz-date"} <= set(signed.split(";")) or scope.split("/")[1] != REGION:
                    return self.refuse("AuthorizationHeaderMalformed", "host, date or region")
                expected = sigv4_signature(SECRET, self.command, self.path, headers, signed.split(";"),
                                           payload_hash, headers.get("x-amz-date", ""), scope)
                if access_key != ACCESS_KEY or not hmac.compare_digest(expected, signature):
                    return self.refuse("SignatureDoesNotMatch", "the signature does not match")
                proxy.passed += 1
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "expect")}
                upstream.request(self.command, self.path, body=body if body else None, headers=forwarded)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", response.getheader("Content-Length", str(len(data)))
                                 if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def set_media(site, settings):
    """Fills the [media] table that `broadsheet init` writes (its keys commented out)."""
    path = os.path.join(site, "broadsheet.toml")
    with open(path) as config:
        text = config.read()
    assert "\n[media]\n" in text
    with open(path, "w") as config:
        config.write(text.replace("\n[media]\n", "\n[media]\n" + settings, 1))


def media_config(proxy_port, extra=""):
    return ("storage = \"s3\"\nendpoint = \"http://127.0.0.1:%d\"\nbucket = \"%s\"\n"
            "region = \"%s\"\naccess_key_id = \"%s\"\npath_style = true\n%s" % (proxy_port, BUCKET, REGION, ACCESS_KEY, extra))


@unittest.skipUnless(NODE and os.path.isdir(S3RVER),
                     "needs node and npm's s3rver (npm ci installs it from package.json)")
class MediaInABucket(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = S3rver()
        cls.proxy = VerifyingProxy(cls.s3.port)
        # The secret from the environment, as an operator would keep it out of the file.
        cls.server = harness.Server(env={"BROADSHEET_S3_SECRET_ACCESS_KEY": SECRET})
        # Before [media]: `user add` reads the configuration, and the secret is in the server's
        # environment only.
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        set_media(cls.server.site, media_config(cls.proxy.port))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.proxy.close()
        cls.s3.close()

    def signed_in(self):
        browser = Browser(self.server)
        self.assertEqual(browser.sign_in("editor@example.org", PASSWORD)[0], 303)
        return browser

    def publish_with_image(self, title):
        editor = self.signed_in()
        page = editor.request("GET", "/admin/posts/new")[2]
        count = re.search(r'name="edit_count" value="(\d+)"', page).group(1)
        fields = {"csrf": csrf_of(page), "edit_count": count, "do": "publish", "title": title, "dek": "",
                  "body": "Text.", "slug": "", "kind": "article", "section": "security", "authors": "jane-doe",
                  "tags": "", "image_url": "", "image_alt": "A wide blue field", "image_caption": "",
                  "image_credit": "", "comments_open": "1", "disclaimer_mode": "default", "disclaimer": "", "date": ""}
        status, _, _ = post_multipart(editor, "/admin/posts", fields, {"image_file": ("wide.png", png(1000, 500), "image/png")})
        self.assertEqual(status, 303)

    def test_an_upload_and_its_variants_go_to_the_bucket_and_load_through_the_node(self):
        editor = self.signed_in()
        csrf = csrf_of(editor.request("GET", "/admin/media")[2])
        signed_before = self.proxy.passed
        status, _, _ = post_multipart(editor, "/admin/media", {"csrf": csrf, "alt": "A blue field", "caption": "", "credit": ""},
                                      {"file": ("Bucket Photo.png", png(1000, 500), "image/png")})
        self.assertEqual(status, 303)
        self.assertGreaterEqual(self.proxy.passed - signed_before, 5)  # original + 4 variants, signed
        page = editor.request("GET", "/admin/media")[2]
        url = re.search(r'value="(/uploads/media/\d{4}/\d{2}/[a-z0-9_-]+-bucket-photo\.png)"', page).group(1)
        key = url[len("/uploads/"):]
        # In the bucket, not on the node's disk.
        self.assertFalse(os.path.exists(os.path.join(self.server.site, "uploads", key)))
        status, original = self.s3.object(key)
        self.assertEqual(status, 200)
        self.assertTrue(original.startswith(b"\x89PNG"))
        for suffix in ("-480.png", "-480.webp", "-960.png", "-960.webp"):
            self.assertEqual(self.s3.object(key.replace(".png", suffix))[0], 200, suffix)
        # Through the node: the bytes, the upload policy, and a lasting cache for a unique name.
        status, headers, body = self.server.get(url)
        self.assertEqual(status, 200)
        self.assertEqual(body, original)
        self.assertEqual(headers["content-type"], "image/png")
        self.assertIn("sandbox", headers["content-security-policy"])
        self.assertEqual(headers["cache-control"], "public, max-age=31536000, immutable")
        self.assertEqual(self.server.get(url.replace(".png", "-960.webp"))[1]["content-type"], "image/webp")
        self.assertEqual(self.server.get("/uploads/media/2000/01/none.png")[0], 404)
        self.assertEqual(self.server.get("/uploads/media/../broadsheet.toml")[0], 404)

    def test_a_missing_object_is_asked_of_the_bucket_once_in_a_few_seconds(self):
        missing = "/uploads/media/2001/01/never-there.png"
        passed_before = self.proxy.passed
        for _ in range(5):
            self.assertEqual(self.server.get(missing)[0], 404)
        self.assertEqual(self.proxy.passed - passed_before, 1)

    def test_an_article_links_its_image_through_the_node(self):
        self.publish_with_image("Bucketed Analysis")
        body = self.server.get("/bucketed-analysis/")[2].decode()
        src = re.search(r'<img src="(/uploads/media/[^"]+\.png)" srcset="([^"]+)"', body)
        self.assertIsNotNone(src, body[:2000])
        for address in [src.group(1)] + [part.split()[0] for part in src.group(2).split(", ")]:
            status, headers, _ = self.server.get(address)
            self.assertEqual(status, 200, address)
            self.assertEqual(headers["content-type"], "image/png")

    def test_a_file_not_a_picture_from_the_bucket_is_a_download(self):
        key = "imports/notes.html"
        self.assertEqual(self.s3_put_signed(key, b"<script>alert(1)</script>"), 200)
        status, headers, _ = self.server.get("/uploads/" + key)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/octet-stream")
        self.assertEqual(headers["content-disposition"], "attachment")
        self.assertEqual(headers["cache-control"], "public, max-age=86400")

    def s3_put_signed(self, key, data):
        """Puts an object through `broadsheet media migrate` from a folder of its own."""
        folder = tempfile.mkdtemp(prefix="broadsheet-s3-put-")
        try:
            harness.write_tree(folder, {key: data})
            done = harness.run("media", "migrate", "--site", self.server.site, "--from", folder, env=self.server.env)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            return self.s3.object(key)[0]
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_media_migrate_moves_a_local_folder_once_and_says_so(self):
        uploads = os.path.join(self.server.site, "uploads")
        harness.write_tree(uploads, {"2019/05/old-photo.png": png(40, 20), "2019/05/report.pdf": b"%PDF-1.4 old",
                                     ".hidden": b"not moved"})
        # What the Markdown import copied there too (importers write to the folder; docs/media.md).
        files = [os.path.relpath(os.path.join(root, name), uploads) for root, _, names in os.walk(uploads)
                 for name in names if not name.startswith(".")]
        self.assertIn("2019/05/report.pdf", files)
        done = harness.run("media", "migrate", "--site", self.server.site, env=self.server.env)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        # An import's images may be in the bucket already (test_an_import_puts_…).
        counts = re.search(r"copied: (\d+), already in the bucket: (\d+), failed: 0", done.stdout)
        self.assertIsNotNone(counts, done.stdout)
        self.assertEqual(int(counts.group(1)) + int(counts.group(2)), len(files))
        self.assertGreaterEqual(int(counts.group(1)), 2)  # the two written here
        self.assertEqual(self.s3.object("2019/05/old-photo.png"), (200, png(40, 20)))
        self.assertEqual(self.s3.object(".hidden")[0], 404)
        # Again: nothing to do.
        done = harness.run("media", "migrate", "--site", self.server.site, env=self.server.env)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("copied: 0, already in the bucket: %d, failed: 0" % len(files), done.stdout)
        for key in files:
            self.assertEqual(self.s3.object(key)[0], 200, key)
        # The node serves it from the bucket once the local copy is gone.
        os.remove(os.path.join(uploads, "2019/05/old-photo.png"))
        status, headers, body = self.server.get("/uploads/2019/05/old-photo.png")
        self.assertEqual(status, 200)
        self.assertEqual(body, png(40, 20))

    def test_media_migrate_copies_again_a_file_of_the_same_size_that_differs(self):
        folder = tempfile.mkdtemp(prefix="broadsheet-s3-same-size-")
        try:
            harness.write_tree(folder, {"2020/01/chart.csv": b"a,b\n1,2\n"})
            migrate = lambda: harness.run("media", "migrate", "--site", self.server.site, "--from", folder,
                                          env=self.server.env)
            done = migrate()
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("copied: 1, already in the bucket: 0, failed: 0", done.stdout)
            # Edited in place, the same size: copied again, not taken for the one in the bucket.
            harness.write_tree(folder, {"2020/01/chart.csv": b"a,b\n3,4\n"})
            done = migrate()
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertIn("copied: 1, already in the bucket: 0, failed: 0", done.stdout)
            self.assertEqual(self.s3.object("2020/01/chart.csv"), (200, b"a,b\n3,4\n"))
            done = migrate()
            self.assertIn("copied: 0, already in the bucket: 1, failed: 0", done.stdout)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_an_import_puts_the_images_it_copies_in_the_bucket_too(self):
        content = tempfile.mkdtemp(prefix="broadsheet-s3-import-")
        try:
            harness.write_tree(content, {
                "posts/imported-picture.md": "---\ntitle: Imported Picture\nimage: pictures/imported.png\n"
                                             "image_alt: A field\n---\nText.\n",
                "pictures/imported.png": png(30, 20)})
            done = harness.run("import", "markdown", content, "--site", self.server.site, env=self.server.env)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertRegex(done.stdout, r"media: +\d+ file\(s\) copied into the bucket " + BUCKET)
            self.assertEqual(self.s3.object("pictures/imported.png"), (200, png(30, 20)))
            self.server.settle()
            body = self.server.get("/imported-picture/")[2].decode()
            self.assertIn('src="/uploads/pictures/imported.png"', body)
        finally:
            shutil.rmtree(content, ignore_errors=True)

    def test_media_migrate_with_a_wrong_secret_fails_naming_the_file_and_status(self):
        folder = tempfile.mkdtemp(prefix="broadsheet-s3-wrong-")
        try:
            harness.write_tree(folder, {"wrong/secret.png": png(10, 10)})
            env = dict(self.server.env, BROADSHEET_S3_SECRET_ACCESS_KEY="not-the-secret-at-all")
            refused_before = self.proxy.refused
            done = harness.run("media", "migrate", "--site", self.server.site, "--from", folder, env=env)
            self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
            self.assertGreater(self.proxy.refused, refused_before)
            self.assertIn("wrong/secret.png", done.stderr)
            self.assertIn("HTTP 403", done.stderr)  # a HEAD's refusal has no body to name its code
            self.assertNotIn("not-the-secret-at-all", done.stdout + done.stderr)
            self.assertEqual(self.s3.object("wrong/secret.png")[0], 404)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_media_migrate_has_help_and_refuses_a_local_site(self):
        done = harness.run("media", "migrate", "--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--from", done.stdout)
        local = harness.Server(content=None)
        try:
            done = harness.run("media", "migrate", "--site", local.site)
            self.assertEqual(done.returncode, 1)
            self.assertIn("media.storage", done.stderr)
        finally:
            local.close()

    def test_an_incomplete_bucket_setting_is_refused_at_start(self):
        site = harness.Server(content=None)
        try:
            set_media(site.site, "storage = \"s3\"\nendpoint = \"http://127.0.0.1:1\"\n")
            done = harness.run("serve", "--site", site.site, "--listen", "127.0.0.1:0", timeout=20)
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("media.bucket", done.stderr)
        finally:
            site.close()


@unittest.skipUnless(NODE and os.path.isdir(S3RVER),
                     "needs node and npm's s3rver (npm ci installs it from package.json)")
class SilentBucket:
    """A bucket's address that takes connections and never answers them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.closed = True
        self.sock.close()
        for connection in self.held:
            connection.close()


class MediaInASlowBucket(unittest.TestCase):
    """A bucket that never answers holds a few of the node's workers at most, for 10 s at most:
    past them /uploads/ answers 503 with Retry-After at once, and the node answers the rest."""

    @classmethod
    def setUpClass(cls):
        cls.bucket = SilentBucket()
        cls.server = harness.Server(env={"BROADSHEET_S3_SECRET_ACCESS_KEY": SECRET, "BROADSHEET_THREADS": "4"})
        set_media(cls.server.site, media_config(cls.bucket.port))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.bucket.close()

    def test_the_node_answers_promptly_while_the_bucket_does_not(self):
        results = []

        def fetch(i):
            started = time.time()
            # Longer than the node's 10 s on the serving path, so that the node gives up first.
            status, headers, _ = self.server.request("GET", "/uploads/media/2020/01/slow-%d.png" % i,
                                                     timeout=30)
            results.append((status, headers.get("retry-after"), time.time() - started))

        fetchers = [threading.Thread(target=fetch, args=(i,)) for i in range(8)]
        for fetcher in fetchers:
            fetcher.start()
        time.sleep(0.5)
        for path in ("/healthz", "/search?q=anything", "/"):
            started = time.time()
            status = self.server.get(path)[0]
            self.assertEqual(status, 200, path)
            self.assertLess(time.time() - started, 2, path)
        for fetcher in fetchers:
            fetcher.join(20)
        self.assertEqual(len(results), 8)
        turned_away = [r for r in results if r[0] == 503 and r[1] is not None]
        self.assertGreaterEqual(len(turned_away), 6, results)  # 4 workers: 2 fetches at once
        self.assertTrue(all(r[2] < 2 for r in turned_away), results)
        self.assertTrue(all(int(r[1]) > 0 for r in turned_away), results)
        # Those that waited gave up within the serving path's 10 s.
        self.assertTrue(all(r[2] < 12 for r in results), results)
        self.assertTrue(all(r[0] >= 500 for r in results), results)


class MediaAtAPublicUrl(unittest.TestCase):
    """With public_url, pages link the bucket's address and readers fetch images from there."""

    @classmethod
    def setUpClass(cls):
        cls.s3 = S3rver()
        cls.proxy = VerifyingProxy(cls.s3.port)
        cls.public = "http://127.0.0.1:%d/%s/" % (cls.s3.port, BUCKET)
        cls.server = harness.Server(env={"BROADSHEET_S3_SECRET_ACCESS_KEY": SECRET})
        add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        set_media(cls.server.site, media_config(cls.proxy.port, 'public_url = "%s"\n' % cls.public))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.proxy.close()
        cls.s3.close()

    def test_the_page_links_images_at_the_public_url_and_they_load_there(self):
        MediaInABucket.publish_with_image(self, "Public Analysis")
        body = self.server.get("/public-analysis/")[2].decode()
        src = re.search(r'<img src="([^"]+)" srcset="([^"]+)"', body)
        self.assertIsNotNone(src, body[:2000])
        self.assertTrue(src.group(1).startswith(self.public + "media/"), src.group(1))
        self.assertNotIn('"/uploads/', body)
        for address in [src.group(1)] + [part.split()[0] for part in src.group(2).split(", ")]:
            self.assertTrue(address.startswith(self.public), address)
            parsed = urllib.parse.urlsplit(address)
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
            connection.request("GET", parsed.path)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            self.assertEqual(response.status, 200, address)
            self.assertTrue(data.startswith(b"\x89PNG"), address)
        # The node still answers the old address, for links made before the switch.
        self.assertEqual(self.server.get("/uploads/" + src.group(1)[len(self.public):])[0], 200)

    signed_in = MediaInABucket.signed_in


if __name__ == "__main__":
    unittest.main()
