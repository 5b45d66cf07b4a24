"""The warehouse layout the embedded runtime and the tests create (DESIGN.md §2).

Each domain owns ``almanac/<domain>/sql/schema.sql`` (idempotent DDL: ``CREATE ... IF NOT EXISTS``)
for its source and output tables, and may own ``almanac/demo/<domain>_data.py`` with a
``load(conn)`` function that fills the sources with synthetic data. This module finds them by name,
so adding a domain needs no edit here beyond :data:`DOMAINS`.

In production the source tables belong to the source systems; only the embedded runtime and the
tests create them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from importlib import resources
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

DOMAINS = ("discourse", "learning", "softcollection", "productivity", "tutoring")

#: Schemas of DESIGN.md §2 (lower case, unquoted; the Oracle schemas of softcollection included).
SCHEMAS = ("discourse", "learning", "dssb_app", "spss_user_dracrm", "spss", "productivity", "tutoring")


def domain_schema_sql(domain: str) -> str | None:
    """The DDL text of ``almanac/<domain>/sql/schema.sql``, or None while the domain has none."""
    try:
        return resources.files(f"almanac.{domain}").joinpath("sql/schema.sql").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def create_schemas(conn: Any) -> list[str]:
    """Create every schema and each domain's tables on a psycopg connection; returns the domains applied."""
    applied = []
    with conn.cursor() as cur:
        for schema in SCHEMAS:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for domain in DOMAINS:
            ddl = domain_schema_sql(domain)
            if ddl:
                cur.execute(ddl)
                applied.append(domain)
    conn.commit()
    return applied


def demo_modules(domains: tuple[str, ...] = DOMAINS) -> Iterator[tuple[str, ModuleType]]:
    """``(domain, almanac.demo.<domain>_data)`` for each domain that has a demo module."""
    for domain in domains:
        name = f"almanac.demo.{domain}_data"
        try:
            yield domain, importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing import inside the module is a real error
                raise


def load_demo_data(conn: Any, domains: tuple[str, ...] = DOMAINS) -> dict[str, Any]:
    """Run ``almanac.demo.<domain>_data.load(conn)`` for each domain that has one; returns their summaries."""
    summaries = {}
    for domain, module in demo_modules(domains):
        summaries[domain] = module.load(conn)
        conn.commit()
        log.info("demo data for %s: %s", domain, summaries[domain])
    return summaries
