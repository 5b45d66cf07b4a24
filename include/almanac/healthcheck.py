"""Connection check: can every database connection id answer ``SELECT 1``?

Run by the ``almanac_connection_check`` DAG after a deploy or a credentials change, so a broken
connection shows up as one red mapped instance (named after the connection) and a Slack alert,
before a nightly job trips over it. The forum (``discourse_api``) and Slack are not databases; they are
exercised by the discourse DAGs and by every alert.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from almanac import connections
from almanac.db import engine_for

log = logging.getLogger(__name__)

#: Every connection id that holds a database.
DATABASE_CONN_IDS = list(connections.WAREHOUSE_CONN_IDS)


def check_database_connection(conn_id: str) -> dict:
    """Open ``conn_id`` through its own hook and run ``SELECT 1`` (SQLAlchemy adds ``FROM DUAL`` on Oracle)."""
    engine = engine_for(conn_id)
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.literal(1))).scalar_one()
    if value != 1:
        raise RuntimeError(f"{conn_id}: SELECT 1 answered {value!r}")
    log.info("%s (%s) answers", conn_id, engine.dialect.name)
    return {"conn_id": conn_id, "dialect": engine.dialect.name, "ok": True}
