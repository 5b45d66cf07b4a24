"""Connection ids (fixed by docs/contracts.md#connections). Every one can be set with an ``AIRFLOW_CONN_<ID>`` env var."""

from __future__ import annotations

DISCOURSE_API = "discourse_api"
DISCOURSE_DB = "discourse_viz_db"
LEARNING_DB = "learning_db"
SOFTCOLLECTION_DSSB = "softcollection_dssb"
SOFTCOLLECTION_SPSS = "softcollection_spss"
PRODUCTIVITY_DB = "productivity_db"
TUTORING_DB = "tutoring_db"
SLACK_ALERTS = "slack_alerts"

#: The database connections that the embedded runtime points at its one warehouse database.
WAREHOUSE_CONN_IDS = (
    DISCOURSE_DB,
    LEARNING_DB,
    SOFTCOLLECTION_DSSB,
    SOFTCOLLECTION_SPSS,
    PRODUCTIVITY_DB,
    TUTORING_DB,
)
