"""Helpers for integration tests: temporary sites and the real broadsheet binary on a free port.

The binary comes from $BROADSHEET_BIN (CTest sets it); sites live in temporary folders that are
removed afterwards.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time

BIN = os.environ.get("BROADSHEET_BIN", os.path.join(os.path.dirname(__file__), "../../build/broadsheet"))
SOURCE = os.environ.get("BROADSHEET_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))


# Set (by CTest's integration_pg.* tests) to a PostgreSQL cluster's maintenance database: each
# Server then keeps its site's data in a new database of that cluster instead of broadsheet.db.
STORE_POSTGRES = os.environ.get("BROADSHEET_TEST_STORE_POSTGRES", "")


def new_postgres_database():
    """A new, empty database in the STORE_POSTGRES cluster; its URL."""
    name = "it_%d_%d" % (os.getpid(), next(_databases))
    done = subprocess.run(["psql", STORE_POSTGRES, "-Atqc", "CREATE DATABASE " + name],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return STORE_POSTGRES.replace("/postgres", "/" + name, 1)


_databases = iter(range(1, 1 << 30))


class Database:
    """A site's database as tests read and write it behind the server's back: its SQLite file, or
    its PostgreSQL database (psycopg2). sqlite3's interface where tests use it: execute and
    executemany with `?` parameters, the cursor's fetchone and fetchall, and `with` committing
    (or rolling back) and closing."""

    def __init__(self, site=None, url=None, timeout=10):
        self.url = url
        if url:
            import psycopg2
            self.connection = psycopg2.connect(url, connect_timeout=timeout)
        else:
            import sqlite3
            self.connection = sqlite3.connect(os.path.join(site, "broadsheet.db"), timeout=timeout)

    @staticmethod
    def _postgres(sql):
        # psycopg2 takes %s for a parameter, and %% for a percent sign once there are any.
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql, params=()):
        if not self.url:
            return self.connection.execute(sql, params)
        cursor = self.connection.cursor()
        if params:
            cursor.execute(self._postgres(sql), tuple(params))
        else:
            cursor.execute(sql)
        return cursor

    def executemany(self, sql, rows):
        if not self.url:
            return self.connection.executemany(sql, rows)
        cursor = self.connection.cursor()
        cursor.executemany(self._postgres(sql), [tuple(row) for row in rows])
        return cursor

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.connection.commit()
        else:
            self.connection.rollback()
        self.close()
        return False


class WriteHold:
    """Every write to a site's database held back from another connection, as another process
    would hold it (SQLite: the file's write lock; PostgreSQL: every table locked in SHARE mode,
    which lets reads through), until release()."""

    def __init__(self, site, url, timeout):
        if url:
            self.db = Database(url=url, timeout=timeout)
            tables = [row[0] for row in self.db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
            self.db.execute("LOCK TABLE " + ", ".join(tables) + " IN SHARE MODE")
        else:
            import sqlite3
            self.db = sqlite3.connect(os.path.join(site, "broadsheet.db"), timeout=timeout,
                                      isolation_level=None)
            self.db.execute("BEGIN IMMEDIATE")

    def release(self):
        if self.db is None:
            return
        if isinstance(self.db, Database):
            self.db.connection.rollback()
        else:
            self.db.execute("ROLLBACK")
        self.db.close()
        self.db = None


def run(*args, cwd=None, env=None, timeout=60):
    """Runs the binary with arguments; returns the CompletedProcess (text mode)."""
    return subprocess.run([BIN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def write_tree(root, files):
    """Writes {relative path: text} under root."""
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(text, bytes) else "w"
        with open(path, mode) as out:
            out.write(text if isinstance(text, bytes) else textwrap.dedent(text).lstrip("\n"))


# A small content folder with the reference page's elements.
CONTENT = {
    "publication.yaml": """
        title: The Test Review
        description: Analysis for tests.
        timezone: America/New_York
        """,
    "sections.yaml": """
        - slug: security
          name: Security and Foreign Policy
          opinion: true
        - slug: economy
          name: Economy
        """,
    "authors/jane-doe.md": """
        ---
        name: Jane Doe
        title: Director for Partnerships and North Korea Analyst
        ---
        Jane has written about the Korean peninsula for a decade.
        """,
    "images/photo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="90"><rect width="160" height="90" fill="#345"/></svg>',
    "posts/deterrence.md": """
        ---
        title: Why Deterrence Still Works
        dek: Jane Doe argues that the old logic of deterrence holds on the peninsula.
        section: security
        authors: [jane-doe]
        tags: [Korea, Nuclear Weapons]
        date: 2024-03-01T09:30:00Z
        image: images/photo.svg
        image_alt: Soldiers at a border post
        image_caption: A patrol near the demilitarized zone.
        image_credit: AP Photo/Test Photographer
        ---
        The first paragraph of analysis, long enough to matter. """ + "Deterrence is about belief. " * 60 + """

        > A quotation from a diplomat.

        A claim with a source.[^1]

        [^1]: The source.
        """,
    "posts/about.md": """
        ---
        title: About
        kind: page
        ---
        Who we are.
        """,
}


def form_token(page, action=None):
    """The CSRF token of a form in a desk page. Tokens are bound to the path a form posts to, so
    a test names the form by its action (a regular expression); without one, the first form of
    the page's main content (after the sign-out form in the header)."""
    import html as html_module
    if action is not None:
        found = re.search(r'<form\b[^>]*\baction="(?:' + action + r')"[^>]*>.*?name="csrf" value="([^"]+)"', page, re.S)
    else:
        main = page.split('<main', 1)[-1]
        found = re.search(r'name="csrf" value="([^"]+)"', main)
    assert found, "no form for %r in the page" % (action,)
    return html_module.unescape(found.group(1))


class Server:
    """A running `broadsheet serve` on a temporary site."""

    def __init__(self, content=CONTENT, env=None, demo=False):
        self.dir = tempfile.mkdtemp(prefix="broadsheet-it-")
        self.site = os.path.join(self.dir, "site")
        # Every test client is 127.0.0.1: the per-client flood limits are off unless a test sets
        # them (test_floods does).
        self.env = dict(os.environ, BROADSHEET_COMMENTS_PER_MINUTE="0", BROADSHEET_COMMENTS_PER_HOUR="0",
                        BROADSHEET_SEARCHES_PER_MINUTE="0", BROADSHEET_DRAIN_S="0")
        self.env.update(env or {})
        args = ["init", self.site] + (["--demo"] if demo else [])
        self.database_url = new_postgres_database() if STORE_POSTGRES else None
        if self.database_url:
            args += ["--database-url", self.database_url]
        done = run(*args)
        assert done.returncode == 0, done.stderr
        if content is not None:
            self.content = os.path.join(self.dir, "content")
            write_tree(self.content, content)
            done = run("import", "markdown", self.content, "--site", self.site)
            assert done.returncode == 0, done.stdout + done.stderr
        self.process = None
        self.port = None

    def node(self):
        """Another node of the same site, not started: a copy of this one's folder (its
        configuration, so the same PostgreSQL database), as a second machine would have. Take it
        before this server starts."""
        other = Server.__new__(Server)
        other.dir = tempfile.mkdtemp(prefix="broadsheet-it-")
        other.site = os.path.join(other.dir, "site")
        shutil.copytree(self.site, other.site)
        other.env = dict(self.env)
        other.database_url = self.database_url
        other.process = None
        other.port = None
        return other

    def start(self, *extra):
        self.process = subprocess.Popen(
            [BIN, "serve", "--site", self.site, "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        deadline = time.time() + 10
        self.log = []
        while time.time() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            found = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
            if found:
                self.port = int(found.group(1))
                # Keep draining stderr so that the server never blocks on a full pipe.
                self.drainer = threading.Thread(target=self._drain, daemon=True)
                self.drainer.start()
                return self
        raise AssertionError("server did not start: " + "".join(self.log))

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def request(self, method, path, headers=None, body=None, timeout=10):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        result = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        connection.close()
        return result

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def settle(self):
        """Waits until a write by another process (a CLI command) reaches the server's caches:
        at once on SQLite (a shared counter file), within a second on PostgreSQL (the server
        reads the database's content version every second)."""
        if self.database_url:
            time.sleep(1.5)

    def database(self, timeout=10):
        """The site's database, whichever it is (Database)."""
        return Database(site=self.site, url=self.database_url, timeout=timeout)

    def hold_writes(self, timeout=10):
        """Holds back every write to the site's database until release() (WriteHold)."""
        return WriteHold(self.site, self.database_url, timeout)

    def set_desk_setting(self, key, value):
        """Writes a desk setting straight into the site's database, as the Settings page would."""
        with self.database() as db:
            db.execute("INSERT INTO secrets(name, value) VALUES (?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value", ("desk:" + key, value))

    def raw(self, data, timeout=5):
        """Sends raw bytes on a new connection; returns everything the server sends back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except socket.timeout:
                pass
            return b"".join(chunks)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def close(self):
        self.stop()
        if self.process:
            self.process.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
