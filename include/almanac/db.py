"""Hook helpers for idempotent writes on Postgres.

The rule (docs/contracts.md#idempotent-writes): a task writes its partition — a date, a window, a version — by replacing it
inside one transaction, or upserts on a natural key. Replacing means ``DELETE`` the partition and
write the new rows (an ``INSERT … SELECT`` from a ``.sql`` file, or :func:`copy_rows`) inside one
:func:`transaction`, so a reader (or a failure half-way) sees either the old partition or the new one,
never a mix, and a rerun gives the same rows.

SQL lives in ``.sql`` files beside the code that runs it (:func:`read_sql`), with bind parameters.
The Postgres provider drives psycopg 3 here (SQLAlchemy 2), so connections are psycopg 3 connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

from psycopg import sql


def postgres_hook(conn_id: str):
    """A ``PostgresHook`` for ``conn_id`` (imported lazily so DAG parsing stays cheap)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return PostgresHook(postgres_conn_id=conn_id)


#: SQLAlchemy driver per Airflow connection type (the hooks' own drivers: psycopg 3, python-oracledb).
SQLALCHEMY_DRIVERS = {"oracle": "oracle+oracledb://", "postgres": "postgresql+psycopg://"}


def engine_for(conn_id: str):
    """A SQLAlchemy engine over the Airflow connection's own hook connection; the dialect follows the
    connection type (``oracle`` → oracle+oracledb, ``postgres`` → postgresql+psycopg). No pool: each
    ``connect()`` opens a connection through the hook and closes it at the end."""
    import sqlalchemy as sa
    from airflow.sdk import BaseHook
    from sqlalchemy.pool import NullPool

    connection = BaseHook.get_connection(conn_id)
    driver = SQLALCHEMY_DRIVERS.get(connection.conn_type)
    if driver is None:
        raise ValueError(
            f"connection {conn_id!r} has type {connection.conn_type!r}; expected one of {sorted(SQLALCHEMY_DRIVERS)}"
        )
    return sa.create_engine(driver, creator=connection.get_hook().get_conn, poolclass=NullPool)


@contextmanager
def transaction(conn_id: str) -> Iterator[Any]:
    """A psycopg connection on ``conn_id`` inside one transaction: commit on success, roll back on error."""
    conn = postgres_hook(conn_id).get_conn()
    try:
        conn.autocommit = False
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


@cache
def read_sql(package: str, name: str) -> str:
    """The text of ``<package>/sql/<name>`` (e.g. ``read_sql("almanac.tutoring", "metrics.sql")``)."""
    return resources.files(package).joinpath("sql", name).read_text()


def split_statements(script: str) -> list[str]:
    """Split one of our .sql files into statements at lines ending with ``;``.

    psycopg 3 sends a statement with bind parameters as one prepared statement, which cannot hold
    several commands. Our files keep semicolons at line ends only, so this simple split is exact
    for them (it is not a general SQL parser). A ``$$``-quoted body (a PL/pgSQL function in a migration)
    is not split: its ``$$`` open and close on lines of their own statement. Comment lines between
    statements are dropped.
    """
    statements: list[str] = []
    current: list[str] = []
    in_body = False
    for line in script.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements


def execute_script(cur: Any, script: str, params: Mapping[str, Any] | None = None) -> int:
    """Run every statement of ``script`` with the same named parameters (each uses what it needs).

    Returns the last statement's row count; its result rows, if any, stay on ``cur`` to fetch."""
    for statement in split_statements(script):
        cur.execute(statement, params)
    return cur.rowcount


def qualified(table: str) -> sql.Composable:
    """``"schema.table"`` → a safely quoted identifier."""
    return sql.Identifier(*table.split("."))


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Bulk-load ``rows`` into ``table`` with ``COPY ... FROM STDIN``; returns the number of rows."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        qualified(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
