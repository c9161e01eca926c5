#!/usr/bin/env python3
"""What the database seam costs per statement, beside raw sqlite3/libpq and SOCI.

Starts a throwaway PostgreSQL 15 cluster (tests/postgres/cluster.sh), runs build/bench_db_seam
against a file-backed SQLite database and the cluster, prints its table and stops the cluster.
The figures behind storage/database.h's choice of driver: docs/BENCHMARKS.md, "The database seam".
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))


def main():
    binary = os.path.join(BUILD, "bench", "db_seam", "bench_db_seam")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: it is built where SOCI is installed (apt-get install libsoci-dev)")
    cluster = os.path.join(ROOT, "tests", "postgres", "cluster.sh")
    folder = tempfile.mkdtemp(prefix="bench-pg-", dir="/tmp")
    os.chmod(folder, 0o755)
    data = os.path.join(folder, "cluster")
    # Real commits on both sides: SQLite with synchronous=FULL, PostgreSQL with fsync on.
    subprocess.run([cluster, "start", data], check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, CLUSTER_FSYNC="on"))
    try:
        url = f"postgresql://broadsheet@/postgres?host={data}"
        subprocess.run(["psql", url, "-q", "-c", "CREATE DATABASE bench"], check=True)
        subprocess.run([binary, os.path.join(folder, "bench.sqlite"),
                        url.replace("/postgres?", "/bench?")], check=True)
    finally:
        subprocess.run([cluster, "stop", data], check=False)
        subprocess.run(["rm", "-rf", folder], check=False)


if __name__ == "__main__":
    main()
