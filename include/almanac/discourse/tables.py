"""The schema the discourse DAGs own (``discourse``: versions, status, readers' views), created and migrated
by their ``provision_tables`` task. Their sources are the forum's Data Explorer queries, not tables."""

from __future__ import annotations

from almanac.connections import DISCOURSE_DB
from almanac.provision import DomainTables, sql_migrations

TABLES = DomainTables(
    domain="discourse",
    conn_id=DISCOURSE_DB,
    schema="discourse",
    migrations=sql_migrations("almanac.discourse"),
    owns_schema=True,
)
