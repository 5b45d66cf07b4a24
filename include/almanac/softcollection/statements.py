"""SQLAlchemy Core tables and statements that run unchanged on Oracle (production) and Postgres.

Names are lower case and unquoted, so Oracle folds them to its upper-case DSSB_APP.SC_LOCAL_CONTROL
etc. and Postgres finds its lower-case dssb_app.sc_local_control (docs/contracts.md#connections). The engine comes from
the Airflow connection (its hook's connection through ``creator``), so the dialect follows the
connection type: ``oracle`` → oracle+oracledb, ``postgres`` → postgresql+psycopg.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from almanac.softcollection.transform import GROUPS, shuffle_seed

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
    # COUNT_DAY = 5 rows of SC_1_120 whose IIN is not 12 digits (or NULL): left out, counted (version 3)
    sa.Column("invalid_iins", sa.Integer, nullable=False, server_default="0"),
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
# D's eligible IINs, streamed from SPSS while D is planned and deleted in the same transaction: SC_1_120
# lives in another database than the assignments they are checked against. Empty between plans.
plan_candidates = sa.Table(
    "almanac_distribution_candidates",
    metadata,
    sa.Column("run_date", sa.Date, nullable=False),
    sa.Column("iin", sa.String(12), nullable=False),
    schema="dssb_app",
)
CANDIDATE_COLUMNS = ("run_date", "iin")
PLAN_COLUMNS = ("run_date", "iin", "campaign_id", "theory_id", "date_end")

ELIGIBLE_COUNT_DAY = 5


def active_campaigns(run_date: dt.date) -> sa.Select:
    return (
        sa.select(theories.c.theory_id, theories.c.theory_name, theories.c.theory_end_date)
        .where(theories.c.theory_start_date <= run_date, theories.c.theory_end_date >= run_date)
        .order_by(theories.c.theory_id)
    )


#: An IIN is 12 digits; anything else in SC_1_120 is a bad source row (REGEXP_LIKE on Oracle, ~ on Postgres).
IIN_PATTERN = "^[0-9]{12}$"


def _has_valid_iin() -> sa.ColumnElement:
    """The one test of a well-formed IIN, shared by the plan's users and the count of rows left out."""
    return source_users.c.iin.regexp_match(IIN_PATTERN)


def eligible_iins() -> sa.Select:
    """Distinct well-formed IINs with COUNT_DAY = 5 (SPSS_USER_DRACRM)."""
    u = source_users.c
    return sa.select(u.iin).where(u.count_day == ELIGIBLE_COUNT_DAY, _has_valid_iin()).distinct()


def invalid_eligible_rows() -> sa.Select:
    """COUNT_DAY = 5 rows whose IIN is NULL or not 12 digits: excluded from the plan, counted."""
    u = source_users.c
    return (
        sa.select(sa.func.count())
        .select_from(source_users)
        .where(u.count_day == ELIGIBLE_COUNT_DAY, sa.or_(u.iin.is_(None), ~_has_valid_iin()))
    )


class Md5Digest(FunctionElement):
    """The 16 raw bytes of MD5(text), ordered byte by byte on both dialects (as Python's digest())."""

    type = sa.LargeBinary()
    inherit_cache = True


@compiles(Md5Digest, "postgresql")
def _md5_postgres(element, compiler, **kw):
    return f"decode(md5({compiler.process(element.clauses, **kw)}), 'hex')"


@compiles(Md5Digest, "oracle")
def _md5_oracle(element, compiler, **kw):
    return f"STANDARD_HASH({compiler.process(element.clauses, **kw)}, 'MD5')"


def _integer(expression: sa.ColumnElement) -> sa.ColumnElement:
    """Typed as an integer, so ``//`` stays integer division (plain ``/`` on Postgres, FLOOR on Oracle)."""
    return sa.type_coerce(expression, sa.Integer)


def _case(value: sa.ColumnElement, choices: Sequence, type_: sa.types.TypeEngine) -> sa.Case:
    return sa.case({i: sa.literal(choice, type_) for i, choice in enumerate(choices)}, value=value)


def insert_plan(run_date: dt.date, campaigns: Mapping[str, dt.date]) -> sa.Insert:
    """D's plan in one INSERT … SELECT: D's candidates minus the IINs already assigned before D to a campaign
    still running on D (control or target, DATE_START < D, so a rerun of D plans the same), ordered by
    MD5("YYYYMMDD:" || IIN) then IIN, split over ``campaigns`` (theory_id → DATE_END) and groups A–E by
    the rules of :func:`almanac.softcollection.transform.build_distribution_plan`, computed from each
    IIN's position: campaign ``min(pos // base, k - 1)`` with base = n // k, then the same within its share.
    """
    c = plan_candidates.c
    assigned = [
        sa.select(t.c.iin).where(t.c.iin == c.iin, t.c.date_start < run_date, t.c.date_end >= run_date).exists()
        for t in (local_control, local_target)
    ]
    shuffled = sa.func.row_number().over(order_by=(Md5Digest(sa.literal(shuffle_seed(run_date)) + c.iin), c.iin))
    available = (
        sa.select(c.iin, _integer(shuffled - 1).label("pos"), sa.func.count().over().label("n"))
        .where(c.run_date == run_date, ~assigned[0], ~assigned[1])
        .subquery("available")
    )
    k = len(campaigns)
    base = available.c.n // k
    placed = sa.select(
        available.c.iin,
        available.c.pos,
        available.c.n,
        _integer(sa.case((base == 0, k - 1), else_=sa.func.least(available.c.pos // base, k - 1))).label("campaign"),
    ).subquery("placed")
    base = placed.c.n // k
    share = _integer(sa.case((placed.c.campaign == k - 1, placed.c.n - base * (k - 1)), else_=base))
    offset = placed.c.pos - placed.c.campaign * base
    group_base = share // len(GROUPS)
    last = len(GROUPS) - 1
    group = _integer(sa.case((group_base == 0, last), else_=sa.func.least(offset // group_base, last)))
    theory_ids = sorted(campaigns)
    campaign_id = _case(placed.c.campaign, theory_ids, sa.String(50))
    rows = sa.select(
        sa.literal(run_date, sa.Date),
        placed.c.iin,
        campaign_id,
        campaign_id + "." + sa.cast(group + 1, sa.String(1)),
        _case(placed.c.campaign, [campaigns[t] for t in theory_ids], sa.Date()),
    ).order_by(placed.c.iin)  # the plan's key order: appending to its index beats inserting at random
    return sa.insert(plan_rows).from_select(list(PLAN_COLUMNS), rows)


def candidates_of(run_date: dt.date) -> sa.Select:
    return sa.select(sa.func.count()).select_from(plan_candidates).where(plan_candidates.c.run_date == run_date)


def delete_candidates(run_date: dt.date) -> sa.Delete:
    return sa.delete(plan_candidates).where(plan_candidates.c.run_date == run_date)


def plan_sample(run_date: dt.date, per_group: int) -> sa.Select:
    """The first ``per_group`` IINs (by IIN) of every group THEORY_ID in D's plan, for masked dry-run logs."""
    p = plan_rows.c
    ranked = (
        sa.select(p.theory_id, p.iin, sa.func.row_number().over(partition_by=p.theory_id, order_by=p.iin).label("n"))
        .where(p.run_date == run_date)
        .subquery()
    )
    return (
        sa.select(ranked.c.theory_id, ranked.c.iin)
        .where(ranked.c.n <= per_group)
        .order_by(ranked.c.theory_id, ranked.c.iin)
    )


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


def first_later_day_that_placed_users(run_date: dt.date) -> sa.Select:
    """The earliest day after D whose stored plan placed anyone (NULL when none)."""
    days = plan_days.c
    return sa.select(sa.func.min(days.run_date)).where(days.run_date > run_date, days.users_distributed > 0)


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
