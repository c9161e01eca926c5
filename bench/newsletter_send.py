#!/usr/bin/env python3
"""The newsletter sender's throughput: one issue to 100,000 subscribers through postfix's smtp-sink.

  bench/newsletter_send.py [--subscribers N] [--concurrency C] [--runs R]

1. Makes a site with the benchmark's generated articles (a few) and N active subscribers
   (default 100,000).
2. Starts postfix's smtp-sink on loopback (a C sink that accepts everything, fast enough not to be
   the bottleneck) and `broadsheet serve` with mail pointing at it, no rate limit and C SMTP
   connections (default 8).
3. Queues the issue with `broadsheet newsletter send`; the server delivers it. Measures the time
   from queueing to the send being done, the server's resident memory every half second during
   the send, and checks with `newsletter status` that every subscriber got exactly one message.
4. Repeats R times (default 3) on fresh sites and reports medians.

Needs postfix's smtp-sink (installed with apt-get if missing). Writes bench/out/newsletter_send.md.
"""

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BIN, ROOT, free_port, rss_mib, wait_for  # noqa: E402

SINK = "/usr/sbin/smtp-sink"


def ensure_sink():
    if not os.path.exists(SINK):
        subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def one_run(subscribers, concurrency):
    work = tempfile.mkdtemp(prefix="broadsheet-newsletter-")
    try:
        content, site = os.path.join(work, "content"), os.path.join(work, "site")
        subprocess.run([sys.executable, os.path.join(ROOT, "generate_content.py"), content, "5"], check=True)
        subprocess.run([BIN, "init", site], check=True, capture_output=True)
        subprocess.run([BIN, "import", "markdown", content, "--site", site], check=True, capture_output=True)
        with sqlite3.connect(os.path.join(site, "broadsheet.db")) as db:
            db.executemany("INSERT INTO subscribers(email, status, everything, created_at, consented_at) "
                           "VALUES (?, 'active', 1, 1, 1)",
                           ((f"reader{i:06d}@example.org",) for i in range(subscribers)))
        sink_port, port = free_port(), free_port()
        sink = subprocess.Popen([SINK, "-u", "nobody", f"127.0.0.1:{sink_port}", "1024"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, BROADSHEET_SMTP_URL=f"smtp://127.0.0.1:{sink_port}",
                   BROADSHEET_MAIL_FROM="The Bench Review <news@bench.example>",
                   BROADSHEET_BASE_URL="https://bench.example", BROADSHEET_NEWSLETTER_RATE="0",
                   BROADSHEET_NEWSLETTER_CONCURRENCY=str(concurrency), BROADSHEET_ACCESS_LOG="off")
        server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wait_for(port)
        before = rss_mib(server.pid)
        started = time.time()
        queued = subprocess.run([BIN, "newsletter", "send", "article-00000", "--site", site],
                                capture_output=True, text=True, env=env, check=True)
        assert "running server delivers it" in queued.stdout, queued.stdout
        memory = []
        status = ""
        while time.time() - started < 600:
            memory.append(rss_mib(server.pid))
            status = subprocess.run([BIN, "newsletter", "status", "--site", site], capture_output=True,
                                    text=True).stdout
            if "\tdone\t" in status:
                break
            time.sleep(0.5)
        seconds = time.time() - started
        server.terminate()
        server.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=10)
        found = re.search(r"(\d+) sent\t(\d+) failed\t(\d+) remaining\tof (\d+)", status)
        sent, failed, remaining, total = (int(x) for x in found.groups())
        with sqlite3.connect(os.path.join(site, "broadsheet.db")) as db:
            once = db.execute("SELECT count(DISTINCT subscriber_id) FROM newsletter_deliveries WHERE "
                              "status = 'sent'").fetchone()[0]
        return {"seconds": seconds, "rate": sent / seconds, "sent": sent, "failed": failed,
                "remaining": remaining, "total": total, "distinct": once, "rss_before": before,
                "rss_peak": max(memory), "rss_end": memory[-1]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_sink()
    runs = []
    for run in range(args.runs):
        result = one_run(args.subscribers, args.concurrency)
        runs.append(result)
        print(f"run {run + 1}: {result['sent']:,} sent in {result['seconds']:.1f} s = {result['rate']:,.0f}/s, "
              f"RSS {result['rss_before']:.1f} -> peak {result['rss_peak']:.1f} MiB", flush=True)
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    rate = statistics.median(r["rate"] for r in runs)
    lines = [
        f"# Newsletter send {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu_model}). {args.subscribers:,} active subscribers, one issue, "
        f"postfix smtp-sink on loopback, {args.concurrency} SMTP connections, no rate limit, the running server "
        f"delivering; {args.runs} runs on fresh sites.",
        "",
        "| run | seconds | messages/s | sent | failed | distinct recipients | RSS before / peak / end MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(f"| {i} | {r['seconds']:.1f} | {r['rate']:,.0f} | {r['sent']:,} | {r['failed']} | "
                     f"{r['distinct']:,} | {r['rss_before']:.1f} / {r['rss_peak']:.1f} / {r['rss_end']:.1f} |")
    lines += ["", f"- median rate: {rate:,.0f} messages/s (target >= 1,000: {'met' if rate >= 1000 else 'MISSED'})"]
    print("\n".join(lines))
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "newsletter_send.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
