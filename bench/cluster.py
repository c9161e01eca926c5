#!/usr/bin/python3
"""Several nodes on one machine (issue 16's benchmarks), with the arrangement of tests/cluster:
PostgreSQL, three `broadsheet serve` (one thread each), haproxy with health checks, Varnish.

  bench/cluster.py [--edits N] [--runs R] [--duration S] [--recipients K]

1. Invalidation delay across nodes: N edits saved through node A's desk; for each, the time until
   nodes B and C serve the new title (polled every 5 ms). p50 and p99.
2. Purge delay: N edits saved through haproxy; the time until Varnish serves the new title.
3. Throughput through haproxy on the cached article with one node behind it and with three, and
   straight to one node as the reference: wrk -t2 -c64, R alternating runs, medians. This machine
   has two cores shared by everything: three nodes cannot beat one here; the numbers say what
   haproxy costs and that nothing breaks, not how a cluster scales.
4. A newsletter to K subscribers (an SMTP sink in this process) delivered by one node and by three:
   seconds until every message arrived, and whether each arrived exactly once.

Needs what tests/cluster needs (postgresql-15, haproxy, varnish, python3-aiosmtpd) and wrk.
Prints a Markdown table for docs/BENCHMARKS.md.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("BROADSHEET_BIN", os.path.join(ROOT, "..", "build", "broadsheet"))
os.environ.setdefault("BROADSHEET_SOURCE", os.path.join(ROOT, ".."))
sys.path.insert(0, os.path.join(ROOT, "..", "tests", "cluster"))

import cluster  # noqa: E402
from cluster import Front, eventually, title_of  # noqa: E402
from test_desk import PASSWORD, Browser  # noqa: E402
from test_editor import FIELDS, form_of  # noqa: E402

ARTICLE = "/why-deterrence-still-works/"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def save_title(browser, post_id, title):
    path = "/admin/posts/%d" % post_id
    status, _, page, _ = browser.request("GET", path)
    assert status == 200, status
    csrf, count = form_of(page)
    fields = dict(FIELDS, csrf=csrf, edit_count=count, title=title, slug="why-deterrence-still-works",
                  section="security", authors="jane-doe", tags="Korea, Nuclear Weapons", **{"do": "save"})
    status, _, page, _ = browser.request("POST", path, fields)
    assert status == 303, page[:300]
    return time.time()


def until(front, title, seconds=10):
    started = time.time()
    while time.time() - started < seconds:
        if title in title_of(front.get(ARTICLE)[2]):
            return time.time()
        time.sleep(0.005)
    return None


def wrk(port, duration):
    out = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % duration, "--latency",
                          "http://127.0.0.1:%d%s" % (port, ARTICLE)], capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rate, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--recipients", type=int, default=1000)
    args = parser.parse_args()
    if cluster.missing():
        sys.exit("missing: " + ", ".join(cluster.missing()))

    arrangement = cluster.Arrangement(env={"BROADSHEET_NEWSLETTER_RATE": "0"}).start()
    rows = []
    try:
        done = arrangement.cli("user", "add", "--email", "editor@example.org", "--name", "Eda Editor",
                               "--role", "editor", "--password-stdin", input=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        with arrangement.database() as db:
            post_id = db.execute("SELECT id FROM posts WHERE slug = 'why-deterrence-still-works'").fetchone()[0]
        a, b, c = arrangement.nodes

        # 1. Invalidation delay across nodes.
        editor = Browser(a)
        editor.sign_in("editor@example.org", PASSWORD)
        delays, missed = [], 0
        for i in range(args.edits):
            title = "Across Nodes %d" % i
            saved = save_title(editor, post_id, title)
            for node in (b, c):
                seen = until(node, title)
                if seen is None:
                    missed += 1
                else:
                    delays.append((seen - saved) * 1000)
            time.sleep(0.3)
        rows.append(("Edit on A seen on B and C (ms)", "p50 %.0f, p99 %.0f, max %.0f; %d of %d never seen in 10 s" %
                     (percentile(delays, 0.5), percentile(delays, 0.99), max(delays), missed, 2 * args.edits)))

        # 2. Purge delay through Varnish.
        varnish = Front(arrangement.varnish_port)
        front_editor = Browser(Front(arrangement.haproxy_port))
        front_editor.sign_in("editor@example.org", PASSWORD)
        delays, stale = [], 0
        for i in range(args.edits):
            title = "Through Varnish %d" % i
            varnish.get(ARTICLE)  # cached
            varnish.get(ARTICLE)
            saved = save_title(front_editor, post_id, title)
            seen = until(varnish, title)
            if seen is None:
                stale += 1
            else:
                delays.append((seen - saved) * 1000)
            time.sleep(0.3)
        rows.append(("Edit purged from Varnish (ms)",
                     ("p50 %.0f, p99 %.0f, max %.0f; " % (percentile(delays, 0.5), percentile(delays, 0.99), max(delays))
                      if delays else "") + "%d of %d left stale after 10 s" % (stale, args.edits)))

        # 3. Throughput: one node straight, haproxy with three, haproxy with one.
        results = {"one node, no haproxy": [], "haproxy, three nodes": [], "haproxy, one node": []}
        for _ in range(args.runs):
            results["one node, no haproxy"].append(wrk(a.port, args.duration))
            results["haproxy, three nodes"].append(wrk(arrangement.haproxy_port, args.duration))
        for node in (b, c):
            node.stop()
        eventually(lambda: all(cluster.get(arrangement.haproxy_port, "/readyz")[0] == 200 for _ in range(4)), 10)
        for _ in range(args.runs):
            results["haproxy, one node"].append(wrk(arrangement.haproxy_port, args.duration))
        for name, runs in results.items():
            rows.append(("Article, wrk -t2 -c64, " + name,
                         "%.0f req/s, p99 %.2f ms, %d errors (medians of %d)" %
                         (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                          sum(r[2] for r in runs), len(runs))))
        for node in (b, c):
            node.start()
        arrangement.wait_until_all_up()

        # 4. A newsletter, delivered by three nodes and by one.
        for label, nodes in (("three nodes", 3), ("one node", 1)):
            for node in arrangement.nodes[nodes:]:
                node.stop()
            handler = arrangement.smtp_handler
            handler.messages.clear()
            with arrangement.database() as db:
                db.execute("DELETE FROM subscribers")
                db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                               "VALUES (?, 'active', 1, 1, 1)",
                               [("reader%05d@example.org" % i,) for i in range(args.recipients)])
            started = time.time()
            done = arrangement.cli("newsletter", "send", "why-deterrence-still-works")
            assert done.returncode == 0, done.stderr
            eventually(lambda: len(handler.messages) >= args.recipients, 300)
            took = time.time() - started
            time.sleep(2)
            received = [m["To"] for _, m in handler.messages]
            rows.append(("Newsletter to %d, %s" % (args.recipients, label),
                         "%.1f s, %d messages, %d addresses (%d repeated)" %
                         (took, len(received), len(set(received)), len(received) - len(set(received)))))
            for node in arrangement.nodes[nodes:]:
                node.start()
    finally:
        arrangement.close()

    print("| Measure | Result |\n| --- | --- |")
    for name, value in rows:
        print("| %s | %s |" % (name, value))


if __name__ == "__main__":
    main()
