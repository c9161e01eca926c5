#!/usr/bin/env python3
"""Xapian and SQLite FTS5 side by side on bench/search.py's corpus and queries, engines alone.

  bench/search_engines.py [--articles N] [--rounds R]

The issue asked for SQLite's FTS5 first and Xapian only if FTS5 missed the target (p50 <= 5 ms,
p95 <= 20 ms), keeping the faster. This regenerates bench/search.py's articles (same seed) into
both engines as Broadsheet indexes them — headline 10, dek 4, body 1 for BM25, English stemming,
positions for phrases — and times each engine's top ten for the same 200 queries, without HTTP
or snippets: Xapian (python3-xapian) with an estimated count, FTS5 (Python's sqlite3, the
system's SQLite) as the FTS5 store ranked: BM25 over the 10,000 most recently added matches,
with an exact count. Writes bench/out/search_engines.md.
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
    db = sqlite3.connect(os.path.join(work, "fts5.db"))
    db.execute("CREATE VIRTUAL TABLE search_index USING fts5(title, dek, body, "
               "tokenize = 'porter unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO search_index(search_index, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')")
    started = time.time()
    db.executemany("INSERT INTO search_index(rowid, title, dek, body) VALUES (?, ?, ?, ?)",
                   ((number + 1, *article) for number, article in
                    enumerate(articles(args.articles, random.Random(2026)))))
    db.execute("INSERT INTO search_index(search_index) VALUES ('optimize')")
    db.commit()
    fts5_seconds = time.time() - started

    def run_fts5(query):
        match = '"' + query.strip('"') + '"'
        rows = db.execute("SELECT rowid, rank FROM search_index WHERE search_index MATCH ? "
                          "ORDER BY rowid DESC LIMIT 10000", (match,)).fetchall()
        if len(rows) == 10000:
            db.execute("SELECT count(*) FROM search_index WHERE search_index MATCH ?", (match,)).fetchone()
        sorted(rows, key=lambda row: row[1])[:10]

    p50, p95 = timings(run_fts5, queries, args.rounds)
    lines.append(f"| SQLite {sqlite3.sqlite_version} FTS5 | {p50:.2f} | {p95:.2f} | "
                 f"BM25 over the 10,000 most recent matches, exact count; indexing took {fts5_seconds:.0f} s |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "search_engines.md"), "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
