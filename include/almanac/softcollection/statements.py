"""SQLAlchemy Core tables and statements that run unchanged on Oracle (production) and Postgres.

Names are lower case and unquoted, so Oracle folds them to its upper-case DSSB_APP.SC_LOCAL_CONTROL
etc. and Postgres finds its lower-case dssb_app.sc_local_control (docs/contracts.md#connections). The engine comes from
the Airflow connection (its hook's connection through ``creator``), so the dialect follows the
connection type: ``oracle`` → oracle+oracledb, ``postgres`` → postgresql+psycopg.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

metadata = sa.MetaData()

#: The columns almanac writes in the three assignment tables (TAB1..TAB5 stay empty, as in the seed).
ASSIGNMENT_COLUMNS = ("iin", "theory_id", "date_start", "date_end", "insert_datetime")


def _assignment_table(name: str, schema: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("theory_id", sa.String(50), nullable=False),
        sa.Column("date_start", sa.Date, nullable=False),
        sa.Column("date_end", sa.Date, nullable=False),
        sa.Column("insert_datetime", sa.DateTime, nullable=False),
        *(sa.Column(f"tab{i}", sa.String(255)) for i in range(1, 6)),
        schema=schema,
    )


theories = sa.Table(
    "softcollection_theories",
    metadata,
    sa.Column("theory_id", sa.String(50), primary_key=True),
    sa.Column("theory_name", sa.String(255)),
    sa.Column("theory_start_date", sa.Date),
    sa.Column("theory_end_date", sa.Date),
    schema="dssb_app",
)
source_users = sa.Table(
    "sc_1_120",
    metadata,
    sa.Column("iin", sa.String(12)),
    sa.Column("count_day", sa.Integer),
    schema="spss_user_dracrm",
)
local_control = _assignment_table("sc_local_control", "dssb_app")
local_target = _assignment_table("sc_local_target", "dssb_app")
theory_users = _assignment_table("sc_theory_users", "spss")

# The tables almanac owns in DSSB_APP: the first successful plan of each run date D. SC_1_120 holds
# other users by the next day, so every writer of D and every later rerun of D reads this plan instead of
# planning again. One row per day planned (also when nobody was left to distribute), one per IIN placed.
plan_days = sa.Table(
    "almanac_distribution_days",
    metadata,
    sa.Column("run_date", sa.Date, primary_key=True),
    sa.Column("campaigns", sa.Integer, nullable=False),
    sa.Column("eligible_users", sa.Integer, nullable=False),
    sa.Column("already_assigned", sa.Integer, nullable=False),
    sa.Column("users_distributed", sa.Integer, nullable=False),
    sa.Column("planned_at", sa.DateTime, nullable=False),
    sa.Column("run_id", sa.String(250), nullable=False),
    schema="dssb_app",
)
plan_rows = sa.Table(
    "almanac_distribution_plan",
    metadata,
    sa.Column("run_date", sa.Date, primary_key=True),
    sa.Column("iin", sa.String(12), primary_key=True),
    sa.Column("campaign_id", sa.String(50), nullable=False),
    sa.Column("theory_id", sa.String(50), nullable=False),  # <campaign_id>.<1..5> for groups A..E
    sa.Column("date_end", sa.Date, nullable=False),
    schema="dssb_app",
)

ELIGIBLE_COUNT_DAY = 5


def active_campaigns(run_date: dt.date) -> sa.Select:
    return (
        sa.select(theories.c.theory_id, theories.c.theory_name, theories.c.theory_end_date)
        .where(theories.c.theory_start_date <= run_date, theories.c.theory_end_date >= run_date)
        .order_by(theories.c.theory_id)
    )


def eligible_iins() -> sa.Select:
    """Distinct IINs with COUNT_DAY = 5 (SPSS_USER_DRACRM)."""
    return sa.select(source_users.c.iin).where(source_users.c.count_day == ELIGIBLE_COUNT_DAY).distinct()


def already_assigned_iins(run_date: dt.date) -> sa.CompoundSelect:
    """IINs assigned before D to a campaign still running on D (DSSB_APP control and target).

    Only rows with DATE_START < D count: D's own rows are this run's, so a rerun of D plans the same.
    """
    return sa.union(
        *(
            sa.select(t.c.iin).where(t.c.date_start < run_date, t.c.date_end >= run_date)
            for t in (local_control, local_target)
        )
    )


PLAN_COLUMNS = ("run_date", "iin", "campaign_id", "theory_id", "date_end")


def lock_plan_days() -> sa.TextClause:
    """Serialise planners: the same statement on Oracle and Postgres, held until the transaction ends."""
    return sa.text("LOCK TABLE dssb_app.almanac_distribution_days IN EXCLUSIVE MODE")


def stored_plan(run_date: dt.date) -> sa.Select:
    """Users per (campaign, group THEORY_ID, DATE_END) in D's stored plan."""
    p = plan_rows.c
    return (
        sa.select(p.campaign_id, p.theory_id, p.date_end, sa.func.count())
        .where(p.run_date == run_date)
        .group_by(p.campaign_id, p.theory_id, p.date_end)
        .order_by(p.campaign_id, p.theory_id)
    )


def planned_at(run_date: dt.date) -> sa.Select:
    """When D was planned: the INSERT_DATETIME of every row written for D (raises if D has no plan)."""
    return sa.select(plan_days.c.planned_at).where(plan_days.c.run_date == run_date)


def plan_rows_of(run_date: dt.date, theory_ids: Sequence[str], stamp: dt.datetime) -> sa.Select:
    """D's planned rows for these group THEORY_IDs, shaped as assignment rows (ASSIGNMENT_COLUMNS)."""
    p = plan_rows.c
    return sa.select(p.iin, p.theory_id, p.run_date, p.date_end, sa.literal(stamp, sa.DateTime)).where(
        p.run_date == run_date, p.theory_id.in_(list(theory_ids))
    )


def copy_plan_into(table: sa.Table, run_date: dt.date, theory_ids: Sequence[str], stamp: dt.datetime) -> sa.Insert:
    """INSERT … SELECT of D's planned rows into an assignment table in the same database (DSSB_APP)."""
    return sa.insert(table).from_select(list(ASSIGNMENT_COLUMNS), plan_rows_of(run_date, theory_ids, stamp))


def plan_group_counts(run_date: dt.date, campaign_id: str) -> sa.Select:
    """(group THEORY_ID, users) of one campaign in D's stored plan."""
    p = plan_rows.c
    return (
        sa.select(p.theory_id, sa.func.count())
        .where(p.run_date == run_date, p.campaign_id == campaign_id)
        .group_by(p.theory_id)
    )


def delete_campaign_day(table: sa.Table, theory_ids: Sequence[str], run_date: dt.date) -> sa.Delete:
    """D's rows of one campaign's group THEORY_IDs: what a rerun replaces."""
    return sa.delete(table).where(table.c.date_start == run_date, table.c.theory_id.in_(list(theory_ids)))
