"""Shared pieces of the stress tests: the real binary (built with or without sanitizers) under
concurrent load on 127.0.0.1, and the checks that it survived without a sanitizer report.

Every test module imports this first: it points the integration harness at $BROADSHEET_BIN and
sets ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and TSAN_OPTIONS for every process the test starts
(the server and the CLI commands), with each report written to a file under a temporary folder
(log_path), so that a report cannot scroll past unseen. In a build without sanitizers the
variables are ignored.

Each flood runs for STRESS_SECONDS (default 20) of load.
"""

import glob
import http.client
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
from test_desk import PASSWORD, Browser, add_user  # noqa: E402,F401

SECONDS = float(os.environ.get("STRESS_SECONDS", "20"))
SUPPRESSIONS = os.path.join(os.path.abspath(harness.SOURCE), "tests", "sanitizers")

# Sanitizer reports go to files in this folder (one per process: <tool>.<pid>).
REPORTS = tempfile.mkdtemp(prefix="broadsheet-sanitizer-")
_common = f"halt_on_error=1:exitcode=66:log_path={REPORTS}/report:print_stacktrace=1"
os.environ["ASAN_OPTIONS"] = _common + ":detect_leaks=1:detect_stack_use_after_return=0"
os.environ["UBSAN_OPTIONS"] = _common
os.environ["LSAN_OPTIONS"] = f"suppressions={SUPPRESSIONS}/lsan.supp:print_suppressions=0"
# halt_on_error=0: a run shows every race at once; any report still fails the test.
os.environ["TSAN_OPTIONS"] = (f"halt_on_error=0:exitcode=66:log_path={REPORTS}/report:"
                              f"suppressions={SUPPRESSIONS}/tsan.supp:second_deadlock_stack=1:"
                              "history_size=4")

# What a sanitizer report starts with, whichever wrote it.
REPORT_MARKERS = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                            r"WARNING: ThreadSanitizer|ThreadSanitizer: |UndefinedBehaviorSanitizer")


def sanitizer_reports(server=None):
    """The text of every sanitizer report so far: report files and the server's stderr."""
    found = []
    for path in sorted(glob.glob(os.path.join(REPORTS, "report*"))):
        with open(path, errors="replace") as f:
            found.append(f"--- {os.path.basename(path)}\n" + f.read())
    if server is not None:
        log = "".join(server.log)
        if REPORT_MARKERS.search(log):
            found.append("--- server stderr\n" + log)
    return "\n".join(found)


class Client:
    """A keep-alive HTTP client for one load thread; reconnects after errors."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Load:
    """Runs `work(client, index)` repeatedly on `threads` threads until `seconds` have passed;
    counts requests and keeps the first unexpected failure."""

    def __init__(self, port, threads, work, seconds=SECONDS):
        self.port, self.threads, self.work, self.seconds = port, threads, work, seconds
        self.count = 0
        self.errors = []
        self.lock = threading.Lock()

    def _run(self, index):
        client = Client(self.port)
        deadline = time.time() + self.seconds
        rng = random.Random(index)
        try:
            while time.time() < deadline:
                self.work(client, rng)
                with self.lock:
                    self.count += 1
        except Exception as error:  # noqa: BLE001 - kept and reported by the test
            with self.lock:
                self.errors.append(f"thread {index}: {error!r}")
        finally:
            client.close()

    def start(self):
        self.pool = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]
        for thread in self.pool:
            thread.start()
        return self

    def join(self):
        for thread in self.pool:
            thread.join(self.seconds + 120)
        sys.stderr.write(f"{self.threads} threads: {self.count} rounds in {self.seconds:.0f} s\n")
        return self


class StressCase:
    """Mixin for unittest.TestCase: `self.server` is started by the test; tearDown asserts that it
    is still alive and answering, that it stops cleanly, and that no sanitizer said anything."""

    server = None

    def assert_survived(self):
        server = self.server
        self.assertIsNone(server.process.poll(), "the server died:\n" + "".join(server.log[-50:]) +
                          sanitizer_reports(server))
        status, _, _ = server.get("/healthz")
        self.assertEqual(status, 200)
        code = server.stop(timeout=60)
        self.assertEqual(code, 0, "exit status after SIGTERM\n" + sanitizer_reports(server))
        reports = sanitizer_reports(server)
        self.assertEqual(reports, "", "sanitizer reports:\n" + reports)

    def tearDown(self):
        if self.server is not None:
            self.server.close()
        shutil.rmtree(REPORTS, ignore_errors=True)
        os.makedirs(REPORTS, exist_ok=True)


def sign_in(server, email):
    browser = Browser(server)
    status = browser.sign_in(email, PASSWORD)[0]
    assert status == 303, status
    return browser


def form_of(page):
    """The editor form's token (tokens are bound to the form's action) and edit count."""
    csrf = harness.form_token(page, r"/admin/posts(?:/\d+)?")
    count = re.search(r'name="edit_count" value="(\d+)"', page).group(1)
    return csrf, count


POST_FIELDS = {"dek": "Short and sharp.", "slug": "", "kind": "article", "section": "security",
               "authors": "jane-doe", "tags": "Energy, Grid", "image_url": "", "image_alt": "",
               "image_caption": "", "image_credit": "", "opinion": "1", "comments_open": "1",
               "disclaimer_mode": "default", "disclaimer": "", "date": ""}


class Editor:
    """A desk session that writes and publishes posts, so that the content version moves (the page
    cache flushes) and the search indexer has edits to apply."""

    def __init__(self, server, email="editor@example.org"):
        self.server = server
        self.browser = sign_in(server, email)
        self.posts = []
        self.saves = 0

    def write(self, rng):
        """Creates a post or edits one and publishes it; returns the post's desk path."""
        words = ["sanctions", "energy", "grid", "supply", "chain", "tariffs", "alliance", "budget"]
        title = f"{rng.choice(words).title()} {rng.choice(words)} {rng.randrange(10 ** 6)}"
        body = " ".join(rng.choice(words) for _ in range(80)) + f"\n\nSupply chain {rng.randrange(1000)}."
        if not self.posts or rng.random() < 0.3:
            status, _, page, _ = self.browser.request("GET", "/admin/posts/new")
            assert status == 200, status
            csrf, count = form_of(page)
            fields = dict(POST_FIELDS, title=title, body=body, csrf=csrf, edit_count=count, **{"do": "publish"})
            status, headers, page, _ = self.browser.request("POST", "/admin/posts", fields)
            assert status == 303, (status, page[:500])
            self.posts.append(headers["Location"].split("?")[0])
        else:
            path = rng.choice(self.posts)
            status, _, page, _ = self.browser.request("GET", path)
            assert status == 200, status
            csrf, count = form_of(page)
            slug = re.search(r'name="slug" type="text" value="([^"]*)"', page).group(1)
            fields = dict(POST_FIELDS, title=title, body=body, slug=slug, csrf=csrf, edit_count=count,
                          **{"do": "publish" if rng.random() < 0.5 else "save"})
            status, _, page, _ = self.browser.request("POST", path, fields)
            assert status == 303, (status, page[:500])
        self.saves += 1


def run_editor(editor, seconds=SECONDS, pause=0.2):
    """Runs `editor.write` in a thread for `seconds`; returns (thread, errors list)."""
    errors = []

    def loop():
        rng = random.Random(7)
        deadline = time.time() + seconds
        try:
            while time.time() < deadline:
                editor.write(rng)
                time.sleep(pause)
        except Exception as error:  # noqa: BLE001
            errors.append(repr(error))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, errors


def quote(text):
    return urllib.parse.quote_plus(text)
