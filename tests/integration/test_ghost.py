"""`broadsheet import ghost`: a Ghost export (JSON) imported through the real binary and served;
Ghost's /SLUG/ addresses kept; images copied with --images; re-runs update; broken files change
nothing."""

import json
import os
import tempfile
import unittest

import harness


def ghost_export(posts=3):
    data = {
        "posts": [], "posts_tags": [], "posts_authors": [], "posts_meta": [],
        "tags": [{"id": "t1", "name": "Security and Foreign Policy", "slug": "security"},
                 {"id": "t2", "name": "Korea", "slug": "korea"}],
        "users": [{"id": "u1", "name": "Jane Doe", "slug": "jane-doe", "email": "jane@example.org",
                   "bio": "Director for Partnerships.", "profile_image": "__GHOST_URL__/content/images/jane.png"}],
        "settings": [{"key": "title", "value": "Old Ghost Site"}],
    }
    for n in range(1, posts + 1):
        data["posts"].append({
            "id": f"p{n}", "title": f"Ghost piece {n}", "slug": f"ghost-piece-{n}", "type": "post",
            "status": "published", "visibility": "public",
            "html": f"<p>Body of piece {n}.</p><figure><img src=\"__GHOST_URL__/content/images/2023/01/in-{n}.jpg\"></figure>",
            "feature_image": f"__GHOST_URL__/content/images/2023/01/cover-{n}.jpg",
            "published_at": f"2023-01-{n:02d}T10:00:00.000Z", "created_at": f"2023-01-{n:02d}T09:00:00.000Z",
            "custom_excerpt": f"Dek {n}."})
        data["posts_tags"] += [{"post_id": f"p{n}", "tag_id": "t1", "sort_order": 0},
                               {"post_id": f"p{n}", "tag_id": "t2", "sort_order": 1}]
        data["posts_authors"].append({"post_id": f"p{n}", "author_id": "u1", "sort_order": 0})
        data["posts_meta"].append({"post_id": f"p{n}", "feature_image_caption": f"Caption {n}"})
    return {"db": [{"meta": {"exported_on": 1700000000000, "version": "5.70.0"}, "data": data}]}


class GhostImport(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(content=None)
        self.dir = tempfile.mkdtemp(prefix="ghost-", dir=self.server.dir)
        self.export = os.path.join(self.dir, "ghost.json")
        with open(self.export, "w") as out:
            json.dump(ghost_export(), out, indent=1)
        self.images = os.path.join(self.dir, "images")
        for name in ["2023/01/cover-1.jpg", "2023/01/in-1.jpg", "jane.png"]:
            path = os.path.join(self.images, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(b"image bytes")

    def tearDown(self):
        self.server.close()

    def test_import_serve_and_run_again(self):
        done = harness.run("import", "ghost", self.export, "--images", self.images, "--site", self.server.site)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("articles:  3 new", done.stdout)
        self.assertIn("sections:  1 new", done.stdout)
        self.assertIn("images:    3 copied into uploads/ghost/", done.stdout)
        self.server.start()
        status, _, body = self.server.get("/ghost-piece-1/")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertIn("Caption 1", page)
        self.assertIn("/uploads/ghost/2023/01/cover-1.jpg", page)
        self.assertIn("/uploads/ghost/2023/01/in-1.jpg", page)
        self.assertIn("Security and Foreign Policy", page)
        self.assertEqual(self.server.get("/uploads/ghost/2023/01/cover-1.jpg")[0], 200)
        status, headers, _ = self.server.get("/content/images/2023/01/cover-1.jpg")
        self.assertEqual((status, headers.get("location")), (301, "/uploads/ghost/2023/01/cover-1.jpg"))
        status, headers, _ = self.server.get("/tag/security/")
        self.assertEqual((status, headers.get("location")), (301, "/section/security/"))
        self.assertEqual(self.server.get("/tag/korea/")[0], 200)

        again = harness.run("import", "ghost", self.export, "--site", self.server.site)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("articles:  0 new, 3 already here", again.stdout)
        with self.server.database() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM posts").fetchone()[0], 3)

    def test_broken_exports_change_nothing(self):
        with open(self.export) as source:
            text = source.read()
        broken = os.path.join(self.dir, "broken.json")
        with open(broken, "w") as out:
            out.write(text[:len(text) * 2 // 3])
        done = harness.run("import", "ghost", broken, "--images", self.images, "--site", self.server.site)
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"line \d+")
        self.assertIn("nothing was imported", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.server.site, "uploads", "ghost", "2023")))
        with self.server.database() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM posts").fetchone()[0], 0)
        done = harness.run("import", "ghost", os.path.join(self.dir, "missing.json"), "--site", self.server.site)
        self.assertEqual(done.returncode, 2)  # the usage error names the missing file


if __name__ == "__main__":
    unittest.main()
