#!/usr/bin/env python3
"""Lighthouse on the demo publication's article page (or the desk's editor), with Debian's chromium.

  bench/lighthouse.py [--runs R] [--path /SLUG/] [--desk]

Installs Lighthouse (bench/lighthouse/package.json, pinned) with npm when missing, serves the
demo publication on a free port and runs Lighthouse R times (default 3) with its defaults
(mobile, simulated throttling), headless with the sandbox and network features off as the
machine needs. Reports the median score of each category against the targets (Performance
>= 95; Accessibility, Best Practices and SEO 100) and the audits that cost points. Writes
bench/out/lighthouse.md.

--desk measures the editor of one of the demo's articles instead (/admin/posts/ID, signed in as
an editor: the session cookie is sent with every request), against the desk's targets
(Performance >= 90, Accessibility 100), and the editor's JavaScript, compressed as served
(target <= 250 KB). Writes bench/out/lighthouse-desk.md.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

ROOT = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(ROOT, "..", "build", "broadsheet")
TOOL = os.path.join(ROOT, "lighthouse")
sys.path.insert(0, ROOT)
from run import free_port, wait_for  # noqa: E402

TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
DESK_TARGETS = {"performance": 90, "accessibility": 100}
DESK_EMAIL, DESK_PASSWORD = "lighthouse@example.org", "correct horse battery staple"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
                "--disable-component-update --disable-sync")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--path", default="/deterrence-on-the-peninsula/")
    parser.add_argument("--desk", action="store_true", help="the editor page, signed in")
    args = parser.parse_args()
    targets = DESK_TARGETS if args.desk else TARGETS
    lighthouse = os.path.join(TOOL, "node_modules", ".bin", "lighthouse")
    if not os.path.exists(lighthouse):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=TOOL, check=True)
    work = tempfile.mkdtemp(prefix="broadsheet-lighthouse-")
    site = os.path.join(work, "site")
    subprocess.run([BIN, "init", site, "--demo"], check=True, capture_output=True)
    if args.desk:
        subprocess.run([BIN, "user", "add", "--email", DESK_EMAIL, "--name", "Lighthouse", "--role", "editor",
                        "--password-stdin", "--site", site], input=DESK_PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Links and the canonical address should name the address Lighthouse visits.
    env = dict(os.environ, BROADSHEET_BASE_URL=base)
    server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(port)
        extra = []
        if args.desk:
            cookie, args.path, editor_bytes = desk_session(base)
            extra = [f"--extra-headers={json.dumps({'Cookie': cookie})}"]
        scores = {name: [] for name in targets}
        lost = {}
        for run in range(args.runs):
            report = os.path.join(work, f"report-{run}.json")
            done = subprocess.run(
                [lighthouse, base + args.path, "--output=json", f"--output-path={report}", "--quiet",
                 f"--chrome-flags={CHROME_FLAGS}", *extra],
                env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"), capture_output=True, text=True,
                timeout=300)
            if done.returncode != 0:
                sys.exit("lighthouse failed: " + done.stderr[-3000:])
            with open(report) as f:
                result = json.load(f)
            for name in targets:
                category = result["categories"][name]
                scores[name].append(round(category["score"] * 100))
                for ref in category["auditRefs"]:
                    audit = result["audits"][ref["id"]]
                    if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 1:
                        lost.setdefault(name, set()).add(f'{ref["id"]} ({audit.get("displayValue", audit["score"])})')
        metrics = result["audits"]
    finally:
        server.terminate()
        server.wait()
    lines = [f"# Lighthouse {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             f"Lighthouse {result['lighthouseVersion']}, {result['environment']['hostUserAgent'].split(' ')[-2]}; "
             f"{args.path} of the demo publication{' (the editor, signed in)' if args.desk else ''}; {args.runs} runs, "
             "medians; mobile with simulated throttling.", "",
             "| category | score | target | |", "|---|---|---|---|"]
    for name, target in targets.items():
        median = statistics.median(scores[name])
        lines.append(f"| {name} | {median:.0f} (runs {', '.join(map(str, scores[name]))}) | {target} | "
                     f"{'met' if median >= target else 'MISSED'} |")
    lines.append("")
    for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
                "speed-index"):
        lines.append(f"- {metrics[key]['title']}: {metrics[key]['displayValue']}")
    for name, audits in lost.items():
        lines.append(f"- {name} lost points on: {', '.join(sorted(audits))}")
    if args.desk:
        kb = editor_bytes / 1000
        lines.append(f"- the editor's JavaScript as served (gzip): {kb:.0f} KB (target <= 250 KB: "
                     f"{'met' if kb <= 250 else 'MISSED'})")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "lighthouse-desk.md" if args.desk else "lighthouse.md"), "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)


def desk_session(base):
    """Signs the bench's editor in; returns its Cookie header, the first article's editor path and the
    editor script's compressed size as the server sends it."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/admin/login").read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf": token, "next": "", "email": DESK_EMAIL, "password": DESK_PASSWORD})
    opener.open(base + "/admin/login", data=form.encode()).read()
    posts = opener.open(base + "/admin/posts").read().decode()
    path = re.search(r'href="(/admin/posts/\d+)"', posts).group(1)
    editor = opener.open(base + path).read().decode()
    script = re.search(r'<script src="(/assets/editor\.js[^"]*)"', editor).group(1)
    request = urllib.request.Request(base + script.replace("&amp;", "&"), headers={"Accept-Encoding": "gzip"})
    compressed = len(opener.open(request).read())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, path, compressed


if __name__ == "__main__":
    main()
