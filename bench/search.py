#!/usr/bin/env python3
"""Search on a large archive: how fast /search.json answers, snippets included.

  bench/search.py [--articles N] [--queries Q] [--rounds R]

1. Generates N articles (default 100,000) as a content folder whose words follow a Zipf
   distribution over a 30,000-word vocabulary (as real prose does; titles use the vocabulary
   without its 150 most common words, as headlines mostly do), and times the import.
2. Starts `broadsheet serve`, waits until it has built its index (timed, from its log), and
   builds a fixed set of Q queries (default 200, seeded): half
   single words and half quoted two-word phrases, taken from the titles of random articles.
3. Asks /search.json for each query in turn over one keep-alive connection, R rounds (default
   5), and reports the median over rounds of each round's p50, p95 and p99 latency, with the
   median number of results.

Writes bench/out/search.md. Everything runs on loopback.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(ROOT, "..", "build", "broadsheet")
sys.path.insert(0, ROOT)
from run import free_port, rss_mib, wait_for  # noqa: E402

SYLLABLES = ("ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu "
             "ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu "
             "bra tre kli pro stu gan mer tol vin dar").split()


def vocabulary(rng, size):
    words, seen = [], set()
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if len(word) > 2 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Zipf:
    def __init__(self, rng, words, s=1.07):
        self.rng, self.words = rng, words
        weights = [1 / (rank + 1) ** s for rank in range(len(words))]
        total = sum(weights)
        self.cumulative, acc = [], 0.0
        for weight in weights:
            acc += weight / total
            self.cumulative.append(acc)

    def draw(self, k):
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)


def generate(folder, count, rng):
    words = vocabulary(rng, 30000)
    prose = Zipf(rng, words)
    headline = Zipf(rng, words[150:])
    os.makedirs(os.path.join(folder, "posts"))
    os.makedirs(os.path.join(folder, "authors"))
    with open(os.path.join(folder, "publication.yaml"), "w") as out:
        out.write("title: Search Benchmark Review\nbase_url: http://127.0.0.1:8080\ntimezone: UTC\n")
    sections = ["security", "economy", "energy", "technology", "reports"]
    with open(os.path.join(folder, "sections.yaml"), "w") as out:
        for slug in sections:
            out.write(f"- slug: {slug}\n  name: {slug.capitalize()}\n")
    authors = [f"author-{i}" for i in range(50)]
    for slug in authors:
        with open(os.path.join(folder, "authors", slug + ".md"), "w") as out:
            out.write(f"---\nname: {' '.join(prose.draw(2)).title()}\n---\n{' '.join(prose.draw(40))}.\n")
    titles = []
    for i in range(count):
        title = " ".join(headline.draw(rng.randint(5, 9))).capitalize()
        titles.append(title)
        paragraphs = []
        for _ in range(rng.randint(6, 10)):
            paragraphs.append(" ".join(prose.draw(rng.randint(50, 90))).capitalize() + ".")
        with open(os.path.join(folder, "posts", f"a{i:06d}.md"), "w") as out:
            out.write("---\n"
                      f"title: {title}\n"
                      f"slug: a{i:06d}\n"
                      f"dek: {' '.join(prose.draw(14)).capitalize()}.\n"
                      f"section: {rng.choice(sections)}\n"
                      f"authors: [{rng.choice(authors)}]\n"
                      f"tags: [{' '.join(headline.draw(1))}, {' '.join(headline.draw(1))}]\n"
                      f"date: {2000 + i % 26:04d}-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00Z\n"
                      "---\n" + "\n\n".join(paragraphs) + "\n")
    return titles


def queries(titles, count, rng):
    chosen = []
    while len(chosen) < count:
        words = rng.choice(titles).lower().split()
        if len(chosen) % 2 == 0:
            chosen.append(rng.choice(words))
        else:
            start = rng.randrange(len(words) - 1)
            chosen.append(f'"{words[start]} {words[start + 1]}"')
    return chosen


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", help="keep (or reuse) the generated site in this folder")
    args = parser.parse_args()
    rng = random.Random(2026)
    work = args.keep or tempfile.mkdtemp(prefix="broadsheet-search-")
    content, site = os.path.join(work, "content"), os.path.join(work, "site")
    titles_file = os.path.join(work, "titles.json")
    import_seconds = None
    if not os.path.exists(os.path.join(site, "broadsheet.db")):
        shutil.rmtree(content, ignore_errors=True)
        titles = generate(content, args.articles, rng)
        with open(titles_file, "w") as out:
            json.dump(titles, out)
        subprocess.run([BIN, "init", site], check=True, capture_output=True)
        started = time.time()
        done = subprocess.run([BIN, "import", "markdown", content, "--site", site], capture_output=True, text=True)
        import_seconds = time.time() - started
        if done.returncode != 0:
            sys.exit("import failed: " + done.stderr[-2000:])
        shutil.rmtree(content, ignore_errors=True)
    with open(titles_file) as f:
        titles = json.load(f)
    rng = random.Random(7)
    chosen = queries(titles, args.queries, rng)

    port = free_port()
    log_path = os.path.join(work, "server.log")
    log = open(log_path, "w")
    started = time.time()
    # Without the readers' search limit (30 a minute per address): the queries come from one.
    server = subprocess.Popen([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=log,
                              env=dict(os.environ, BROADSHEET_SEARCHES_PER_MINUTE="0"))
    wait_for(port)
    # The server builds its index in the background (it logs when the index is complete); an
    # index kept from an earlier run (--keep) is complete at once.
    def building():
        with open(log_path) as f:
            text = f.read()
        return "search: building the index" in text and "search: the index is complete" not in text
    while building():
        time.sleep(1)
    index_seconds = time.time() - started
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rounds = []
    totals = []
    marked = 0  # queries whose first result has highlighted words
    for round_number in range(args.rounds):
        latencies = []
        for query in chosen:
            path = "/search.json?q=" + urllib.parse.quote(query)
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, (query, response.status)
            if round_number == 0:
                answer = json.loads(body)
                totals.append(answer["total"])
                assert answer["total"] > 0, query  # every query comes from a real title
                first = answer["results"][0]
                marked += "<mark>" in first["title_html"] + first["excerpt_html"]
        rounds.append({"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99), "max": max(latencies)})
    rss = rss_mib(server.pid)
    server.terminate()
    server.wait()
    log.close()
    db_bytes = os.path.getsize(os.path.join(site, "broadsheet.db"))

    lines = [f"# Search benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", ""]
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines.append(f"Machine: {os.cpu_count()} cores ({cpu_model}); {len(titles):,} articles; "
                 f"{len(chosen)} queries x {args.rounds} rounds over one keep-alive connection.")
    lines.append("")
    if import_seconds is not None:
        lines.append(f"- import: {import_seconds:.1f} s")
    lines.append(f"- indexing by the server after start-up (whatever was still queued): {index_seconds:.0f} s")
    index_bytes = sum(os.path.getsize(os.path.join(folder, name))
                      for folder, _, names in os.walk(os.path.join(site, "search.xapian")) for name in names)
    lines.append(f"- database {db_bytes / 2**20:,.0f} MiB, search index {index_bytes / 2**20:,.0f} MiB; "
                 f"server memory after: {rss:.1f} MiB")
    lines.append(f"- results per query: median {statistics.median(totals):,.0f}, "
                 f"max {max(totals):,}, min {min(totals):,}; first result highlighted for "
                 f"{marked} of {len(chosen)} (the others matched in the dek, tags or byline)")
    lines.append("")
    lines.append("| round | p50 ms | p95 ms | p99 ms | max ms |")
    lines.append("|---|---|---|---|---|")
    for number, r in enumerate(rounds, 1):
        lines.append(f"| {number} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['max']:.1f} |")
    p50 = statistics.median(r["p50"] for r in rounds)
    p95 = statistics.median(r["p95"] for r in rounds)
    lines.append("")
    lines.append(f"Median of rounds: p50 {p50:.2f} ms (target <= 5 ms), p95 {p95:.2f} ms (target <= 20 ms): "
                 + ("met." if p50 <= 5 and p95 <= 20 else "MISSED."))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "search.md"), "w") as f:
        f.write(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
