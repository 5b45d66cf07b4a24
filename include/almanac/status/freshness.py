"""Data freshness per domain, read from each domain's own tables, concurrently and with a deadline.

Each domain has one probe: a few ``max(date)`` reads on its own connection (connection ids of
:mod:`almanac.connections`), built with SQLAlchemy Core so the softcollection probe runs unchanged on
Oracle (production) and Postgres (embedded, tests). Probes are read-only: Postgres sessions are opened
with ``default_transaction_read_only=on``.

The status endpoint must answer within 2 s even when a database hangs, so:

- every probe runs in a small shared thread pool, all at once, and the caller waits at most
  :data:`PROBE_DEADLINE_SECONDS` in total; a probe still running then is reported ``unknown`` with
  "no answer within …" and left to finish on its own;
- Postgres probes connect with ``connect_timeout`` (libpq's minimum, 2 s) and run under
  ``statement_timeout``; Oracle probes get ``call_timeout`` on their statements (the Oracle provider's
  hook does not take a connect timeout: python-oracledb's own TCP connect timeout, 20 s by default,
  bounds a hung connect there). So an abandoned probe ends by itself within seconds;
- the pool is bounded (:data:`POOL_SIZE` threads), so a database that hangs for a long time cannot make
  the api-server pile up threads: later probes wait in the queue and are reported ``unknown`` at the
  deadline.

A table that does not exist yet (fresh install, the DAG has never run) is not an error: its value is
``None`` and the probe says which table is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from almanac import connections
from almanac.db import SQLALCHEMY_DRIVERS
from almanac.notify import one_line_error, redact
from almanac.softcollection import statements as softcollection_tables

log = logging.getLogger(__name__)

#: How long the endpoint waits for all probes together (the endpoint's budget is 2 s).
PROBE_DEADLINE_SECONDS = 1.5
#: Statement timeout of each probe query (Postgres ``statement_timeout``, Oracle ``call_timeout``).
STATEMENT_TIMEOUT_MS = 1500
#: libpq rounds connect_timeout below 2 s up to 2 s.
CONNECT_TIMEOUT_SECONDS = 2
POOL_SIZE = 10


@dataclass
class Freshness:
    """What one domain's probe found: ``values`` (dates and flags), or why it could not tell."""

    reachable: bool
    values: dict[str, Any] = field(default_factory=dict)
    missing_tables: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def _table(qualified: str, *columns: str) -> sa.TableClause:
    schema, name = qualified.split(".")
    return sa.table(name, *(sa.column(c) for c in columns), schema=schema)


class _Reader:
    """Reads ``max(column)`` and single rows, noting tables that do not exist instead of failing."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.inspector = sa.inspect(conn)
        self.missing: list[str] = []

    def exists(self, table: sa.TableClause) -> bool:
        if self.inspector.has_table(table.name, schema=table.schema):
            return True
        self.missing.append(f"{table.schema}.{table.name}")
        return False

    def latest(self, table: sa.TableClause, column: str) -> Any:
        if not self.exists(table):
            return None
        return self.conn.execute(sa.select(sa.func.max(table.c[column]))).scalar()


def discourse_freshness(reader: _Reader) -> dict[str, Any]:
    status = _table(
        "discourse.system_status",
        "id",
        "last_refresh_date",
        "live_version_id",
        "last_reset_at",
        "reset_failed",
        "reset_failure_reason",
    )
    empty = {
        "last_refresh_date": None,
        "live_version_id": None,
        "last_reset_at": None,
        "reset_failed": False,
        "reset_failure_reason": None,
    }
    if not reader.exists(status):
        return empty
    row = reader.conn.execute(sa.select(*(status.c[k] for k in empty)).where(status.c.id == 1)).mappings().first()
    values = dict(row) if row else empty
    values["reset_failed"] = bool(values["reset_failed"])
    if values["reset_failure_reason"]:
        values["reset_failure_reason"] = redact(values["reset_failure_reason"])
    return values


def learning_freshness(reader: _Reader) -> dict[str, Any]:
    return {
        "latest_snapshot_date": reader.latest(_table("learning.snapshot_runs", "snapshot_date"), "snapshot_date"),
        "latest_week_start": reader.latest(_table("learning.adaptive_recommendations", "week_start"), "week_start"),
    }


def softcollection_freshness(reader: _Reader) -> dict[str, Any]:
    """The latest distribution date: max(date_start) over DSSB_APP's control and target tables."""
    dates = [
        reader.latest(table, "date_start")
        for table in (softcollection_tables.local_control, softcollection_tables.local_target)
    ]
    dates = [d.date() if isinstance(d, dt.datetime) else d for d in dates if d is not None]  # Oracle DATE
    return {"latest_distribution_date": max(dates, default=None)}


def productivity_freshness(reader: _Reader) -> dict[str, Any]:
    return {"latest_score_date": reader.latest(_table("productivity.daily_scores", "score_date"), "score_date")}


def tutoring_freshness(reader: _Reader) -> dict[str, Any]:
    latest = reader.latest(_table("tutoring.tutor_performance_metrics", "calculation_date"), "calculation_date")
    # calculation_date is the reference date R at 00:00 UTC (see the tutoring schema)
    return {"latest_calculation_date": latest.astimezone(dt.UTC).date() if latest else None}


@dataclass(frozen=True)
class Probe:
    domain: str
    conn_id: str
    read: Callable[[_Reader], dict[str, Any]]


PROBES = (
    Probe("discourse", connections.DISCOURSE_DB, discourse_freshness),
    Probe("learning", connections.LEARNING_DB, learning_freshness),
    Probe("softcollection", connections.SOFTCOLLECTION_DSSB, softcollection_freshness),
    Probe("productivity", connections.PRODUCTIVITY_DB, productivity_freshness),
    Probe("tutoring", connections.TUTORING_DB, tutoring_freshness),
)


def _open_dbapi_connection(conn_id: str) -> tuple[str, Any]:
    """A read-only DB-API connection on ``conn_id`` with connect and statement timeouts."""
    from airflow.sdk import BaseHook, Connection

    connection = BaseHook.get_connection(conn_id)  # env var, secrets backend or (api-server) metadata DB
    if connection.conn_type == "postgres":
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        with_timeout = Connection(
            conn_id=conn_id,
            conn_type=connection.conn_type,
            host=connection.host,
            schema=connection.schema,
            login=connection.login,
            password=connection.password,
            port=connection.port,
            extra=json.dumps({**connection.extra_dejson, "connect_timeout": CONNECT_TIMEOUT_SECONDS}),
        )
        hook = PostgresHook(
            postgres_conn_id=conn_id,
            connection=with_timeout,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c default_transaction_read_only=on",
        )
        return "postgres", hook.get_conn()
    if connection.conn_type == "oracle":
        dbapi = connection.get_hook().get_conn()
        dbapi.call_timeout = STATEMENT_TIMEOUT_MS
        return "oracle", dbapi
    raise ValueError(f"connection {conn_id!r} has type {connection.conn_type!r}; expected postgres or oracle")


def read_freshness(probe: Probe) -> Freshness:
    """Run one probe; any error becomes ``reachable=False`` with a one-line, redacted reason."""
    started = time.perf_counter()
    try:
        conn_type, dbapi = _open_dbapi_connection(probe.conn_id)
        engine = sa.create_engine(SQLALCHEMY_DRIVERS[conn_type], creator=lambda: dbapi, poolclass=NullPool)
        with engine.connect() as conn:
            reader = _Reader(conn)
            values = probe.read(reader)
        return Freshness(True, values, reader.missing, seconds=time.perf_counter() - started)
    except Exception as exc:  # the endpoint answers for the other domains whatever happens here
        log.warning("status probe of %s on %s failed: %s", probe.domain, probe.conn_id, one_line_error(exc))
        return Freshness(False, error=f"{probe.conn_id}: {one_line_error(exc)}", seconds=time.perf_counter() - started)


_pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="almanac-status")


def start_probes(probes: tuple[Probe, ...] = PROBES) -> Callable[[], dict[str, Freshness]]:
    """Start every probe now; the returned function waits (at most the deadline) and collects them.

    Starting first lets the caller read Airflow's metadata while the domain databases answer.
    """
    started = time.monotonic()
    futures = {probe.domain: _pool.submit(read_freshness, probe) for probe in probes}

    def collect(deadline: float = PROBE_DEADLINE_SECONDS) -> dict[str, Freshness]:
        wait(futures.values(), timeout=max(0.0, deadline - (time.monotonic() - started)))
        results = {}
        for domain, future in futures.items():
            if future.done():
                results[domain] = future.result()
            else:
                future.cancel()  # still queued: never runs; already running: ends on its own timeouts
                results[domain] = Freshness(False, error=f"no answer within {deadline:g} s")
        return results

    return collect


def as_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dates and datetimes as ISO strings."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
