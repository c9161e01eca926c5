"""The W3C Nu HTML checker (npm vnu-jar, run with Java) finds no errors on the public pages of
the demo publication: home, articles, lists, search (with results, none and a malformed query),
archives and the error page."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

VNU = os.path.join(harness.SOURCE, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
PAGES = ["/", "/page/2/", "/deterrence-on-the-peninsula/", "/shipping-data-report/", "/about/",
         "/section/security/", "/author/daniel-reyes/", "/tag/shipping/", "/comments/privacy", "/newsletter",
         "/search", "/search?q=deterrence", "/search?q=deterrence&section=security&sort=newest&page=9",
         "/search?q=%22broken", "/2026/", "/2026/11/", "/no-such-page/"]


class HtmlValidity(unittest.TestCase):
    def test_public_pages_have_no_html_errors(self):
        self.assertTrue(os.path.exists(VNU), "vnu.jar is missing: run `make test`, which runs npm ci")
        self.assertIsNotNone(shutil.which("java"), "java is missing: `make test` installs default-jre-headless")
        server = harness.Server(content=None, demo=True).start()
        folder = tempfile.mkdtemp(prefix="broadsheet-vnu-")
        try:
            files = []
            for path in PAGES:
                status, _, body = server.get(path)
                self.assertEqual(status, 404 if path == "/no-such-page/" else 200, path)
                name = os.path.join(folder, f"{len(files):02}-" + (re.sub(r"[^a-z0-9]+", "_", path.strip("/")) or "home") + ".html")
                with open(name, "wb") as out:
                    out.write(body)
                files.append(name)
            checked = subprocess.run(["java", "-jar", VNU, "--errors-only", "--format", "json", *files],
                                     capture_output=True, text=True, timeout=300)
            messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
            report = "\n".join(f'{m.get("url", "")}:{m.get("lastLine", "")}: {m["message"]}' for m in messages)
            self.assertEqual(messages, [], report)
        finally:
            server.close()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
