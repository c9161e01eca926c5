#!/usr/bin/env python3
"""The search benchmark's corpus and queries on Xapian, for comparison with FTS5 (bench/search.py).

  bench/search_xapian.py [--articles N] [--rounds R] [--fts5 SITE_DB]

The issue asks for FTS5 first and Xapian (Debian's libxapian, here through python3-xapian) only
if FTS5 misses the target. This regenerates the same articles (same seed) into a Xapian
database — title, dek and body with positions, the title's terms weighted 10 and the dek's 4, as
the FTS5 index weighs them, English stemming — and times the engines alone, without HTTP:
Xapian's top ten (BM25, QueryParser with phrases, an estimated count) against FTS5's ranked
query as the store runs it, given --fts5 with the database bench/search.py --keep built.
Writes bench/out/search_xapian.md.
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
import search  # noqa: E402

try:
    import xapian
except ImportError:
    sys.exit("python3-xapian is missing: apt-get install python3-xapian")


def articles(count, rng):
    """The articles bench/search.py generates, as (title, dek, body) without writing files."""
    words = search.vocabulary(rng, 30000)
    prose = search.Zipf(rng, words)
    headline = search.Zipf(rng, words[150:])
    sections = ["security", "economy", "energy", "technology", "reports"]
    authors = [f"author-{i}" for i in range(50)]
    for _ in authors:
        prose.draw(2), prose.draw(40)
    for i in range(count):
        title = " ".join(headline.draw(rng.randint(5, 9))).capitalize()
        paragraphs = [" ".join(prose.draw(rng.randint(50, 90))).capitalize() + "."
                      for _ in range(rng.randint(6, 10))]
        dek = " ".join(prose.draw(14)).capitalize() + "."
        rng.choice(sections), rng.choice(authors), headline.draw(1), headline.draw(1)
        yield title, dek, "\n\n".join(paragraphs)


def timings(run, queries, rounds):
    results = []
    for _ in range(rounds):
        latencies = []
        for query in queries:
            started = time.perf_counter()
            run(query)
            latencies.append((time.perf_counter() - started) * 1000)
        results.append((search.percentile(latencies, 0.5), search.percentile(latencies, 0.95)))
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fts5", help="the broadsheet.db that bench/search.py --keep built")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="broadsheet-xapian-")
    rng = random.Random(2026)
    database = xapian.WritableDatabase(os.path.join(work, "db"), xapian.DB_CREATE_OR_OPEN)
    indexer = xapian.TermGenerator()
    indexer.set_stemmer(xapian.Stem("english"))
    titles = []
    started = time.time()
    for number, (title, dek, body) in enumerate(articles(args.articles, rng)):
        titles.append(title)
        document = xapian.Document()
        indexer.set_document(document)
        indexer.index_text(title, 10)
        indexer.increase_termpos()
        indexer.index_text(dek, 4)
        indexer.increase_termpos()
        indexer.index_text(body)
        document.set_data(str(number))
        database.add_document(document)
    database.commit()
    index_seconds = time.time() - started
    queries = search.queries(titles, 200, random.Random(7))

    reader = xapian.Database(os.path.join(work, "db"))
    parser_ = xapian.QueryParser()
    parser_.set_stemmer(xapian.Stem("english"))
    parser_.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    parser_.set_database(reader)
    enquire = xapian.Enquire(reader)
    enquire.set_weighting_scheme(xapian.BM25Weight())
    counts = []

    def run_xapian(query):
        enquire.set_query(parser_.parse_query(query, xapian.QueryParser.FLAG_PHRASE))
        matches = enquire.get_mset(0, 10)
        counts.append(matches.get_matches_estimated())
        for match in matches:
            match.document.get_data()

    lines = [f"# Search engines compared {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             f"{args.articles:,} generated articles (bench/search.py's corpus), the same 200 queries, "
             f"{args.rounds} rounds; engine time only (no HTTP, no snippets), medians of rounds.", "",
             "| engine | p50 ms | p95 ms | notes |", "|---|---|---|---|"]
    p50, p95 = timings(run_xapian, queries, args.rounds)
    lines.append(f"| Xapian {xapian.version_string()} (python3-xapian) | {p50:.2f} | {p95:.2f} | "
                 f"BM25, top 10, estimated count; indexing took {index_seconds:.0f} s |")
    if args.fts5:
        db = sqlite3.connect(args.fts5)

        def run_fts5(query):
            match = '"' + query.strip('"') + '"'
            rows = db.execute("SELECT rowid, rank FROM search_index WHERE search_index MATCH ? "
                              "ORDER BY rowid DESC LIMIT 10000", (match,)).fetchall()
            if len(rows) == 10000:
                db.execute("SELECT count(*) FROM search_index WHERE search_index MATCH ?", (match,)).fetchone()
            sorted(rows, key=lambda row: row[1])[:10]

        p50, p95 = timings(run_fts5, queries, args.rounds)
        lines.append(f"| SQLite {sqlite3.sqlite_version} FTS5 (as the store runs it) | {p50:.2f} | {p95:.2f} | "
                     "BM25 over the 10,000 most recent matches, exact count |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "search_xapian.md"), "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
