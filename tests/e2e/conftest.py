"""The end-to-end suite's runtime: started once per ``make e2e``, driven only through the REST API.

``make e2e`` (``EXECUTOR=local`` by default, or ``celery``) runs ``pytest -m e2e tests/e2e``. The session
fixture :func:`runtime` starts the embedded runtime as ``make run`` does — embedded PostgreSQL, demo
data, fake Discourse, Slack receiver, then api-server, scheduler, dag-processor and triggerer (plus
Redis and two Celery workers with ``celery``) — in its own home ``.almanac/e2e-<executor>/`` on free
ports bound to 127.0.0.1. The warehouse database gets its own embedded server so the suite can restart
it without restarting Airflow's metadata database.

Settings that differ from ``make run`` and why:
- ``[scheduler] use_job_schedule = False``: the suite creates every run itself; a cron tick during the
  suite (e.g. 03:15 UTC) would otherwise add a run that changes the tables it compares.
- ``ALMANAC_RETRY_DELAY_SECONDS=1``: fault checks wait for Airflow's retry (the count stays 2).
- ``ALMANAC_SLOW_RUN_SECONDS=20``: the slow-run deadline alert fires in seconds.
- ``ALMANAC_RECALC_COOLDOWN_MINUTES=0``: the productivity DAG is triggered several times.
- a 5 s DAG folder refresh and one api-server worker (2 cores here).

Test modules run in file order and share the runtime's state; :class:`Suite` carries snapshots and run
ids from one to the next and collects the figures printed at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from almanac.demo.embedded import PROJECT_ROOT
from almanac.demo.runtime import EmbeddedRuntime, free_port
from tests.e2e import plan
from tests.e2e.operator_client import Operator, RunInfo

EXECUTOR = os.environ.get("ALMANAC_E2E_EXECUTOR", "local")
SLOW_RUN_SECONDS = 20


@pytest.fixture(scope="session")
def runtime():
    home = PROJECT_ROOT / ".almanac" / f"e2e-{EXECUTOR}"
    shutil.rmtree(home, ignore_errors=True)
    env = {
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",  # parse once; nothing changes mid-suite
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "ALMANAC_RETRY_DELAY_SECONDS": "1",
        "ALMANAC_RECALC_COOLDOWN_MINUTES": "0",
        "ALMANAC_SLOW_RUN_SECONDS": str(SLOW_RUN_SECONDS),
    }
    started = time.monotonic()
    rt = EmbeddedRuntime(
        home=home,
        api_port=free_port(),
        api_host="127.0.0.1",
        url_host="127.0.0.1",
        executor=EXECUTOR,
        separate_warehouse=True,
        slack_log=home / "slack.log",
        env_overrides=env,
    )
    rt.start()
    try:
        log_statement_durations(rt)
        if not rt.wait_until_healthy():
            pytest.exit(f"Airflow did not become healthy; see {rt.logs_dir}/", returncode=1)
        FIGURES.startup_seconds = time.monotonic() - started
        yield rt
    finally:
        rt.stop()


def log_statement_durations(rt: EmbeddedRuntime) -> None:
    """Every statement on the warehouse server logs its server-side duration (``log_min_duration_statement
    = 0``): the SQL time inside each run of the figures. The warehouse has its own server here, so
    Airflow's metadata queries are not in that log."""
    with rt.warehouse_pg.connect(autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET log_min_duration_statement = 0")
        conn.execute("ALTER SYSTEM SET log_line_prefix = '%m [%p] '")
        conn.execute("ALTER SYSTEM SET log_timezone = 'UTC'")
        conn.execute("SELECT pg_reload_conf()")


#: What a statement of each domain names (schemas; the connection check's probe).
DOMAIN_MARKERS = {
    "discourse": ("discourse.",),
    "learning": ("learning.",),
    "softcollection": ("dssb_app.", "spss.", "spss_user_dracrm."),
    "productivity": ("productivity.",),
    "tutoring": ("tutoring.",),
    "platform": ("SELECT 1",),
}
_LOG_ENTRY = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG:  duration: ([\d.]+) ms  (.*)$")
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ ")


def statement_durations(log_file: Path) -> list[tuple[dt.datetime, float, str]]:
    """(end time, seconds, text) of every statement the warehouse server logged."""
    entries: list[list] = []
    for line in log_file.read_text(errors="replace").splitlines():
        if m := _LOG_ENTRY.match(line):
            at = dt.datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
            entries.append([at, float(m[2]) / 1000, m[3]])
        elif entries and not _LOG_LINE.match(line):
            entries[-1][2] += "\n" + line  # a statement's next lines
        elif _LOG_LINE.match(line):
            entries.append([None, 0.0, ""])  # another kind of log line ends the statement before it
    return [(at, seconds, text) for at, seconds, text in entries if at is not None]


def sql_seconds(statements, domain: str, start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """Server time of the statements naming ``domain`` that ended inside [start, end] (one run of a domain
    at a time in the first phase, so the window and the names single out that run's statements)."""
    if start is None or end is None:
        return None
    markers = DOMAIN_MARKERS[domain]
    return sum(s for at, s, text in statements if start <= at <= end and any(m in text for m in markers))


@pytest.fixture(scope="session")
def op(runtime) -> Operator:
    return Operator(runtime.url)


@pytest.fixture(scope="session")
def suite(runtime, op) -> Suite:
    return Suite(runtime, op)


# --- shared state and figures --------------------------------------------------------------------------


@dataclass
class Figures:
    executor: str = EXECUTOR
    startup_seconds: float = 0.0
    dags_triggered: set = field(default_factory=set)
    runs_triggered: int = 0
    runs_without_logical_date: int = 0
    cleared: Counter = field(default_factory=Counter)  # "mapped" / "run" → task instances cleared and rerun
    backfilled_days: Counter = field(default_factory=Counter)
    faults: dict = field(default_factory=dict)  # name → "healed" / "NOT healed"
    bad_params_rejected: int = 0
    bad_params_tried: int = 0
    identifiers_found: dict = field(default_factory=dict)  # where → count
    run_times: list = field(default_factory=list)  # (dag_id, logical date, wall s, Σ task s, SQL s)
    warehouse_sql_seconds: float | None = None
    phase_seconds: dict = field(default_factory=dict)

    def table(self) -> str:
        lines = [f"== make e2e figures (executor: {self.executor})"]
        rows = [
            ("runtime start-up to healthy", f"{self.startup_seconds:.0f} s"),
            ("DAGs triggered", f"{len(self.dags_triggered)} ({self.runs_triggered} runs)"),
            ("runs without a logical date", self.runs_without_logical_date),
            (
                "task instances cleared and rerun",
                f"{sum(self.cleared.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.cleared.items()))})",
            ),
            (
                "backfilled days",
                f"{sum(self.backfilled_days.values())} ("
                + ", ".join(f"{k} {v}" for k, v in sorted(self.backfilled_days.items()))
                + ")",
            ),
            (
                "faults injected / healed",
                f"{len(self.faults)} / {sum(1 for v in self.faults.values() if v == 'healed')}"
                + (f" ({', '.join(sorted(self.faults))})" if self.faults else ""),
            ),
            ("bad params rejected (4xx naming the field)", f"{self.bad_params_rejected} of {self.bad_params_tried}"),
            (
                "demo IINs in task logs / XCom / Slack",
                " / ".join(str(self.identifiers_found.get(k, "not scanned")) for k in ("logs", "xcom", "slack")),
            ),
        ]
        if self.warehouse_sql_seconds is not None:
            rows.append(("warehouse SQL time in the first phase (all sessions)", f"{self.warehouse_sql_seconds:.1f} s"))
        for name, seconds in self.phase_seconds.items():
            rows.append((f"phase: {name}", f"{seconds:.0f} s"))
        width = max(len(r[0]) for r in rows)
        lines += [f"{name:<{width}}  {value}" for name, value in rows]
        if self.run_times:
            lines.append("")
            lines.append(
                f"{'DAG run (first phase)':<36} {'logical date':<17} {'wall s':>7} {'Σ task s':>9} {'SQL s':>7}"
            )
            for dag_id, logical, wall, task, sql in self.run_times:
                when = logical.strftime("%Y-%m-%d %H:%M") if logical else "(none)"
                sql_text = f"{sql:>7.2f}" if sql is not None else f"{'?':>7}"
                lines.append(f"{dag_id:<36} {when:<17} {wall:>7.1f} {task:>9.1f} {sql_text}")
            lines.append(
                "wall s: run start to end under the scheduler. Σ task s: its task instances' durations (start-up, "
                "Python, SQL). SQL s: server-side duration of the warehouse statements naming the domain's "
                "schemas inside the run's window (log_min_duration_statement = 0)."
            )
        return "\n".join(lines)


FIGURES = Figures()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FIGURES.phase_seconds and not FIGURES.runs_triggered:
        return
    text = FIGURES.table()
    terminalreporter.write_line("")
    for line in text.splitlines():
        terminalreporter.write_line(line)
    out = PROJECT_ROOT / ".almanac" / f"e2e-{EXECUTOR}-figures.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


@dataclass
class Table:
    columns: tuple[str, ...]
    rows: Counter

    @property
    def count(self) -> int:
        return sum(self.rows.values())


class Suite:
    """The runtime, the REST client, and what one test module leaves for the next."""

    def __init__(self, runtime: EmbeddedRuntime, op: Operator) -> None:
        self.runtime = runtime
        self.op = op
        self.figures = FIGURES
        self.domain_of: dict[str, str] = {}
        self.snapshots: dict[str, dict] = {}  # "<domain>" or "<domain>:<name>" → tables
        self.dated_runs: dict[str, str] = {}  # dag_id → run id of its dated first-phase run
        self.runs_by_date: dict[tuple[str, dt.datetime], str] = {}

    # --- warehouse ---

    def connect(self, *, autocommit: bool = True):
        return self.runtime.warehouse_pg.connect(self.runtime.warehouse_db, autocommit=autocommit)

    def snapshot(self, domain: str, conn=None) -> dict[str, Table]:
        """Every row of the domain's tables, as a multiset per table (order does not matter)."""
        tables = {}
        own = conn is None
        conn = conn or self.connect()
        try:
            for name, query in plan.output_tables(domain).items():
                cur = conn.execute(query)
                columns = tuple(d.name for d in cur.description)
                tables[name] = Table(columns, Counter(tuple(str(v) for v in row) for row in cur.fetchall()))
        finally:
            if own:
                conn.close()
        return tables

    @staticmethod
    def differences(expected: dict[str, Table], actual: dict[str, Table]) -> list[str]:
        """Per table, how many rows are missing and extra, and in which columns paired rows differ
        (counts and column names only: rows may hold IINs). Exact: a rerun must write the same values."""
        out = []
        empty = Table((), Counter())
        for name in sorted(set(expected) | set(actual)):
            want, got = expected.get(name, empty), actual.get(name, empty)
            missing, extra = want.rows - got.rows, got.rows - want.rows
            if not missing and not extra:
                continue
            pairs = list(zip(sorted(missing.elements()), sorted(extra.elements()), strict=False))
            columns = sorted(
                {want.columns[i] for a, b in pairs for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y}
            )
            out.append(
                f"{name}: {want.count} rows expected, {got.count} found; {sum(missing.values())} missing, "
                f"{sum(extra.values())} extra" + (f"; paired rows differ in {', '.join(columns)}" if columns else "")
            )
        return out

    def assert_same(self, expected: dict[str, Table], actual: dict[str, Table], what: str) -> None:
        real = self.differences(expected, actual)
        assert not real, f"{what}:\n" + "\n".join(real)

    # --- runs ---

    def trigger(self, dag_id: str, logical_date: dt.datetime | None, conf: dict | None = None) -> str:
        run_id = self.op.trigger(dag_id, logical_date, conf)
        self.figures.dags_triggered.add(dag_id)
        self.figures.runs_triggered += 1
        if logical_date is None:
            self.figures.runs_without_logical_date += 1
        return run_id

    def wait_success(self, dag_id: str, run_id: str, timeout: float = 300) -> RunInfo:
        info = self.op.wait(dag_id, run_id, timeout=timeout)
        assert info.state == "success", f"{dag_id} {run_id} ended {info.state}: {self.op.task_states(info)}"
        return info

    def task_seconds(self, dag_id: str, run_id: str) -> float:
        return sum(ti.duration or 0.0 for ti in self.op.task_instances(dag_id, run_id))

    def map_indexes(self, dag_id: str, run_id: str, task_id: str) -> list[int]:
        return sorted(
            ti.map_index for ti in self.op.task_instances(dag_id, run_id) if ti.task_id == task_id and ti.map_index >= 0
        )

    def task_log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in Path(self.runtime.logs_dir).rglob("*") if p.is_file())

    def slack_texts(self) -> list[str]:
        return self.runtime.receiver.texts

    def slack_bodies(self) -> list[str]:
        """Every JSON body the Slack receiver got, whole (text, blocks, attachments)."""
        return [json.dumps(p) for p in list(self.runtime.receiver.payloads)]


def wait_until(condition, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met after {timeout}s")
        time.sleep(interval)
