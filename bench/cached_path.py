#!/usr/bin/env python3
"""The cached path side by side: Broadsheet binaries and nginx configurations, interleaved.

  bench/cached_path.py [--binary B]... [--nginx NAME]... [--runs R] [--duration S] [--articles N]

Serves one site's article page from each Broadsheet binary given (default: this build's) and the
same bytes from nginx in each configuration named (default: "best", bench/run.py's), and runs
wrk against each in turn, R rounds, reporting per target the medians of CPU time per request
(user and all), requests per second and p99, and each one's CPU per request over the first nginx
configuration's in the same round. For comparing a change to the serving path with the build
before it, and nginx's configurations with one another (docs/BENCHMARKS.md, "The cached path
against nginx at its best").
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from run import (BIN, NGINX_TUNING, TICKS, children, ensure_tools, fetch, free_port,
                 readable_by_nginx, start_nginx, wait_for, wait_until_quiet)

# nginx's configurations to compare: what differs from bench/run.py's.
NGINX = {
    "best": NGINX_TUNING,
    "sendfile": "sendfile on;\n  tcp_nopush on;",  # bench/run.py's before 2026-12-07
    "sendfile-cached": "sendfile on;\n  open_file_cache max=1000 inactive=60s;\n"
                       "  open_file_cache_valid 60s;",
    "uncached": "sendfile off;",
}


def cpu(pids):
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except FileNotFoundError:
            pass
    return user / TICKS, system / TICKS


def measure(url, duration, connections, pids):
    (user_before, system_before) = cpu(pids)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    (user_after, system_after) = cpu(pids)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(\w+)", out, re.M).groups()
    user = user_after - user_before
    return {"rps": requests / duration,
            "p99_ms": float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit],
            "cpu_us": (user + system_after - system_before) / requests * 1e6,
            "user_us": user / requests * 1e6}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", action="append", help="a broadsheet binary (repeatable)")
    parser.add_argument("--nginx", action="append", choices=sorted(NGINX),
                        help="an nginx configuration (repeatable; default: best)")
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    binaries = args.binary or [BIN]
    configurations = args.nginx or ["best"]
    ensure_tools()
    work = tempfile.mkdtemp(prefix="broadsheet-cached-")
    processes = []
    try:
        content, site = os.path.join(work, "content"), os.path.join(work, "site")
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "generate_content.py"), content,
                        str(args.articles)], check=True, capture_output=True)
        subprocess.run([binaries[0], "init", site], check=True, capture_output=True)
        subprocess.run([binaries[0], "import", "markdown", content, "--site", site], check=True,
                       capture_output=True)
        path = f"/article-{args.articles // 2:05d}/"
        targets = []  # (name, port, pids)
        for number, binary in enumerate(binaries):
            port = free_port()
            server = subprocess.Popen([binary, "serve", "--site", site, "--listen",
                                       f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            processes.append(server)
            wait_for(port)
            targets.append((f"broadsheet {number + 1} ({binary})", port, [server.pid]))
        status, body = fetch(targets[0][1], path)
        assert status == 200, path
        www = os.path.join(work, "www")
        os.makedirs(www + path)
        with open(www + path + "index.html", "wb") as f:
            f.write(body)
        readable_by_nginx(work, www)
        nginx_targets = []
        for name in configurations:
            port = free_port()
            nginx = start_nginx(os.path.join(work, "nginx-" + name), www, port, NGINX[name])
            processes.append(nginx)
            wait_for(port, path)
            nginx_targets.append((f"nginx {name}", port, [nginx.pid] + children(nginx.pid)))
        targets = nginx_targets + targets
        wait_until_quiet()
        results = {name: [] for name, _, _ in targets}
        for round_number in range(args.runs):
            for name, port, pids in targets:
                results[name].append(measure(f"http://127.0.0.1:{port}{path}", args.duration,
                                             args.connections, pids))
            print(f"round {round_number + 1}: " + "; ".join(
                f"{name} {results[name][-1]['cpu_us']:.1f} us" for name, _, _ in targets),
                  flush=True)
        reference = targets[0][0]
        print(f"\n{len(body):,}-byte article page; wrk -t2 -c{args.connections} "
              f"-d{args.duration}s; {args.runs} rounds; medians")
        print("| target | CPU µs/req | user µs/req | req/s | p99 ms | CPU / " + reference + " |")
        print("|---|---|---|---|---|---|")
        for name, _, _ in targets:
            runs = results[name]
            ratio = statistics.median(run["cpu_us"] / ref["cpu_us"]
                                      for run, ref in zip(runs, results[reference]))
            print(f"| {name} | {statistics.median(r['cpu_us'] for r in runs):.1f} | "
                  f"{statistics.median(r['user_us'] for r in runs):.1f} | "
                  f"{statistics.median(r['rps'] for r in runs):,.0f} | "
                  f"{statistics.median(r['p99_ms'] for r in runs):.2f} | {ratio:.2f}x |")
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
