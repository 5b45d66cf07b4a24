"""Connection check: can every warehouse connection id answer ``SELECT 1``?

Run by the ``almanac_connection_check`` DAG after a deploy or a credentials change, so a broken
connection shows up as one red mapped instance (named after the connection) and a Slack alert,
before a nightly job trips over it.
"""

from __future__ import annotations

import logging

from almanac import connections

log = logging.getLogger(__name__)

#: Connections of DESIGN.md §2 that hold a database (Slack and Discourse are checked by their own DAGs).
DATABASE_CONN_IDS = list(connections.WAREHOUSE_CONN_IDS)


def check_database_connection(conn_id: str) -> dict:
    """Open ``conn_id`` with its own hook type and run ``SELECT 1`` (``FROM DUAL`` on Oracle)."""
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    probe = "SELECT 1 FROM DUAL" if hook.conn_type == "oracle" else "SELECT 1"
    value = hook.get_first(probe)[0]
    if value != 1:
        raise RuntimeError(f"{conn_id}: {probe!r} answered {value!r}")
    log.info("%s (%s) answers", conn_id, hook.conn_type)
    return {"conn_id": conn_id, "conn_type": hook.conn_type, "ok": True}
