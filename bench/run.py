#!/usr/bin/env python3
"""Broadsheet's page-serving benchmark, side by side with nginx serving the same bytes.

  bench/run.py [--articles N] [--runs R] [--duration S] [--connections C]

1. Generates N articles (default 10,000) as a content folder, times `broadsheet import markdown`.
2. Starts `broadsheet serve` and times how long it takes to answer.
3. Saves the article page, the home page, the RSS feed and the sitemap index as static files,
   waits until the machine is idle (the server builds its search index as it starts), and
   serves them with nginx in its best configuration for this load (access log on and
   buffered, as Broadsheet's is; see NGINX_TUNING).
4. Runs wrk against both, alternating nginx and Broadsheet, R times per page, and reports the
   medians: requests per second, p99 latency, CPU time per request, and their ratios.
5. Requests every article once (filling the page cache to its budget) and reports resident memory.

Needs wrk and nginx (installed with apt-get if missing). Writes bench/out/results.md.
Everything runs on loopback; nothing leaves the machine.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(ROOT, "..", "build", "broadsheet")
TICKS = os.sysconf("SC_CLK_TCK")


def ensure_tools():
    missing = [tool for tool, package in (("wrk", "wrk"), ("nginx", "nginx-light")) if not shutil.which(tool)
               and not os.path.exists("/usr/sbin/" + tool)]
    if missing:
        packages = ["wrk" if m == "wrk" else "nginx-light" for m in missing]
        subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=True)


# nginx at its best for small files asked again and again (measured on this machine, 2026-12-07,
# CPU per request of the 16 KB article page: 31.9 us with `sendfile on; tcp_nopush on;` and no
# file cache, as this benchmark had it; 25.5 us with the file cache; 17.1 us with the file cache
# and sendfile off). Without open_file_cache every request opens, stats and closes the file;
# sendfile (with tcp_nopush's two setsockopt calls) costs more than one read and one write for a
# file this small on loopback.
NGINX_TUNING = """sendfile off;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;"""


def readable_by_nginx(work, www):
    """nginx's workers run as nobody: `www` (inside `work`) must be readable by all."""
    os.chmod(work, 0o755)
    for folder, _, files in os.walk(www):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)


def start_nginx(folder, www, port, tuning=NGINX_TUNING):
    """nginx serving `www` on `port` with `tuning` (its sendfile and file-cache lines), its
    files and logs in `folder`, the access log on and buffered as Broadsheet's is."""
    os.makedirs(folder)
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes auto;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log {folder}/access.log combined buffer=64k flush=1s;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  {tuning}
  keepalive_timeout 65;
  keepalive_requests 1000000;
  default_type text/html;
  etag on;
  server {{
    listen 127.0.0.1:{port};
    root {www};
    index index.html;
  }}
}}
""")
    return subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total / TICKS


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def rss_mib(pid, field="VmRSS"):
    """Resident memory in MiB: VmRSS (all of it), RssAnon (the process's own allocations) or
    RssFile (pages of mapped files: the program, its libraries, the database read through its
    memory map; the kernel's page cache, shared, and given back under pressure)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0


def parse_latency(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(url, duration, connections, pids):
    before = cpu_seconds(pids)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = parse_latency(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error responses from {url}")
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "cpu_us": cpu / requests * 1e6}


def wait_for(port, path="/healthz", timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.005)
    sys.exit(f"nothing answered on port {port}")


def machine_idle_fraction(seconds=1.0):
    def sample():
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all
    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    return (idle_after - idle_before) / max(1, total_after - total_before)


def wait_until_quiet(timeout=600):
    """Until the machine is idle (a server that just started builds its search index, and
    PostgreSQL writes behind): measuring meanwhile would measure that work too."""
    deadline = time.time() + timeout
    quiet = 0
    while time.time() < deadline and quiet < 2:
        quiet = quiet + 1 if machine_idle_fraction() > 0.9 else 0
    if quiet < 2:
        sys.exit("the machine did not become idle")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="Broadsheet worker threads (0: one per core)")
    args = parser.parse_args()
    ensure_tools()
    work = tempfile.mkdtemp(prefix="broadsheet-bench-")
    out_dir = os.path.join(ROOT, "out")
    os.makedirs(out_dir, exist_ok=True)
    lines = []

    def report(text=""):
        print(text, flush=True)
        lines.append(text)

    content = os.path.join(work, "content")
    subprocess.run([sys.executable, os.path.join(ROOT, "generate_content.py"), content, str(args.articles)], check=True)
    site = os.path.join(work, "site")
    subprocess.run([BIN, "init", site], check=True, capture_output=True)
    started = time.time()
    subprocess.run([BIN, "import", "markdown", content, "--site", site], check=True, capture_output=True)
    import_seconds = time.time() - started

    port, nginx_port = free_port(), free_port()
    started = time.time()
    server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, BROADSHEET_THREADS=str(args.threads)))
    wait_for(port)
    ready_ms = (time.time() - started) * 1000
    if server.poll() is not None:
        sys.exit("broadsheet exited: " + server.stderr.read())
    reported_ready = re.search(r"ready in (\d+) ms", server.stderr.readline())

    article_path, home_path = f"/article-{args.articles // 2:05d}/", "/"
    pages = (("article", article_path), ("home", home_path), ("feed", "/feed/"),
             ("sitemap", "/sitemap.xml"))
    www = os.path.join(work, "www")
    for _, path in pages:
        status, body = fetch(port, path)
        assert status == 200, path
        # "/x/" is served as x/index.html, "/x.xml" as the file itself.
        file = os.path.join(www, path.strip("/"), "index.html") if path.endswith("/") else os.path.join(www, path.strip("/"))
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(file, "wb") as f:
            f.write(body)
    # A server that has just started builds its search index (10,000 articles: tens of seconds
    # of CPU). Measured meanwhile, nginx and Broadsheet alike would share their cores with it.
    settle_started = time.time()
    wait_until_quiet()
    settle_seconds = time.time() - settle_started
    readable_by_nginx(work, www)
    nginx_dir = os.path.join(work, "nginx")
    nginx = start_nginx(nginx_dir, www, nginx_port)
    wait_for(nginx_port, "/")
    if nginx.poll() is not None:
        sys.exit("nginx exited; see " + nginx_dir + "/error.log")
    nginx_pids = [nginx.pid] + children(nginx.pid)

    report(f"# Benchmark run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    report()
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    report(f"Machine: {os.cpu_count()} cores ({cpu_model}), "
           f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
           f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.runs} alternating runs per page; "
           f"{args.articles} articles.")
    report()
    report(f"- import of {args.articles} articles: {import_seconds:.1f} s")
    report(f"- serve ready (spawn to first answer): {ready_ms:.0f} ms"
           + (f" (server's own measure: {reported_ready.group(1)} ms)" if reported_ready else ""))
    report(f"- machine idle again (search index built) {settle_seconds:.0f} s after the pages were "
           "saved; every measure below starts after that")
    report()
    report("| page | server | req/s | p50 ms | p99 ms | CPU µs/req |")
    report("|---|---|---|---|---|---|")
    summary = []
    for name, path in pages:
        results = {"nginx": [], "broadsheet": []}
        ratios = {"rps": [], "p99": [], "cpu": []}
        for _ in range(args.runs):
            n = wrk(f"http://127.0.0.1:{nginx_port}{path}", args.duration, args.connections, nginx_pids)
            b = wrk(f"http://127.0.0.1:{port}{path}", args.duration, args.connections, [server.pid])
            results["nginx"].append(n)
            results["broadsheet"].append(b)
            ratios["rps"].append(b["rps"] / n["rps"])
            ratios["p99"].append(b["p99_ms"] / n["p99_ms"])
            ratios["cpu"].append(b["cpu_us"] / n["cpu_us"])
        for who in ("nginx", "broadsheet"):
            runs = results[who]
            report(f"| {name} | {who} | {statistics.median(r['rps'] for r in runs):,.0f} | "
                   f"{statistics.median(r['p50_ms'] for r in runs):.2f} | "
                   f"{statistics.median(r['p99_ms'] for r in runs):.2f} | "
                   f"{statistics.median(r['cpu_us'] for r in runs):.1f} |")
        summary.append(f"- {name}: Broadsheet/nginx req/s {statistics.median(ratios['rps']):.2f}x "
                       f"(runs: {', '.join(f'{r:.2f}' for r in ratios['rps'])}); "
                       f"p99 {statistics.median(ratios['p99']):.2f}x; CPU per request {statistics.median(ratios['cpu']):.2f}x")
    report()
    report("Medians of the per-pair ratios (targets: req/s >= 1.0x, p99 <= 1.5x, CPU <= 1.0x):")
    for line in summary:
        report(line)

    rss_small = rss_mib(server.pid)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(args.articles):
        connection.request("GET", f"/article-{i:05d}/", headers={"Accept-Encoding": "gzip, br"})
        response = connection.getresponse()
        response.read()
    metrics = fetch(port, "/metrics")[1].decode()
    cache_bytes = int(re.search(r"^broadsheet_page_cache_bytes (\d+)", metrics, re.M).group(1))
    budget = int(re.search(r"^broadsheet_page_cache_budget_bytes (\d+)", metrics, re.M).group(1))
    rss_full = rss_mib(server.pid)
    anon_full, file_full = rss_mib(server.pid, "RssAnon"), rss_mib(server.pid, "RssFile")
    beyond = anon_full - cache_bytes / 2**20
    report()
    report(f"- resident memory after the wrk runs: {rss_small:.1f} MiB")
    report(f"- after requesting all {args.articles} articles once: {rss_full:.1f} MiB resident (VmRSS): "
           f"{anon_full:.1f} MiB the server's own (RssAnon), of which page cache {cache_bytes / 2**20:.1f} MiB "
           f"(budget {budget / 2**20:.0f} MiB), and {file_full:.1f} MiB pages of mapped files (RssFile: the "
           f"database read through SQLite's memory map, the program and its libraries)")
    report(f"- the server's own memory beyond the page cache: {beyond:.1f} MiB (target <= 48 MiB: "
           f"{'met' if beyond <= 48 else 'MISSED'})")

    nginx.terminate()
    server.terminate()
    nginx.wait()
    server.wait()
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
