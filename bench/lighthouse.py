#!/usr/bin/env python3
"""Lighthouse on the demo publication's article page, with Debian's chromium.

  bench/lighthouse.py [--runs R] [--path /SLUG/]

Installs Lighthouse (bench/lighthouse/package.json, pinned) with npm when missing, serves the
demo publication on a free port and runs Lighthouse R times (default 3) with its defaults
(mobile, simulated throttling), headless with the sandbox and network features off as the
machine needs. Reports the median score of each category against the targets (Performance
>= 95; Accessibility, Best Practices and SEO 100) and the audits that cost points. Writes
bench/out/lighthouse.md.
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

ROOT = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(ROOT, "..", "build", "broadsheet")
TOOL = os.path.join(ROOT, "lighthouse")
sys.path.insert(0, ROOT)
from run import free_port, wait_for  # noqa: E402

TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
                "--disable-component-update --disable-sync")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--path", default="/deterrence-on-the-peninsula/")
    args = parser.parse_args()
    lighthouse = os.path.join(TOOL, "node_modules", ".bin", "lighthouse")
    if not os.path.exists(lighthouse):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=TOOL, check=True)
    work = tempfile.mkdtemp(prefix="broadsheet-lighthouse-")
    site = os.path.join(work, "site")
    subprocess.run([BIN, "init", site, "--demo"], check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Links and the canonical address should name the address Lighthouse visits.
    env = dict(os.environ, BROADSHEET_BASE_URL=base)
    server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(port)
        scores = {name: [] for name in TARGETS}
        lost = {}
        for run in range(args.runs):
            report = os.path.join(work, f"report-{run}.json")
            done = subprocess.run(
                [lighthouse, base + args.path, "--output=json", f"--output-path={report}", "--quiet",
                 f"--chrome-flags={CHROME_FLAGS}"],
                env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"), capture_output=True, text=True,
                timeout=300)
            if done.returncode != 0:
                sys.exit("lighthouse failed: " + done.stderr[-3000:])
            with open(report) as f:
                result = json.load(f)
            for name in TARGETS:
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
             f"{args.path} of the demo publication; {args.runs} runs, medians; mobile with simulated throttling.", "",
             "| category | score | target | |", "|---|---|---|---|"]
    for name, target in TARGETS.items():
        median = statistics.median(scores[name])
        lines.append(f"| {name} | {median:.0f} (runs {', '.join(map(str, scores[name]))}) | {target} | "
                     f"{'met' if median >= target else 'MISSED'} |")
    lines.append("")
    for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
                "speed-index"):
        lines.append(f"- {metrics[key]['title']}: {metrics[key]['displayValue']}")
    for name, audits in lost.items():
        lines.append(f"- {name} lost points on: {', '.join(sorted(audits))}")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "lighthouse.md"), "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
