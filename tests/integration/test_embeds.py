"""Embeds (docs/html-policy.md, "Embeds"): a provider's address alone on a line of a body saved
in the desk becomes a facade, a sandboxed chart or a post card on the public page (in the desk's
preview, which runs nothing, facades and charts are boxes saying what they are); the
Content-Security-Policy frames exactly the enabled providers' players and charts;
broadsheet.toml's `embeds` (BROADSHEET_EMBEDS) turns them off."""

import html
import re
import unittest

import harness
from test_desk import PASSWORD, add_user
import test_editor
from test_html_filter import body_of

LINES = {
    "youtube": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "vimeo": "https://vimeo.com/76979871",
    "soundcloud": "https://soundcloud.com/some-artist/a-track",
    "datawrapper": "https://datawrapper.dwcdn.net/dxRQ7/3/",
    "flourish": "https://public.flourish.studio/visualisation/1234567/",
    "x": "https://x.com/jack/status/20",
    "bluesky": "https://bsky.app/profile/someone.bsky.social/post/3kq2abcdefg2x",
    "mastodon": "https://mastodon.social/@Gargron/109371990123456789",
}
HOSTILE = [
    "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ",
    '<https://www.youtube.com/watch?v=dQw4w9WgXc">',
    "[https://youtu.be/x](javascript:alert(1))",
    '<figure data-embed-url="https://evil.example/"><a data-embed-src="https://evil.example/" href="https://evil.example/">forged</a></figure>',
]
BODY = "Opening paragraph.\n\n" + "\n\n".join(LINES.values()) + "\n\n" + "\n\n".join(HOSTILE) + "\n"
FRAMES = ["https://www.youtube-nocookie.com", "https://player.vimeo.com", "https://w.soundcloud.com",
          "https://datawrapper.dwcdn.net", "https://flo.uri.sh"]


def frame_src(policy):
    found = re.search(r"frame-src ([^;]*)", policy)
    return found.group(1).split() if found else []


class Embeds(unittest.TestCase):
    signed_in = test_editor.Workflow.signed_in
    create = test_editor.Workflow.create
    act = test_editor.Workflow.act

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(env={"BROADSHEET_EMBED_HOSTS": "maps.example.org"})
        done = add_user(cls.server, "writer@example.org", "contributor", PASSWORD, "Writer Person")
        assert done.returncode == 0, done.stderr
        done = add_user(cls.server, "editor@example.org", "editor", PASSWORD, "Editor Person")
        assert done.returncode == 0, done.stderr
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def assertEmbeds(self, body):
        for provider, url in LINES.items():
            self.assertIn(f'class="embed embed-{provider} '.encode(), body, provider)
        # Facades: a link to the original, the player only on a click.
        self.assertIn(b'<a class="embed-play" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" '
                      b'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"', body)
        self.assertIn(b'data-embed-src="https://player.vimeo.com/video/76979871?dnt=1&amp;autoplay=1"', body)
        self.assertIn(b"Listen on SoundCloud", body)
        # Charts: sandboxed, lazy frames with a title.
        self.assertIn(b'<iframe src="https://datawrapper.dwcdn.net/dxRQ7/3/" title="Chart from Datawrapper" '
                      b'sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"', body)
        self.assertIn(b'<iframe src="https://flo.uri.sh/visualisation/1234567/embed"', body)
        self.assertEqual(body.count(b"<iframe"), 2)
        # Cards load nothing of the provider's.
        self.assertIn(b"View this post on Bluesky", body)
        self.assertIn(b'href="https://x.com/jack/status/20"', body)
        self.assertIn(b"@Gargron@mastodon.social", body)
        # Lookalikes stay links, hostile addresses stay harmless, forgeries keep nothing.
        self.assertIn(b'<a href="https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ">', body)
        self.assertNotIn(b"javascript:", body)
        self.assertNotIn(b'data-embed-src="https://evil', body)
        self.assertEqual(body.count(b"embed-youtube"), 1)  # the quoted address is a link
        self.assertIn(b'<figure><a href="https://evil.example/">forged</a></figure>', body)
        self.assertIn(b"Opening paragraph.", body)

    def assertStandIns(self, body):
        """The preview: facades and charts as boxes naming what they are; cards as on the page."""
        for provider in ("youtube", "vimeo", "soundcloud", "datawrapper", "flourish"):
            self.assertIn(f'class="embed embed-{provider} embed-stand-in'.encode(), body, provider)
        for provider in ("x", "bluesky", "mastodon"):
            self.assertIn(f'class="embed embed-{provider} embed-card"'.encode(), body, provider)
        self.assertIn(b'<span class="embed-provider">Vimeo</span> <span class="embed-title">Vimeo video</span> '
                      b'<a class="embed-address" href="https://vimeo.com/76979871">vimeo.com/76979871</a>', body)
        self.assertIn(b'<span class="embed-title">Chart from Flourish</span>', body)
        self.assertNotIn(b"<iframe", body)
        self.assertNotIn(b"data-embed-src", body)
        self.assertIn(b'<a href="https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ">', body)
        self.assertIn(b'<figure><a href="https://evil.example/">forged</a></figure>', body)
        self.assertNotIn(b"javascript:", body)

    def test_a_contributors_lines_become_embeds_on_the_page_and_in_the_preview(self):
        writer = self.signed_in("writer@example.org")
        status, headers, _, _ = self.create(writer, title="Embeds Everywhere", body=BODY)
        self.assertEqual(status, 303)
        post = headers["Location"].split("?")[0]
        # The live preview shows the same.
        status, _, page, _ = writer.request("GET", post)
        token = html.unescape(re.search(r'data-token="([^"]+)"', page).group(1))
        status, headers, fragment, _ = writer.request("POST", "/admin/preview", {"csrf": token, "body": BODY})
        self.assertEqual(status, 200)
        self.assertStandIns(body_of(fragment.encode()))
        self.assertEqual(frame_src(headers["content-security-policy"]), FRAMES + ["https://maps.example.org"])
        self.assertRegex(fragment, r'<script src="/assets/embeds\.js\?v=[^"]+" defer></script>')
        # An editor publishes it; readers get the embeds and the script that plays them.
        editor = self.signed_in("editor@example.org")
        self.assertEqual(self.act(editor, post, "publish", body=BODY)[0], 303)
        status, headers, page = self.server.get("/embeds-everywhere/")
        self.assertEqual(status, 200)
        self.assertEmbeds(body_of(page))
        self.assertRegex(page, rb'<script src="/assets/embeds\.js\?v=[^"]+" defer></script>')
        policy = headers["content-security-policy"]
        self.assertEqual(frame_src(policy), ["'self'"] + FRAMES + ["https://maps.example.org"])
        self.assertIn("script-src 'self'", policy)
        # The desk's pages (and so the preview beside the text, which inherits their policy)
        # frame the same hosts.
        status, headers, _, _ = editor.request("GET", post)
        self.assertEqual(frame_src(headers["content-security-policy"]), ["'self'"] + FRAMES + ["https://maps.example.org"])

    def test_a_page_without_embeds_loads_no_embed_script(self):
        editor = self.signed_in("editor@example.org")
        status, headers, _, _ = self.create(editor, title="Plain Words", body="Only words, and https://example.org.\n")
        self.assertEqual(self.act(editor, headers["Location"].split("?")[0], "publish")[0], 303)
        status, _, page = self.server.get("/plain-words/")
        self.assertEqual(status, 200)
        self.assertNotIn(b"embeds.js", page)


class EmbedsTurnedOff(unittest.TestCase):
    signed_in = test_editor.Workflow.signed_in
    create = test_editor.Workflow.create
    act = test_editor.Workflow.act

    def test_an_empty_list_leaves_links_and_frames_nothing(self):
        server = harness.Server(env={"BROADSHEET_EMBEDS": ""})
        self.server = server
        self.addCleanup(server.close)
        done = add_user(server, "editor@example.org", "editor", PASSWORD, "Editor Person")
        assert done.returncode == 0, done.stderr
        server.start()
        editor = self.signed_in("editor@example.org")
        status, headers, _, _ = self.create(editor, title="No Embeds Here", body=BODY)
        self.assertEqual(status, 303)
        self.assertEqual(self.act(editor, headers["Location"].split("?")[0], "publish", body=BODY)[0], 303)
        status, headers, page = server.get("/no-embeds-here/")
        self.assertEqual(status, 200)
        body = body_of(page)
        self.assertNotIn(b'<figure class="embed', body)
        self.assertNotIn(b"data-embed", body)
        self.assertNotIn(b"<iframe", body)
        self.assertIn(b'<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">', body)
        self.assertEqual(frame_src(headers["content-security-policy"]), [])


if __name__ == "__main__":
    unittest.main()
