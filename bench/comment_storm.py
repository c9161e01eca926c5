#!/usr/bin/env python3
"""A comment storm: readers' article-page latency while 200 clients post comments.

  bench/comment_storm.py [--articles N] [--targets T] [--runs R] [--duration S] [--clients C]
                         [--preload K] [--database sqlite|postgresql]

1. Generates N articles (default 10,000), imports them, and sets the desk for the run: comments
   published at once (hold none, so every comment changes its page) and no rate limit or minimum
   form time; the server's per-client flood limits are off (every client here is 127.0.0.1).
   With --preload K, each target article starts with K approved comments (a long thread).
2. Starts `broadsheet serve`, fetches a form token for each of T target articles (default 100)
   and reads each target once to fill the cache.
3. R times (default 3), alternating: readers alone (wrk, 20 connections, a random target article
   per request) for S seconds (default 30), then the same readers while C clients (default 200)
   post comments to random target articles for the same S seconds.
4. Checks that every comment acknowledged (303 to its #comment-ID) is stored exactly once, and
   reports the readers' median p99 with and without the storm, and their ratio (target: <= 3x).
5. Checks that busy threads stay fast: the last storm stores comments at no less than 80 % of the
   first one's rate, and readers' quiet p99 in the last run is within 1.2x of the first's plus
   1 ms (needs --runs 3 or more; the default).

With --database postgresql the site's store is a database in a throwaway PostgreSQL 15 cluster
(bench/postgres.py's, fsync on) instead of its SQLite file.

Needs wrk (installed with apt-get if missing). Writes bench/out/comment_storm.md (or
comment_storm_postgresql.md). BROADSHEET_BIN chooses another binary (to compare two builds side
by side).
"""

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BIN, ROOT, ensure_tools, free_port, parse_latency, wait_for  # noqa: E402
from postgres import Cluster  # noqa: E402

BIN = os.environ.get("BROADSHEET_BIN", BIN)  # another build, to compare side by side

READER = """
local paths = {%(paths)s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

# Each client posts a unique text (so none is a duplicate), and every thread keeps the ids the
# server acknowledged; done() writes them all to $STORM_IDS.
STORM = """
local paths = {%(paths)s}
local tokens = {%(tokens)s}
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end
local counter = 0
acked = ""
function request()
  counter = counter + 1
  local i = math.random(#paths)
  local body = "name=Storm+Reader&email=storm%%40example.org&website=&parent=0&token=" .. tokens[i] ..
               "&body=Storm+comment+" .. os.getenv("STORM_RUN") .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", paths[i] .. "comments",
                    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  local id = location:match("#comment%%-(%%d+)$")
  if status == 303 and id then acked = acked .. id .. "," end
end
function done(summary, latency, requests)
  local out = io.open(os.getenv("STORM_IDS"), "w")
  for _, thread in ipairs(threads) do out:write(thread:get("acked")) end
  out:close()
end
"""


def run_wrk(script, url, connections, duration, env=None):
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))


def wrk_result(process):
    out, err = process.communicate()
    if process.returncode != 0:
        sys.exit("wrk failed: " + err)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50_ms": parse_latency(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99_ms": parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "errors": re.search(r"Non-2xx or 3xx responses: (\d+)", out)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    ensure_tools()
    work = tempfile.mkdtemp(prefix="broadsheet-storm-")
    cluster = Cluster() if args.database == "postgresql" else None
    try:
        storm(args, work, cluster)
    finally:
        if cluster:
            cluster.stop()


class Database:
    """The site's store, for the few rows set and checked here (`?` parameters, either kind)."""

    def __init__(self, site, url):
        if url:
            try:
                import psycopg2
            except ImportError:
                sys.exit("--database postgresql needs Debian's python3-psycopg2 (make deps installs it)")
            self.connection, self.marker = psycopg2.connect(url), "%s"
        else:
            self.connection, self.marker = sqlite3.connect(os.path.join(site, "broadsheet.db")), "?"

    def execute(self, sql, values=(), many=False):
        cursor = self.connection.cursor()
        sql = sql.replace("?", self.marker)
        (cursor.executemany if many else cursor.execute)(sql, values)
        return cursor

    def close(self):
        self.connection.commit()
        self.connection.close()


def storm(args, work, cluster):
    lines = []

    def report(text=""):
        print(text, flush=True)
        lines.append(text)

    content, site = os.path.join(work, "content"), os.path.join(work, "site")
    subprocess.run([sys.executable, os.path.join(ROOT, "generate_content.py"), content, str(args.articles)],
                   check=True)
    url = cluster.new_database() if cluster else None
    subprocess.run([BIN, "init", site] + (["--database-url", url] if url else []), check=True,
                   capture_output=True)
    subprocess.run([BIN, "import", "markdown", content, "--site", site], check=True, capture_output=True)
    db = Database(site, url)
    for key, value in (("comment_moderation", "hold-none"), ("comments_rate_limit", "0"),
                       ("comments_min_form_seconds", "0")):
        db.execute("INSERT INTO secrets(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                   "value = excluded.value", ("desk:" + key, value))

    step = max(1, args.articles // args.targets)
    paths = [f"/article-{i:05d}/" for i in range(0, args.articles, step)][:args.targets]
    if args.preload:
        for path in paths:
            post = db.execute("SELECT id FROM posts WHERE slug = ?", (path.strip("/"),)).fetchone()[0]
            db.execute("INSERT INTO comments(post_id, status, author_name, author_email, body_markdown, "
                       "body_html, created_at) VALUES (?, 'approved', 'Early Reader', "
                       "'early@example.org', ?, ?, ?)",
                       [(post, f"Early comment {post}-{k}", f"<p>Early comment {post}-{k}</p>", 1700000000 + k)
                        for k in range(args.preload)], many=True)
    db.close()

    port = free_port()
    server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, BROADSHEET_COMMENTS_PER_MINUTE="0",
                                       BROADSHEET_COMMENTS_PER_HOUR="0"))
    wait_for(port)
    base = f"http://127.0.0.1:{port}"
    tokens = []
    for path in paths:
        with urllib.request.urlopen(base + path + "comments/token") as answer:
            tokens.append(re.search(r'"token":"([^"]+)"', answer.read().decode()).group(1))
        urllib.request.urlopen(base + path).read()
    quoted = ", ".join(f'"{p}"' for p in paths)
    reader_lua, storm_lua = os.path.join(work, "reader.lua"), os.path.join(work, "storm.lua")
    with open(reader_lua, "w") as f:
        f.write(READER % {"paths": quoted})
    with open(storm_lua, "w") as f:
        f.write(STORM % {"paths": quoted, "tokens": ", ".join(f'"{t}"' for t in tokens)})

    quiet, stormy, storms = [], [], []
    acknowledged = []
    for run in range(args.runs):
        quiet.append(wrk_result(run_wrk(reader_lua, base, 20, args.duration)))
        ids_file = os.path.join(work, f"ids-{run}.txt")
        storm = run_wrk(storm_lua, base, args.clients, args.duration, {"STORM_IDS": ids_file, "STORM_RUN": str(run)})
        readers = run_wrk(reader_lua, base, 20, args.duration)
        stormy.append(wrk_result(readers))
        storms.append(wrk_result(storm))
        with open(ids_file) as f:
            acknowledged += [int(i) for i in f.read().split(",") if i]
        print(f"run {run + 1}: p99 quiet {quiet[-1]['p99_ms']:.2f} ms, storm {stormy[-1]['p99_ms']:.2f} ms, "
              f"{storms[-1]['rps']:.0f} comments/s", flush=True)
    server.terminate()
    server.wait(timeout=30)

    db = Database(site, url)
    stored = {row[0]: row[1:] for row in db.execute("SELECT id, status, body_markdown FROM comments")}
    duplicates = db.execute("SELECT count(*) FROM (SELECT body_markdown FROM comments GROUP BY body_markdown "
                            "HAVING count(*) > 1) AS repeated").fetchone()[0]
    db.close()
    missing = [i for i in acknowledged if i not in stored]
    not_approved = [i for i in acknowledged if i in stored and stored[i][0] != "approved"]
    repeated = len(acknowledged) - len(set(acknowledged))

    ratio = statistics.median(s["p99_ms"] for s in stormy) / statistics.median(q["p99_ms"] for q in quiet)
    report(f"# Comment storm on {args.database} {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    report()
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    report(f"Machine: {os.cpu_count()} cores ({cpu_model}). {args.articles} articles; {args.clients} clients "
           f"post to {len(paths)} of them (each starting with {args.preload} comments) while 20 readers (wrk -t1 -c20) read the same {len(paths)}; "
           f"{args.runs} alternating runs of {args.duration} s; hold none, no rate limit.")
    report()
    report("| readers | req/s | p50 ms | p99 ms |")
    report("|---|---|---|---|")
    for name, runs in (("without the storm", quiet), ("during the storm", stormy)):
        report(f"| {name} | {statistics.median(r['rps'] for r in runs):,.0f} | "
               f"{statistics.median(r['p50_ms'] for r in runs):.2f} | {statistics.median(r['p99_ms'] for r in runs):.2f} |")
    report()
    report(f"- comments acknowledged: {len(acknowledged):,} ({statistics.median(s['rps'] for s in storms):,.0f}/s "
           f"median), stored: {len(stored):,}; acknowledged but missing: {len(missing)}, not published: "
           f"{len(not_approved)}, stored twice: {duplicates}, acknowledged twice: {repeated}")
    report(f"- reader p99 during/without the storm: {ratio:.2f}x (target <= 3x: "
           f"{'met' if ratio <= 3 else 'MISSED'}; runs: "
           f"{', '.join(format(s['p99_ms'] / q['p99_ms'], '.2f') for s, q in zip(stormy, quiet))})")
    flat = None
    if len(storms) >= 3:
        kept = storms[-1]["rps"] / storms[0]["rps"]
        quiet_growth = quiet[-1]["p99_ms"] / quiet[0]["p99_ms"]
        flat = kept >= 0.8 and quiet[-1]["p99_ms"] <= 1.2 * quiet[0]["p99_ms"] + 1
        report(f"- busy threads stay fast: storm {len(storms)} stored {storms[-1]['rps']:.0f} comments/s, "
               f"storm 1 {storms[0]['rps']:.0f}/s ({kept:.2f}x, target >= 0.80); quiet p99 "
               f"{quiet[-1]['p99_ms']:.2f} ms vs {quiet[0]['p99_ms']:.2f} ms ({quiet_growth:.2f}x); "
               f"{'met' if flat else 'MISSED'} (runs: "
               f"{', '.join(format(s['rps'], '.0f') for s in storms)} comments/s)")
    for result in stormy + quiet:
        if result["errors"]:
            report(f"- readers saw {result['errors'].group(1)} error responses")
    out_dir = os.path.join(ROOT, "out")
    os.makedirs(out_dir, exist_ok=True)
    name = "comment_storm.md" if args.database == "sqlite" else f"comment_storm_{args.database}.md"
    with open(os.path.join(out_dir, name), "w") as f:
        f.write("\n".join(lines) + "\n")
    if missing or duplicates or repeated:
        sys.exit("comments were lost or stored twice")
    if flat is False:
        sys.exit("busy threads slowed the storm down")


if __name__ == "__main__":
    main()
