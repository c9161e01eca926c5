#!/usr/bin/env python3
"""WordPress import: how long `broadsheet import wordpress` takes on a large export, and its peak
memory.

  bench/wordpress_import.py [--posts N] [--comments C] [--paragraphs P] [--runs R]

Generates a WXR 1.2 export (tests/integration/wxr.py) of N posts (default 10,000) with C comments
in all (default 50,000; every third comment on a post answers the one before it), each post about P paragraphs of classic
content (default 30: about 750 words, with line breaks and emphasis for the auto-paragraphs),
eight categories, sixteen tags and twenty authors. Then, R times (default 5), imports it into
a fresh site and measures the wall time and the peak resident memory of the importing process
(the search index is built later, by `serve`, and is not part of this). Finally it imports the
same file again into the last site (every post updated, nothing added) and times that.

Writes bench/out/wordpress_import.md.
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
BIN = os.path.join(ROOT, "..", "build", "broadsheet")
sys.path.insert(0, os.path.join(ROOT, "..", "tests", "integration"))
import wxr  # noqa: E402


def write_export(path, posts, comments, paragraphs):
    per_post, extra = divmod(comments, posts)
    with open(path, "w", encoding="utf-8") as out:
        out.write(wxr.HEAD)
        out.write(wxr.channel_terms())
        for n in range(1, posts + 1):
            out.write(wxr.post_item(n, per_post + (1 if n <= extra else 0), paragraphs))
        out.write(wxr.TAIL)


def timed_import(export, site):
    """Seconds, peak resident MiB and report of `broadsheet import wordpress EXPORT` into `site`.
    Each import runs in its own child; RUSAGE_CHILDREN's maximum is the largest child so far, so
    it is measured through a fresh Python child each time."""
    probe = subprocess.run(
        [sys.executable, "-c",
         "import resource, subprocess, sys, time\n"
         "start = time.perf_counter()\n"
         "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
         "seconds = time.perf_counter() - start\n"
         "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
         "sys.stderr.write(done.stderr)\n"
         "print(f'{seconds} {peak} {done.returncode}')\n"
         "print(done.stdout)\n",
         BIN, "import", "wordpress", export, "--site", site],
        capture_output=True, text=True)
    first, _, report = probe.stdout.partition("\n")
    seconds, peak, code = first.split()
    if code != "0":
        raise SystemExit("import failed: " + probe.stderr)
    return float(seconds), float(peak), report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--comments", type=int, default=50000)
    parser.add_argument("--paragraphs", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="broadsheet-wp-bench-")
    try:
        export = os.path.join(work, "export.xml")
        write_export(export, args.posts, args.comments, args.paragraphs)
        size_mib = os.path.getsize(export) / 2 ** 20
        print(f"export: {args.posts} posts, {args.comments} comments, {size_mib:.1f} MiB")

        times, peaks = [], []
        site = None
        for run in range(args.runs):
            site = os.path.join(work, f"site{run}")
            subprocess.run([BIN, "init", site], check=True, capture_output=True)
            seconds, peak, report = timed_import(export, site)
            times.append(float(seconds))
            peaks.append(float(peak))
            print(f"run {run + 1}: {float(seconds):.2f} s, peak {float(peak):.1f} MiB")

        start = time.perf_counter()
        again = subprocess.run([BIN, "import", "wordpress", export, "--site", site],
                               capture_output=True, text=True)
        rerun = time.perf_counter() - start
        if again.returncode != 0:
            raise SystemExit("re-import failed: " + again.stderr)

        lines = [
            f"# WordPress import ({args.posts:,} posts, {args.comments:,} comments, "
            f"{size_mib:.1f} MiB export), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            "",
            "| measure | median | runs |",
            "|---|---|---|",
            f"| wall time | {statistics.median(times):.2f} s | "
            + ", ".join(f"{t:.2f}" for t in times) + " |",
            f"| peak resident memory | {statistics.median(peaks):.1f} MiB | "
            + ", ".join(f"{p:.1f}" for p in peaks) + " |",
            f"| import again (all updated) | {rerun:.2f} s | 1 |",
            "",
            "Report of the last run:",
            "",
            "```",
            report.strip(),
            "```",
        ]
        os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
        with open(os.path.join(ROOT, "out", "wordpress_import.md"), "w") as out:
            out.write("\n".join(lines) + "\n")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
