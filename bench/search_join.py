#!/usr/bin/env python3
"""A node joining a large site: how soon it answers searches, from the search index snapshot.

  bench/search_join.py [--articles N] [--queries Q] [--rounds R] [--keep DIR]

1. Generates N articles (default 100,000) as bench/search.py does (same generator, same seed),
   imports them into a new PostgreSQL database (tests/postgres/cluster.sh, commits synced) and
   times the import.
2. Starts node A on the site with its media in a bucket (npm's s3rver on loopback) shared with
   the joining node, and waits until A has built its index from the posts and made the first
   snapshot (both timed, from A's log); the index's size on disk and the snapshot's are recorded.
3. Starts node D on a copy of the site folder without an index (a new machine), and measures
   the time from its start until it answers each of Q queries (default 200, seeded, as
   bench/search.py chooses them) exactly as A does; D's log says whether it took the snapshot
   or built its own.
4. Asks D the Q queries R rounds (default 5) over one keep-alive connection and reports the
   median of the rounds' p50 and p95, with A's measured the same way in the same run.

Writes bench/out/search_join.md. Everything runs on loopback.
"""

import argparse
import calendar
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("BROADSHEET_BIN", os.path.join(ROOT, "..", "build", "broadsheet"))
sys.path.insert(0, ROOT)
from postgres import Cluster  # noqa: E402
from run import free_port, rss_mib, wait_for  # noqa: E402
from search import generate, percentile, queries  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "..", "tests", "integration"))
from test_s3 import SECRET, S3rver, media_config, set_media  # noqa: E402


class Node:
    """`broadsheet serve` with its log in a file, so that the bench can read what it did."""

    def __init__(self, site, name, env):
        self.port = free_port()
        self.log_path = os.path.join(os.path.dirname(site), name + ".log")
        self.log = open(self.log_path, "w")
        self.started = time.time()
        self.process = subprocess.Popen(
            [BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        wait_for(self.port, timeout=60)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for_line(self, pattern, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if self.process.poll() is not None:
                sys.exit("the server exited:\n" + self.text()[-3000:])
            time.sleep(0.5)
        sys.exit(f"no {pattern!r} in the log within {seconds} s:\n" + self.text()[-3000:])

    def search(self, connection, query):
        connection.request("GET", "/search.json?q=" + urllib.parse.quote(query))
        response = connection.getresponse()
        body = response.read()
        return response.status, body

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def folder_mib(path):
    return sum(os.path.getsize(os.path.join(folder, name))
               for folder, _, names in os.walk(path) for name in names) / 2**20


def log_time(line):
    """The seconds since the epoch of a log line's ISO timestamp."""
    stamp = line.split(" ", 1)[0]
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))


def latency_rounds(node, chosen, rounds):
    connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
    results = []
    for _ in range(rounds):
        latencies = []
        for query in chosen:
            started = time.perf_counter()
            status, _ = node.search(connection, query)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200, (query, status)
        results.append((percentile(latencies, 0.5), percentile(latencies, 0.95)))
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", help="keep the work folder here (and its PostgreSQL cluster's data)")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="broadsheet-join-")
    os.makedirs(work, exist_ok=True)
    cluster = Cluster()
    lines = [f"# Joining a site of {args.articles:,} articles {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             ""]
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                     "?")
    lines.append(f"Machine: {os.cpu_count()} cores ({cpu_model}); PostgreSQL {cluster_version(cluster)}.")
    lines.append("")
    a = d = bucket = None
    try:
        content, site = os.path.join(work, "content"), os.path.join(work, "a", "site")
        shutil.rmtree(os.path.join(work, "a"), ignore_errors=True)
        shutil.rmtree(os.path.join(work, "d"), ignore_errors=True)
        os.makedirs(os.path.join(work, "a"))
        os.makedirs(os.path.join(work, "d"))
        titles = generate(content, args.articles, random.Random(2026))
        url = cluster.new_database()
        subprocess.run([BIN, "init", site, "--database-url", url], check=True, capture_output=True)
        started = time.time()
        done = subprocess.run([BIN, "import", "markdown", content, "--site", site], capture_output=True, text=True)
        import_seconds = time.time() - started
        if done.returncode != 0:
            sys.exit("import failed: " + done.stderr[-2000:])
        shutil.rmtree(content, ignore_errors=True)
        # The bucket both nodes share: npm's s3rver on loopback (tests/integration/test_s3.py).
        bucket = S3rver()
        set_media(site, media_config(bucket.port))
        env = dict(os.environ, BROADSHEET_SEARCHES_PER_MINUTE="0", BROADSHEET_S3_SECRET_ACCESS_KEY=SECRET)
        lines.append(f"- import of {args.articles:,} articles into PostgreSQL: {import_seconds:.1f} s")

        a = Node(site, "a", env)
        built = a.wait_for_line(r"(\S+) info search: the index is complete", 4 * 3600)
        build_seconds = log_time(built.group(0)) - a.started
        made = a.wait_for_line(r"info search: index snapshot (made) \((\d+) MiB\) in (\d+) ms", 3600)
        index_mib = folder_mib(os.path.join(site, "search.xapian"))
        lines.append(f"- node A builds its index from the posts: {build_seconds:.0f} s after its start; "
                     f"index {index_mib:,.0f} MiB on disk")
        lines.append(f"- node A's first snapshot (compacted, uploaded to the bucket): "
                     f"{int(made.group(3)) / 1000:.1f} s, {int(made.group(2)):,} MiB")

        chosen = queries(titles, args.queries, random.Random(7))
        connection = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        expected = {query: a.search(connection, query)[1] for query in chosen}

        joining = os.path.join(work, "d", "site")
        shutil.copytree(site, joining, symlinks=True,
                        ignore=shutil.ignore_patterns("search.xapian", "search.snapshot", "*.log"))
        d = Node(joining, "d", env)
        connection = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        pending = list(chosen)
        while pending:
            if time.time() - d.started > 3600:
                sys.exit("node D did not answer as A within an hour")
            query = pending[0]
            if d.search(connection, query)[1] == expected[query]:
                pending.pop(0)
            else:
                time.sleep(0.2)
        searchable = time.time() - d.started
        took = re.search(r"took the latest index snapshot in (\d+) ms", d.text())
        lines.append(f"- node D (a new machine: the site folder without an index) answers all "
                     f"{len(chosen)} queries as A does **{searchable:.1f} s after it starts** "
                     + (f"(it took the snapshot in {int(took.group(1)) / 1000:.1f} s: download, "
                        f"SHA-256 check, swap)" if took else "(it built its own index: no snapshot taken)"))
        a_p50, a_p95 = latency_rounds(a, chosen, args.rounds)
        d_p50, d_p95 = latency_rounds(d, chosen, args.rounds)
        lines.append("")
        lines.append("| node | search p50 ms | search p95 ms | memory after (MiB) |")
        lines.append("|---|---|---|---|")
        lines.append(f"| A (built its index) | {a_p50:.2f} | {a_p95:.2f} | {rss_mib(a.process.pid):.1f} |")
        lines.append(f"| D (took the snapshot) | {d_p50:.2f} | {d_p95:.2f} | {rss_mib(d.process.pid):.1f} |")
        lines.append("")
        met = searchable <= 120 and d_p50 <= 5 and d_p95 <= 10
        lines.append(f"Target: searchable within 120 s, p50 <= 5 ms, p95 <= 10 ms: " + ("met." if met else "MISSED."))
    finally:
        for node in (a, d):
            if node:
                node.stop()
        if bucket:
            bucket.close()
        cluster.stop()
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "search_join.md"), "w") as f:
        f.write(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def cluster_version(cluster):
    done = subprocess.run(["psql", cluster.url, "-Atqc", "SHOW server_version"], capture_output=True, text=True)
    return done.stdout.strip().split(" ")[0] or "?"


if __name__ == "__main__":
    main()
