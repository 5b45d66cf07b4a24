"""
### almanac_connection_check

Checks that every warehouse connection of almanac (docs/contracts.md#connections) answers `SELECT 1`.

**When**: manual only — trigger it after a deploy or a credentials change.
**Tasks**: `check_connection` is mapped over the connection ids; each instance is named after its id.
**On failure**: that instance goes red and Slack gets an alert naming the task and the error.
**Clearing** an instance re-checks that one connection; it writes nothing anywhere.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.healthcheck import DATABASE_CONN_IDS, check_database_connection


@almanac_dag(
    schedule=None,
    tags=["platform"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=2)},
)
def almanac_connection_check():
    @task(map_index_template="{{ conn_id }}")
    def check_connection(conn_id: str) -> dict:
        get_current_context()["conn_id"] = conn_id  # names the mapped instance in the UI
        return check_database_connection(conn_id)

    check_connection.expand(conn_id=DATABASE_CONN_IDS)


almanac_connection_check()
