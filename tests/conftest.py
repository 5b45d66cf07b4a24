"""One place that makes every test environment the same.

Before Airflow is imported anywhere, this file points AIRFLOW_HOME at a per-session temporary folder
with a SQLite metadata DB (copied from a migrated template, see ``almanac.demo.airflow_env``), the
project's dags/ and plugins/ folders, and a retry delay of 0 s so failure paths retry at once instead
of waiting minutes (the retry *count* stays the production one).

Fixtures:
- ``embedded_pg`` (session): the real embedded PostgreSQL server.
- ``warehouse`` (session): a throw-away database ``almanac_test_<pid>`` on it with the source systems'
  tables and almanac's own (provisioned as the DAGs do), and every warehouse ``AIRFLOW_CONN_*`` pointing
  at it. Concurrent pytest runs each
  get their own database.
- ``scratch``: an empty database for one test, with every warehouse connection pointed at it.
- ``slack`` (session, cleared per test): a local HTTP receiver standing in for the Slack webhook;
  the real notifier code posts to it through the ``slack_alerts`` connection.
- ``airflow_runner`` (session): runs DAGs with ``dag.test()`` and clears/reruns tasks like the UI.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from almanac.demo.airflow_env import sqlite_airflow_env
from almanac.demo.embedded import EmbeddedPostgres, connection_env, slack_conn_env

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="almanac-airflow-"))
os.environ.update(sqlite_airflow_env(_SESSION_HOME))
os.environ["ALMANAC_RETRY_DELAY_SECONDS"] = "0"
os.environ["ALMANAC_RECALC_COOLDOWN_MINUTES"] = "0"
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

#: The session TimeZone of every test database (``make test-tz`` sets America/Chicago): almanac's SQL must
#: give the same answers in any zone, DST included. Unset: the server's default (the host's zone).
DB_TIMEZONE = os.environ.get("ALMANAC_TEST_TIMEZONE") or None


#: The slowest test modules, slowest first (make test: 16-95 s each on this 2-core machine). They start
#: first so the three workers finish together (``--no-loadscope-reorder``: xdist would otherwise start
#: the modules with the most tests, the unit tests, and leave the slowest for last).
SLOWEST_MODULES = (
    "test_operator_histories.py",
    "test_discourse_faults.py",
    "test_productivity_dag.py",
    "test_discourse_dags.py",
    "test_status.py",
    "test_softcollection_dag.py",
    "test_fresh_install.py",
    "test_discourse_client.py",
    "test_learning_dags.py",
    "test_tutoring_dag.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module keeps its order


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded_pg():
    pg = EmbeddedPostgres().start()
    pg.drop_stale_test_databases()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def warehouse(embedded_pg):
    """The per-session warehouse database: the source systems' tables, the connections set, and almanac's
    own tables provisioned by the same code each DAG's first task runs."""
    from almanac.demo import warehouse as layout

    dbname = f"almanac_test_{os.getpid()}"
    embedded_pg.create_database(dbname, drop_existing=True, timezone=DB_TIMEZONE)
    with embedded_pg.connect(dbname) as conn:
        layout.create_source_tables(conn)
    os.environ.update(connection_env(embedded_pg, dbname))
    layout.provision_all()
    yield Warehouse(embedded_pg, dbname)
    embedded_pg.drop_database(dbname)


class Warehouse:
    """The test warehouse: open connections, run a query."""

    def __init__(self, pg: EmbeddedPostgres, dbname: str) -> None:
        self.pg = pg
        self.dbname = dbname

    def connect(self, *, autocommit: bool = False):
        return self.pg.connect(self.dbname, autocommit=autocommit)

    def query(self, statement: str, params=None) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(statement, params).fetchall()

    def execute(self, statement: str, params=None) -> None:
        with self.connect() as conn:
            conn.execute(statement, params)

    def empty_discourse(self) -> None:
        """The discourse tables as on a fresh install: no version, none of their data, an empty status row.
        Versions go the way almanac drops them (``drop_versions``), so no list of version tables lives here."""
        from almanac.discourse.tasks import drop_versions

        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM discourse.system_status")  # it references the live and backup versions
            drop_versions(cur, [v for (v,) in cur.execute("SELECT version_id FROM discourse.versions")])
            cur.execute("INSERT INTO discourse.system_status (id) VALUES (1)")


@pytest.fixture
def scratch(embedded_pg, warehouse, monkeypatch):
    """An empty database with every warehouse connection pointed at it (for this test only)."""
    dbname = f"almanac_scratch_{os.getpid()}"
    embedded_pg.create_database(dbname, drop_existing=True, timezone=DB_TIMEZONE)
    conn_json = json.dumps(embedded_pg.postgres_conn(dbname))
    for var in [k for k in os.environ if k.startswith("AIRFLOW_CONN_") and k != "AIRFLOW_CONN_SLACK_ALERTS"]:
        monkeypatch.setenv(var, conn_json)

    class Scratch:
        def connect(self):
            return embedded_pg.connect(dbname)

        def query(self, statement, params=None):
            with self.connect() as conn:
                return conn.execute(statement, params).fetchall()

    yield Scratch()
    embedded_pg.drop_database(dbname)


@pytest.fixture(scope="session")
def _slack_receiver():
    from almanac.demo.slack_receiver import SlackReceiver

    receiver = SlackReceiver().start()
    os.environ.update(slack_conn_env(receiver.url))
    yield receiver
    receiver.stop()


@pytest.fixture
def slack(_slack_receiver):
    """The Slack stand-in, emptied before each test."""
    _slack_receiver.clear()
    yield _slack_receiver
    _slack_receiver.clear()


@pytest.fixture(scope="session")
def airflow_runner(warehouse, _slack_receiver):
    from tests.support.airflow_runner import AirflowRunner

    return AirflowRunner()
