"""`broadsheet migrate-store` and backups of a PostgreSQL site (issue 14, item 5): a SQLite site
with every kind of record copied into PostgreSQL and back gives the same `export json` bytes on
each side; the copy serves and takes new rows; a non-empty target is refused and a failed copy
leaves the target empty; a PostgreSQL site's `broadsheet backup` and pg_dump both restore.

Run by CTest as integration_pg.test_migrate_store, against the cluster `make test` starts."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import harness
from test_comments import ARTICLE, comment

THEME_DATA = os.path.join(harness.SOURCE, "..", "shared", "fixtures", "wordpress",
                          "themeunittestdata.wordpress.xml")


class MigrateStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.STORE_POSTGRES:
            raise unittest.SkipTest("needs a PostgreSQL cluster: CTest runs this module as "
                                    "integration_pg.test_migrate_store, after starting one")
        # The source: a SQLite site, whatever cluster the other modules use.
        saved, harness.STORE_POSTGRES = harness.STORE_POSTGRES, ""
        try:
            cls.server = harness.Server()
        finally:
            harness.STORE_POSTGRES = saved
        cls.site = cls.server.site
        if os.path.exists(THEME_DATA):  # threaded comments, pages, attachments, many tags
            cls.cli("import", "wordpress", THEME_DATA)
        cls.cli("user", "add", "--email", "ed@example.org", "--name", "Ed", "--role", "editor")
        cls.server.start()
        cls.server.set_desk_setting("comments_min_form_seconds", "0")
        status, _, _ = comment(cls.server, {"body": "A reader's comment, stored before the move."})
        assert status in (302, 303), status
        cls.server.stop()
        cls.exported = cls.export()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    @staticmethod
    def environment(database):
        """The environment of a command on `database` (None: the site's own SQLite file)."""
        env = dict(os.environ)
        env.pop("BROADSHEET_DATABASE_URL", None)
        if database:
            env["BROADSHEET_DATABASE_URL"] = database
        return env

    @classmethod
    def cli(cls, *args, database=None, site=None):
        done = harness.run(*args, "--site", site or cls.site, env=cls.environment(database), timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    @classmethod
    def export(cls, database=None, site=None):
        done = cls.cli("export", "json", "-", database=database, site=site)
        return done.stdout

    def migrate(self, *args, database=None):
        return harness.run("migrate-store", *args, "--site", self.site, env=self.environment(database),
                           timeout=300)

    def migrated_copy(self):
        """A new PostgreSQL database holding a copy of the site; its URL."""
        url = harness.new_postgres_database()
        done = self.migrate("--to", url)
        self.assertEqual(done.returncode, 0, done.stderr)
        return url

    def scratch_folder(self, prefix):
        folder = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    def psql(self, url, sql):
        done = subprocess.run(["psql", url, "-Atqc", sql], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()

    def sqlite_site(self, database_file):
        """A site folder serving `database_file` as its own broadsheet.db."""
        folder = self.scratch_folder("broadsheet-migrated-")
        shutil.copy(os.path.join(self.site, "broadsheet.toml"), folder)
        shutil.copy(database_file, os.path.join(folder, "broadsheet.db"))
        return folder

    def test_there_and_back_gives_the_same_export(self):
        url = harness.new_postgres_database()
        done = self.migrate("--to", url)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("comments", done.stdout)
        self.assertIn("database_url", done.stdout)
        self.assertEqual(self.export(database=url), self.exported)
        self.assertEqual(self.psql(url, "SELECT count(*) FROM users"), "1")

        # A second copy into the now full database is refused and changes nothing.
        again = self.migrate("--to", url)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not empty", again.stderr)
        self.assertEqual(self.export(database=url), self.exported)

        back = os.path.join(self.scratch_folder("broadsheet-back-"), "back.db")
        done = self.migrate("--to", "sqlite:" + back, database=url)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("broadsheet.db", done.stdout)
        self.assertEqual(self.export(site=self.sqlite_site(back)), self.exported)

    def test_the_copy_serves_and_takes_new_rows(self):
        url = self.migrated_copy()
        # Identity sequences moved past the copied ids: new posts and comments get new ones.
        content = self.scratch_folder("broadsheet-more-")
        harness.write_tree(content, {"posts/after-the-move.md": """
            ---
            title: Written after the move
            section: security
            authors: [jane-doe]
            date: 2026-03-02T09:00:00Z
            ---
            A new article, in the new database.
            """})
        done = self.cli("import", "markdown", content, database=url)
        self.assertIn("1 post(s)", done.stdout)
        self.server.env["BROADSHEET_DATABASE_URL"] = url
        try:
            self.server.start()
            self.assertEqual(self.server.get("/written-after-the-move/")[0], 200)
            status, _, _ = comment(self.server, {"body": "A comment made after the move."})
            self.assertIn(status, (302, 303))
            self.assertEqual(self.server.get(ARTICLE)[0], 200)
        finally:
            self.server.stop()
            del self.server.env["BROADSHEET_DATABASE_URL"]
        self.assertEqual(self.psql(url, "SELECT count(*) FROM comments WHERE body_markdown LIKE "
                                        "'A comment made after the move.%'"), "1")

    def test_a_postgres_sites_backup_restores(self):
        url = self.migrated_copy()
        folder = self.scratch_folder("broadsheet-backup-")
        backup = os.path.join(folder, "backup.db")
        done = self.cli("backup", backup, database=url)
        self.assertIn("migrate-store --from sqlite:", done.stdout)
        self.assertEqual(sorted(os.listdir(folder)), ["backup.db"])

        restored = harness.new_postgres_database()
        done = self.migrate("--from", "sqlite:" + backup, "--to", restored)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.export(database=restored), self.exported)
        self.assertEqual(sorted(os.listdir(folder)), ["backup.db"])  # nothing left beside it
        # An existing file is never overwritten.
        again = harness.run("backup", backup, "--site", self.site, env=self.environment(url))
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)

    def test_pg_dump_and_pg_restore_as_documented(self):
        url = self.migrated_copy()
        folder = self.scratch_folder("broadsheet-dump-")
        dump = os.path.join(folder, "site.dump")
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", dump, url],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        restored = harness.new_postgres_database()
        done = subprocess.run(["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
                               "--dbname", restored, dump], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.export(database=restored), self.exported)
        # Sequences came along: the restored site makes new rows.
        self.cli("user", "add", "--email", "new@example.org", "--name", "New", "--role", "author",
                 database=restored)

    def test_a_failed_copy_leaves_the_target_empty(self):
        # PostgreSQL holds only UTF-8; a SQLite file can hold any bytes.
        broken = os.path.join(self.scratch_folder("broadsheet-broken-"), "site")
        shutil.copytree(self.site, broken)
        with sqlite3.connect(os.path.join(broken, "broadsheet.db")) as db:
            db.execute("UPDATE posts SET title = CAST(X'4e6f20c3' AS TEXT) WHERE id = "
                       "(SELECT max(id) FROM posts)")
            bad = db.execute("SELECT max(id) FROM posts").fetchone()[0]
        url = harness.new_postgres_database()
        done = harness.run("migrate-store", "--to", url, "--site", broken, timeout=300)
        self.assertEqual(done.returncode, 1)
        self.assertIn("posts", done.stderr)
        self.assertIn("id %d" % bad, done.stderr)
        self.assertIn("UTF8", done.stderr)  # PostgreSQL's own reason
        for table in ("posts", "authors", "sections", "users", "comments"):
            self.assertEqual(self.psql(url, "SELECT count(*) FROM " + table), "0", table)

    def test_another_programs_database_is_left_as_it_was(self):
        url = harness.new_postgres_database()
        self.psql(url, "CREATE TABLE customers (id int PRIMARY KEY, name text)")
        done = self.migrate("--to", url)
        self.assertEqual(done.returncode, 1)
        self.assertIn("not Broadsheet's", done.stderr)
        self.assertEqual(self.psql(url, "SELECT string_agg(relname, ',') FROM pg_class WHERE "
                                        "relnamespace = 'public'::regnamespace AND relkind = 'r'"),
                         "customers")
        # An empty database is no site to copy from, and is not written to either.
        empty = harness.new_postgres_database()
        done = self.migrate("--from", empty, "--to", harness.new_postgres_database())
        self.assertEqual(done.returncode, 1)
        self.assertIn("no Broadsheet site", done.stderr)
        self.assertEqual(self.psql(empty, "SELECT count(*) FROM pg_class WHERE "
                                          "relnamespace = 'public'::regnamespace"), "0")

    def test_an_address_of_another_kind_is_refused(self):
        for target in ("/tmp/plain-path.db", "mysql://db/site"):
            done = self.migrate("--to", target)
            self.assertEqual(done.returncode, 1)
            self.assertIn("sqlite:PATH", done.stderr)
        done = self.migrate("--to", "postgresql://someone:hunter2@/nowhere?host=/nonexistent")
        self.assertEqual(done.returncode, 1)
        self.assertNotIn("hunter2", done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
