"""Entry point of ``make bench``: run every ``benchmarks/bench_<domain>.py`` and print the figures.

Usage: ``python -m benchmarks.run [--scale N] [--rtt-ms MS] [--growth] [domain ...]`` (default: every
domain that has a benchmark). The Makefile passes ``SCALE`` and ``RTT_MS``:

- ``make bench`` (N = 1, the seeds' scale, ~3.5 min): per workload, almanac and the seed-shaped
  baseline over the embedded server's Unix socket, both again through :mod:`benchmarks.rtt_proxy`
  (``RTT_MS``, default 0.5; 0 turns that view off), the floor and peak RSS (:mod:`benchmarks.harness`).
  Through the proxy, softcollection's and learning's loops run over a sample, scaled (see their modules).
- ``make bench SCALE=10``: almanac with every domain's entity count × N. Baselines run at N = 1 only:
  their per-entity loops would take many minutes at N = 10.
- ``make bench-growth`` (``--growth``): almanac alone (no baselines, no RTT view) at N = 1, 3 and 10, each in a fresh
  database, then the growth table. It takes ~9 minutes here.

Runs against a fresh ``almanac_bench`` database on the embedded PostgreSQL, with the same Airflow
environment as the tests (SQLite metadata in a temporary AIRFLOW_HOME), so DAG-level workloads can
use ``dag.test()``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from almanac import connections
from almanac.db import postgres_hook
from almanac.demo import warehouse
from almanac.demo.airflow_env import sqlite_airflow_env
from almanac.demo.embedded import EmbeddedPostgres, connection_env
from benchmarks.harness import Workload, format_growth, format_table
from benchmarks.rtt_proxy import RttProxy

BENCH_DB = "almanac_bench"
GROWTH_SCALES = (1, 3, 10)


class BenchContext:
    """What a domain benchmark gets: the database, the scale N, whether to run baselines, and the RTT
    proxy (``rtt_ms`` is None when that view is off)."""

    def __init__(self, pg: EmbeddedPostgres, dbname: str, *, scale: int, baselines: bool, proxy_port=None):
        self.pg, self.dbname, self.scale, self.baselines = pg, dbname, scale, baselines
        self.proxy_port = proxy_port
        self.rtt_ms: float | None = None  # the measured added round trip, set by main
        self._through_proxy = False

    def connect(self, *, autocommit: bool = False):
        if self._through_proxy:
            return psycopg.connect(
                host="127.0.0.1", port=self.proxy_port, user="postgres", dbname=self.dbname, autocommit=autocommit
            )
        return self.pg.connect(self.dbname, autocommit=autocommit)

    @contextlib.contextmanager
    def via_proxy(self):
        """Inside: every warehouse connection — almanac's (the ``AIRFLOW_CONN_*`` env vars its hooks read)
        and :meth:`connect`'s — goes through the RTT proxy."""
        conn = {
            "conn_type": "postgres",
            "host": "127.0.0.1",
            "port": self.proxy_port,
            "login": "postgres",
            "schema": self.dbname,
        }
        saved = {k: os.environ[k] for k in connection_env(self.pg, self.dbname)}
        os.environ.update({k: json.dumps(conn) for k in saved})
        self._through_proxy = True
        try:
            yield
        finally:
            os.environ.update(saved)
            self._through_proxy = False


def fresh_database(pg: EmbeddedPostgres) -> None:
    pg.create_database(BENCH_DB, drop_existing=True)
    with pg.connect(BENCH_DB) as conn:
        warehouse.create_source_tables(conn)
    os.environ.update(connection_env(pg, BENCH_DB))
    warehouse.provision_all()


def select_1_ms(connect, n: int = 1000) -> float:
    """Milliseconds per ``SELECT 1`` round trip, over ``n`` of them on one connection."""
    with connect() as conn:
        conn.execute("SELECT 1")
        start = time.perf_counter()
        for _ in range(n):
            conn.execute("SELECT 1").fetchone()
        return (time.perf_counter() - start) * 1000 / n


def start_proxy(pg: EmbeddedPostgres, ctx: BenchContext, rtt_ms: float) -> RttProxy:
    """Start the proxy and tune its delay until it adds ``rtt_ms`` to a round trip (within 5%, at most
    four tries): the proxy's own hops and thread wake-ups add ~0.2 ms here, beyond its sleeps. Prints
    the round trip it really adds, and checks that almanac's hooks go through it."""
    socket_path = pg.socket_path
    direct = select_1_ms(ctx.connect)
    delay_ms = rtt_ms / 2
    for attempt in range(4):
        proxy = RttProxy(socket_path, delay_ms=delay_ms).start()
        ctx.proxy_port = proxy.port
        with ctx.via_proxy():
            added = select_1_ms(ctx.connect) - direct
        if abs(added - rtt_ms) <= 0.05 * rtt_ms or attempt == 3:
            break
        proxy.stop()
        delay_ms = max(0.0, delay_ms - (added - rtt_ms) / 2)
    with ctx.via_proxy():
        via = select_1_ms(ctx.connect)
        hook = select_1_ms(lambda: postgres_hook(connections.TUTORING_DB).get_conn(), 200)
    ctx.rtt_ms = via - direct
    print(
        f"RTT proxy: asked +{rtt_ms:.2f} ms a round trip; measured +{ctx.rtt_ms:.2f} ms (SELECT 1: {direct:.3f} ms"
        f" direct, {via:.3f} ms via the proxy, {hook:.3f} ms via almanac's hook; delay {delay_ms:.3f} ms each way)",
        flush=True,
    )
    if hook - direct < ctx.rtt_ms / 2:
        raise RuntimeError("almanac's hooks do not go through the RTT proxy")
    return proxy


def run_domains(ctx: BenchContext, domains: list[str]) -> list[Workload]:
    rows: list[Workload] = []
    for domain in domains:
        print(f"== {domain} (N = {ctx.scale})", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{domain}")
        results = module.run(ctx)
        print(format_table(results, rtt_label=rtt_label(ctx)), flush=True)
        rows += results
    return rows


def rtt_label(ctx: BenchContext) -> str:
    return f"+{ctx.rtt_ms:.2f} ms RTT" if ctx.rtt_ms else "RTT (off)"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="almanac's benchmarks (make bench)")
    parser.add_argument("domains", nargs="*")
    parser.add_argument("--scale", type=int, default=1, help="entity count × N (1 = the seeds' scale)")
    parser.add_argument("--rtt-ms", type=float, default=0.5, help="round trip the proxy adds; 0 = no RTT view")
    parser.add_argument("--growth", action="store_true", help="almanac alone at N = 1, 3, 10; the growth table")
    args = parser.parse_args(argv)
    domains = args.domains or [d for d in warehouse.DOMAINS if (Path(__file__).parent / f"bench_{d}.py").exists()]
    home = Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    os.environ.update(sqlite_airflow_env(home))
    os.environ.setdefault("ALMANAC_RETRY_DELAY_SECONDS", "0")
    started = time.perf_counter()

    pg = EmbeddedPostgres().start()
    proxy = None
    try:
        if args.growth:
            print(
                f"growth: almanac alone at N = {', '.join(map(str, GROWTH_SCALES))} (no baselines, no RTT view),"
                " a fresh database each; this takes ~9 minutes",
                flush=True,
            )
            runs = {}
            for n in GROWTH_SCALES:
                fresh_database(pg)
                runs[n] = run_domains(BenchContext(pg, BENCH_DB, scale=n, baselines=False), domains)
            print("\n== growth (almanac seconds; baselines are not run at N > 1)")
            print(format_growth(runs))
        else:
            if args.scale > 1:
                print(
                    f"SCALE={args.scale}: almanac at {args.scale}× the seeds' entity counts; baselines only at"
                    " SCALE=1 (their per-entity loops would take many minutes here); this takes longer",
                    flush=True,
                )
            fresh_database(pg)
            ctx = BenchContext(pg, BENCH_DB, scale=args.scale, baselines=args.scale == 1)
            if args.rtt_ms:
                proxy = start_proxy(pg, ctx, args.rtt_ms)
            rows = run_domains(ctx, domains)
            print(f"\n== all workloads (N = {args.scale})")
            print(format_table(rows, rtt_label=rtt_label(ctx)))
    finally:
        if proxy:
            proxy.stop()
        pg.drop_database(BENCH_DB)
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(f"\nbench wall time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
