"""What the softcollection DAG owns and reads on the bank's Oracle (Postgres in the embedded runtime).

almanac owns only its plan tables in DSSB_APP (``statements.plan_days`` / ``plan_rows`` / ``plan_candidates``), created by the
DAG's ``provision_tables`` task through SQLAlchemy Core, so the same DDL compiles for Oracle and Postgres.
The campaigns, SC_1_120 and the three assignment tables (SC_local_control, SC_local_target,
SPSS.SC_theory_users) belong to the bank: they are checked, never created.
"""

from __future__ import annotations

import sqlalchemy as sa

from almanac.connections import SOFTCOLLECTION_DSSB, SOFTCOLLECTION_SPSS
from almanac.provision import DomainTables, Migration, SourceTable
from almanac.softcollection import statements as st
from almanac.softcollection.statements import ASSIGNMENT_COLUMNS


def _create_plan_tables(conn: sa.Connection) -> None:
    st.metadata.create_all(conn, tables=[st.plan_days, st.plan_rows], checkfirst=True)


def _create_candidates_table(conn: sa.Connection) -> None:
    st.metadata.create_all(conn, tables=[st.plan_candidates], checkfirst=True)


def _add_invalid_iins(conn: sa.Connection) -> None:
    """Version 3's column on installs whose day table predates it (a new install's version 1 has it)."""
    columns = {c["name"].lower() for c in sa.inspect(conn).get_columns("almanac_distribution_days", schema="dssb_app")}
    if "invalid_iins" not in columns:  # Oracle commits DDL itself: a rerun after a failure skips it
        conn.execute(
            sa.text("ALTER TABLE dssb_app.almanac_distribution_days ADD invalid_iins INTEGER DEFAULT 0 NOT NULL")
        )


TABLES = DomainTables(
    domain="softcollection",
    conn_id=SOFTCOLLECTION_DSSB,
    schema="dssb_app",
    migrations=(
        Migration(1, "distribution plan tables", _create_plan_tables),
        Migration(2, "candidates table: the plan is computed in DSSB_APP", _create_candidates_table),
        Migration(3, "invalid IINs counted per day", _add_invalid_iins),
    ),
    sources=(
        SourceTable(
            SOFTCOLLECTION_DSSB,
            "dssb_app.softcollection_theories",
            ("theory_id", "theory_name", "theory_start_date", "theory_end_date"),
        ),
        SourceTable(SOFTCOLLECTION_SPSS, "spss_user_dracrm.sc_1_120", ("iin", "count_day")),
        SourceTable(SOFTCOLLECTION_DSSB, "dssb_app.sc_local_control", ASSIGNMENT_COLUMNS),
        SourceTable(SOFTCOLLECTION_DSSB, "dssb_app.sc_local_target", ASSIGNMENT_COLUMNS),
        SourceTable(SOFTCOLLECTION_SPSS, "spss.sc_theory_users", ASSIGNMENT_COLUMNS),
    ),
)
