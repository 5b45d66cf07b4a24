"""The warehouse the embedded runtime, the tests and the benchmark build: the source systems' tables,
synthetic data, and (for tests and bench) almanac's own tables provisioned the way the DAGs do it.

In production the source tables belong to other systems and almanac never creates them; here
``demo/sql/<domain>_sources.sql`` stands in for them (idempotent DDL). almanac's own tables are never
created here by other means than the DAGs' own provisioning (:mod:`almanac.provision`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from almanac.db import read_sql
from almanac.provision import DomainTables, provision

log = logging.getLogger(__name__)

DOMAINS = ("discourse", "learning", "softcollection", "productivity", "tutoring")

#: The source systems' schemas (lower case, unquoted; softcollection's Oracle schemas included).
#: ``discourse`` is not here: that schema is almanac's own and its provisioning creates it.
SOURCE_SCHEMAS = ("learning", "dssb_app", "spss_user_dracrm", "spss", "productivity", "tutoring")

#: Domains whose sources are tables (discourse reads the forum's Data Explorer API instead).
TABLE_SOURCED = ("learning", "softcollection", "productivity", "tutoring")


def create_source_tables(conn: Any, domains: tuple[str, ...] = TABLE_SOURCED) -> None:
    """Create the source systems' schemas and tables on a psycopg connection (idempotent), and commit."""
    with conn.cursor() as cur:
        for schema in SOURCE_SCHEMAS:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for domain in domains:
            cur.execute(read_sql("almanac.demo", f"{domain}_sources.sql"))
    conn.commit()


def domain_tables(domains: tuple[str, ...] = DOMAINS) -> list[DomainTables]:
    """Each domain's :class:`~almanac.provision.DomainTables` (``almanac.<domain>.tables.TABLES``)."""
    return [importlib.import_module(f"almanac.{domain}.tables").TABLES for domain in domains]


def provision_all(domains: tuple[str, ...] = DOMAINS) -> dict[str, Any]:
    """Provision every domain through its Airflow connections, exactly as each DAG's first task does."""
    return {tables.domain: provision(tables) for tables in domain_tables(domains)}


def demo_modules(domains: tuple[str, ...] = DOMAINS) -> Iterator[tuple[str, ModuleType]]:
    """``(domain, almanac.demo.<domain>_data)`` for each domain."""
    for domain in domains:
        yield domain, importlib.import_module(f"almanac.demo.{domain}_data")


def load_demo_data(conn: Any, domains: tuple[str, ...] = DOMAINS) -> dict[str, Any]:
    """Run ``almanac.demo.<domain>_data.load(conn)`` for each domain; returns their summaries."""
    summaries = {}
    for domain, module in demo_modules(domains):
        summaries[domain] = module.load(conn)
        conn.commit()
        log.info("demo data for %s: %s", domain, summaries[domain])
    return summaries
