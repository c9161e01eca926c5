#!/usr/bin/env python3
"""PostgreSQL beside SQLite: the same site measured on each, in the same run (issue 14's targets).

  bench/postgres.py [--articles N] [--runs R] [--duration S] [--posts P] [--comments C]
                    [--only cached|cold|import ...]

Starts a throwaway PostgreSQL 15 cluster (tests/postgres/cluster.sh: a Unix socket, no network,
fsync on)
and, for each measure, a SQLite site and a PostgreSQL site made the same way:

1. Cached page throughput: N generated articles (default 10,000); one article page under wrk,
   the two servers alternating, R times each (default 5); medians of requests per second, p99
   latency and CPU time per request. Target: PostgreSQL >= 0.95x SQLite (a cache hit does not
   touch the database). Each server is measured once the machine is idle (a server that has
   just started builds its search index).
2. Cache-miss render: a freshly started server asked for every article once, one request at a
   time; p50 and p95 of the latency. Target: PostgreSQL <= 2x SQLite for both.
3. WordPress import: P posts (default 10,000) with C comments (default 50,000), the export of
   bench/wordpress_import.py, imported into an empty site R times (default min(R, 3)); medians of
   wall time and the importing process's peak resident memory. Target: PostgreSQL <= 2x SQLite's
   time and <= 200 MiB.

The PostgreSQL server's own CPU and memory are not counted in 1-3: they are what the database
server costs, whichever program uses it. Writes bench/out/postgres.md.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "..", "tests", "integration"))
import run as pages  # noqa: E402  (wrk, fetch, wait_for, free_port, wait_until_quiet)
import wordpress_import  # noqa: E402

BIN = os.path.join(ROOT, "..", "build", "broadsheet")
CLUSTER = os.path.join(ROOT, "..", "tests", "postgres", "cluster.sh")


class Cluster:
    def __init__(self):
        # A folder of its own (the server runs as Debian's postgres account when this runs as
        # root, and cannot enter another mkdtemp folder); commits synced, as in production.
        self.folder = tempfile.mkdtemp(prefix="broadsheet-pg-bench-cluster-")
        subprocess.run(["sh", CLUSTER, "start", self.folder], check=True, capture_output=True,
                       env=dict(os.environ, CLUSTER_FSYNC="on"))
        with open(os.path.join(self.folder, "url")) as f:
            self.url = f.read().strip()
        self.made = 0

    def new_database(self):
        self.made += 1
        name = f"bench_{os.getpid()}_{self.made}"
        subprocess.run(["psql", self.url, "-Atqc", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        return self.url.replace("/postgres", "/" + name, 1)

    def stop(self):
        subprocess.run(["sh", CLUSTER, "stop", self.folder], capture_output=True)


def new_site(folder, database_url):
    args = [BIN, "init", folder] + (["--database-url", database_url] if database_url else [])
    subprocess.run(args, check=True, capture_output=True)
    return folder


class Server:
    def __init__(self, site):
        self.port = pages.free_port()
        self.process = subprocess.Popen(
            [BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pages.wait_for(self.port, timeout=60)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def cold_latencies(server, paths):
    """Each path once, one at a time, on a cache that has never seen it: milliseconds."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    latencies = []
    for path in paths:
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            sys.exit(f"{path} answered {response.status}")
    connection.close()
    return latencies


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--comments", type=int, default=50000)
    parser.add_argument("--only", nargs="+", choices=("cached", "cold", "import"),
                        default=("cached", "cold", "import"), help="the measures to run (default: all)")
    args = parser.parse_args()
    pages.ensure_tools()
    work = tempfile.mkdtemp(prefix="broadsheet-pg-bench-")
    cluster = Cluster()
    lines = [f"# PostgreSQL beside SQLite, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", ""]

    def report(text=""):
        print(text, flush=True)
        lines.append(text)

    try:
        content = os.path.join(work, "content")
        subprocess.run([sys.executable, os.path.join(ROOT, "generate_content.py"), content,
                        str(args.articles)], check=True, capture_output=True)
        sites = {}
        for kind in ("sqlite", "postgresql"):
            site = new_site(os.path.join(work, kind), cluster.new_database() if kind == "postgresql" else None)
            start = time.perf_counter()
            subprocess.run([BIN, "import", "markdown", content, "--site", site], check=True,
                           capture_output=True)
            report(f"- {kind}: imported {args.articles:,} articles in {time.perf_counter() - start:.1f} s")
            sites[kind] = site
        slugs = sorted(name[:-3] for name in os.listdir(os.path.join(content, "posts")))
        article = f"/{slugs[len(slugs) // 2]}/"

        # 1. Cached pages.
        results = {kind: [] for kind in sites}
        for _ in range(args.runs if "cached" in args.only else 0):
            for kind, site in sites.items():
                server = Server(site)
                pages.fetch(server.port, article)  # cached from here on
                pages.wait_until_quiet()
                pids = [server.process.pid]
                results[kind].append(pages.wrk(f"http://127.0.0.1:{server.port}{article}",
                                               args.duration, args.connections, pids))
                server.stop()
        if "cached" in args.only:
            report_cached(report, args, results)
        if "cold" in args.only:
            report_cold(report, sites, slugs)
        if "import" in args.only:
            report_import(report, args, work, cluster, sites)
        os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
        with open(os.path.join(ROOT, "out", "postgres.md"), "w") as out:
            out.write("\n".join(lines) + "\n")
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def report_cached(report, args, results):
    """1. Cached pages."""
    report()
    report(f"## Cached article page ({args.connections} connections, {args.duration} s, "
           f"{args.runs} runs each, medians)")
    report()
    report("| store | requests/s | p99 ms | CPU µs/request |")
    report("|---|---|---|---|")
    medians = {}
    for kind, runs in results.items():
        medians[kind] = {key: statistics.median(run[key] for run in runs)
                         for key in ("rps", "p99_ms", "cpu_us")}
        report(f"| {kind} | {medians[kind]['rps']:,.0f} | {medians[kind]['p99_ms']:.2f} | "
               f"{medians[kind]['cpu_us']:.1f} |")
    ratio = medians["postgresql"]["rps"] / medians["sqlite"]["rps"]
    report()
    report(f"PostgreSQL / SQLite requests per second: {ratio:.3f} (target >= 0.95: "
           f"{'met' if ratio >= 0.95 else 'MISSED'})")


def report_cold(report, sites, slugs):
    """2. Cache misses: measured here."""
    report()
    report(f"## Cache-miss article render (every one of {len(slugs):,} articles once, one "
           "request at a time, fresh server)")
    report()
    report("| store | p50 ms | p95 ms | max ms |")
    report("|---|---|---|---|")
    cold = {}
    for kind, site in sites.items():
        server = Server(site)
        pages.wait_until_quiet()
        latencies = cold_latencies(server, [f"/{slug}/" for slug in slugs])
        server.stop()
        cold[kind] = (percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies))
        report(f"| {kind} | {cold[kind][0]:.2f} | {cold[kind][1]:.2f} | {cold[kind][2]:.1f} |")
    p50 = cold["postgresql"][0] / cold["sqlite"][0]
    p95 = cold["postgresql"][1] / cold["sqlite"][1]
    report()
    report(f"PostgreSQL / SQLite: p50 {p50:.2f}x, p95 {p95:.2f}x (target <= 2x: "
           f"{'met' if max(p50, p95) <= 2 else 'MISSED'})")


def report_import(report, args, work, cluster, sites):
    """3. WordPress import: measured here."""
    export = os.path.join(work, "export.xml")
    wordpress_import.write_export(export, args.posts, args.comments, 30)
    imports = {kind: [] for kind in sites}
    for run in range(min(args.runs, 3)):
        for kind in sites:
            site = new_site(os.path.join(work, f"import-{kind}-{run}"),
                            cluster.new_database() if kind == "postgresql" else None)
            imports[kind].append(wordpress_import.timed_import(export, site)[:2])
    report()
    report(f"## WordPress import ({args.posts:,} posts, {args.comments:,} comments, "
           f"{min(args.runs, 3)} runs each, medians)")
    report()
    report("| store | wall time s | peak MiB | runs (s) |")
    report("|---|---|---|---|")
    medians = {}
    for kind, runs in imports.items():
        medians[kind] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        report(f"| {kind} | {medians[kind][0]:.2f} | {medians[kind][1]:.1f} | "
               + ", ".join(f"{r[0]:.2f}" for r in runs) + " |")
    ratio = medians["postgresql"][0] / medians["sqlite"][0]
    report()
    report(f"PostgreSQL / SQLite time: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'MISSED'}); "
           f"PostgreSQL peak {medians['postgresql'][1]:.1f} MiB (target <= 200 MiB: "
           f"{'met' if medians['postgresql'][1] <= 200 else 'MISSED'})")


if __name__ == "__main__":
    main()
