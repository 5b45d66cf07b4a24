"""The tables almanac owns, created and migrated by each DAG's first task on that DAG's own connection.

Most installs add almanac to an Airflow that already runs, pointed at databases that hold only the source
systems' tables. So nothing is created by hand: every DAG starts with ``provision_tables``, which

1. checks that each source table the domain reads exists with the columns it needs, and with the indexes
   its statements cannot do without — almanac never creates a source table or index; a missing one fails
   the run at once (no retry can create it) with a message naming the table, the columns or the index,
   and the connection id;
2. applies, in version order and exactly once, the domain's migrations that the database has not seen yet,
   recording each in ``<schema>.almanac_schema_version`` (version, description, applied_at). Version 1 of
   every domain is the layout installs had before versioning existed, written with ``IF NOT EXISTS``, so an
   install made by an older almanac is adopted as it is and later versions apply on top of it.

On Postgres every pending migration and its version rows are applied in one transaction under an advisory
lock, so two DAGs of one domain starting together cannot both apply a migration, and a failed migration
leaves the previous version whole. Oracle commits each DDL statement itself; softcollection, the only domain
on Oracle, has a single DAG that runs one run at a time, and its migrations use ``checkfirst`` so a rerun
after a failure completes them.

Run on every DAG run, an up-to-date database costs a handful of catalogue queries. Clearing the task
re-checks the sources and applies nothing new.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa

from almanac.db import engine_for, split_statements

log = logging.getLogger(__name__)

VERSION_TABLE = "almanac_schema_version"


class MissingSourceError(RuntimeError):
    """A source table, column or index that almanac needs is not there; the message names each one."""


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer almanac than the one running."""


@dataclass(frozen=True)
class SourceTable:
    """A table almanac reads (or writes into) but never creates: ``table`` is ``schema.name`` in lower
    case (Oracle folds the unquoted names to upper case), ``columns`` the ones almanac uses, ``indexes``
    the ones its statements need, each given by the columns an index must start with (an index with more
    columns after them serves as well), ``instants`` the columns almanac reads as instants: on Postgres
    they must be ``timestamp with time zone``, since a time without its zone would be read in each
    session's TimeZone and the same run would compute other days on another server."""

    conn_id: str
    table: str
    columns: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    instants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sa.Connection], None]


@dataclass(frozen=True)
class DomainTables:
    """What one domain owns and reads: its migrations, applied on ``conn_id`` with the version table in
    ``schema``, and the source tables checked first. ``owns_schema`` creates the schema itself (a schema
    only almanac uses, like ``discourse``); otherwise the schema belongs to the source system."""

    domain: str
    conn_id: str
    schema: str
    migrations: tuple[Migration, ...]
    sources: tuple[SourceTable, ...] = ()
    owns_schema: bool = False

    @property
    def latest_version(self) -> int:
        return max(m.version for m in self.migrations)


def sql_migrations(package: str) -> tuple[Migration, ...]:
    """The migrations in ``<package>/sql/migrations/NNNN_description.sql``, in version order."""
    folder = resources.files(package).joinpath("sql", "migrations")
    migrations = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, words = entry.name.removesuffix(".sql").partition("_")
            migrations.append(Migration(int(number), words.replace("_", " "), _sql_script(entry.read_text())))
    return tuple(sorted(migrations, key=lambda m: m.version))


def _sql_script(script: str) -> Callable[[sa.Connection], None]:
    statements = split_statements(script)

    def apply(conn: sa.Connection) -> None:
        with conn.connection.dbapi_connection.cursor() as cur:  # the DDL as written: no bind-parameter parsing
            for statement in statements:
                cur.execute(statement)

    return apply


def version_table(schema: str) -> sa.Table:
    return sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
        schema=schema,
    )


def missing_sources(tables: DomainTables) -> list[str]:
    """One line per source table that is missing, or lacks columns or indexes, on its connection."""
    problems = []
    by_connection: dict[str, list[SourceTable]] = defaultdict(list)
    for source in tables.sources:
        by_connection[source.conn_id].append(source)
    for conn_id, sources in by_connection.items():
        with engine_for(conn_id).connect() as conn:
            inspector = sa.inspect(conn)
            for source in sources:
                schema, name = source.table.split(".")
                try:
                    types = {c["name"].lower(): c["type"] for c in inspector.get_columns(name, schema=schema)}
                except sa.exc.NoSuchTableError:
                    problems.append(f"source table {source.table} is missing on connection {conn_id}")
                    continue
                lacking = [c for c in source.columns if c not in types]
                if lacking:
                    problems.append(
                        f"source table {source.table} on connection {conn_id} has no column(s) {', '.join(lacking)}"
                    )
                    continue
                if conn.dialect.name == "postgresql":
                    problems += [
                        f"source column {source.table}.{column} on connection {conn_id} is a timestamp without time"
                        " zone; almanac reads it as an instant and needs timestamptz: ALTER TABLE"
                        f" {source.table} ALTER COLUMN {column} TYPE timestamptz USING {column} AT TIME ZONE"
                        " '<the zone its values were written in>'"
                        for column in source.instants
                        if not getattr(types[column], "timezone", False)
                    ]
                problems += [
                    f"source table {source.table} on connection {conn_id} has no index starting with"
                    f" ({', '.join(needed)}): CREATE INDEX ON {source.table} ({', '.join(needed)})"
                    for needed in missing_indexes(inspector, source)
                ]
    return problems


def missing_indexes(inspector: Any, source: SourceTable) -> list[tuple[str, ...]]:
    """The indexes of ``source.indexes`` that no index (primary key included) of the table starts with."""
    if not source.indexes:
        return []
    schema, name = source.table.split(".")
    key = inspector.get_pk_constraint(name, schema=schema)["constrained_columns"]
    leading = [tuple(c.lower() for c in key)]
    for index in inspector.get_indexes(name, schema=schema):
        columns = []
        for column in index["column_names"]:
            if column is None:  # an expression: the columns after it are no longer a prefix
                break
            columns.append(column.lower())
        leading.append(tuple(columns))
    return [needed for needed in source.indexes if not any(have[: len(needed)] == needed for have in leading)]


def apply_migrations(conn: sa.Connection, tables: DomainTables, *, up_to: int | None = None) -> list[str]:
    """Apply the pending migrations (up to version ``up_to``, default all) on ``conn``; returns them."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"almanac:{tables.schema}"})
    if tables.owns_schema:
        conn.execute(sa.schema.CreateSchema(tables.schema, if_not_exists=True))
    versions = version_table(tables.schema)
    versions.create(conn, checkfirst=True)
    done = set(conn.execute(sa.select(versions.c.version)).scalars())
    if done and max(done) > tables.latest_version:
        raise SchemaTooNewError(
            f"{tables.domain}: the tables on connection {tables.conn_id} are at schema version {max(done)}, newer "
            f"than this almanac knows ({tables.latest_version}); deploy the almanac that migrated them"
        )
    applied = []
    for migration in tables.migrations:
        if migration.version in done or (up_to is not None and migration.version > up_to):
            continue
        migration.apply(conn)
        conn.execute(versions.insert().values(version=migration.version, description=migration.description))
        applied.append(f"{migration.version:04d} {migration.description}")
    return applied


def provision(tables: DomainTables, *, up_to: int | None = None) -> dict[str, Any]:
    """Check the sources, then bring the owned tables to the latest version; returns a summary for XCom."""
    problems = missing_sources(tables)
    if problems:
        raise MissingSourceError(
            f"{tables.domain}: " + "; ".join(problems) + ". almanac never creates source tables or their "
            "indexes: point the connection at the database that holds them, or ask their owners to create them."
        )
    with engine_for(tables.conn_id).begin() as conn:
        applied = apply_migrations(conn, tables, up_to=up_to)
        (version,) = conn.execute(sa.select(sa.func.max(version_table(tables.schema).c.version))).one()
    if applied:
        log.info("%s: applied schema migration(s) %s on %s", tables.domain, ", ".join(applied), tables.conn_id)
    else:
        log.info("%s: tables on %s are up to date (schema version %s)", tables.domain, tables.conn_id, version)
    return {
        "domain": tables.domain,
        "schema_version": version,
        "applied": applied,
        "sources_checked": len(tables.sources),
    }


def provision_tables(tables: DomainTables):
    """The ``provision_tables`` task every DAG of a domain starts with (see the module docstring)."""
    from airflow.sdk import task

    @task(task_id="provision_tables")
    def provision_tables() -> Mapping[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        try:
            return provision(tables)
        except (MissingSourceError, SchemaTooNewError) as exc:
            raise AirflowFailException(str(exc)) from exc  # no retry can create a table or downgrade

    return provision_tables()
