"""Entry point of ``make bench``: run every ``benchmarks/bench_<domain>.py`` and print the figures.

Usage: ``python -m benchmarks.run [domain ...]`` (default: every domain that has a benchmark).
Runs against a fresh ``almanac_bench`` database on the embedded PostgreSQL, with the same Airflow
environment as the tests (SQLite metadata in a temporary AIRFLOW_HOME), so DAG-level workloads can
use ``dag.test()``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from almanac.demo import warehouse
from almanac.demo.airflow_env import sqlite_airflow_env
from almanac.demo.embedded import EmbeddedPostgres, connection_env
from benchmarks.harness import Workload, format_table

BENCH_DB = "almanac_bench"


class BenchContext:
    """What a domain benchmark gets: the embedded server, its database and connections set."""

    def __init__(self, pg: EmbeddedPostgres, dbname: str) -> None:
        self.pg = pg
        self.dbname = dbname

    def connect(self, *, autocommit: bool = False):
        return self.pg.connect(self.dbname, autocommit=autocommit)


def main(argv: list[str]) -> int:
    domains = argv or [d for d in warehouse.DOMAINS if (Path(__file__).parent / f"bench_{d}.py").exists()]
    home = Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    os.environ.update(sqlite_airflow_env(home))
    os.environ.setdefault("ALMANAC_RETRY_DELAY_SECONDS", "0")

    pg = EmbeddedPostgres().start()
    try:
        pg.create_database(BENCH_DB, drop_existing=True)
        with pg.connect(BENCH_DB) as conn:
            warehouse.create_source_tables(conn)
        os.environ.update(connection_env(pg, BENCH_DB))
        warehouse.provision_all()
        ctx = BenchContext(pg, BENCH_DB)
        rows: list[Workload] = []
        for domain in domains:
            print(f"== {domain}", flush=True)
            module = importlib.import_module(f"benchmarks.bench_{domain}")
            results = module.run(ctx)
            print(format_table(results), flush=True)
            rows += results
        print("\n== all workloads")
        print(format_table(rows))
    finally:
        pg.drop_database(BENCH_DB)
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
