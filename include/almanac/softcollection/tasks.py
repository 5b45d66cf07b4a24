"""What the ``softcollection_daily_distribution`` DAG calls.

The plan of run date D is decided once and kept. SC_1_120 is a counter without a date: by the next day it
holds other users, so planning D again later would place other people, some already placed on D+1.
``build_plan`` therefore stores D's first plan in almanac's own tables in DSSB_APP (one row per IIN placed,
and one per day planned, even when nobody was left), and every mapped writer of D, and every later rerun
of D, writes exactly that plan. Writers copy the plan into DSSB_APP's assignment tables with one
``INSERT … SELECT`` each, and into SPSS (another database) in bulk.

IINs never leave the databases and this process' memory: XCom, logs and Slack carry counts, campaign ids
and masked samples only. Database errors are re-raised with their text redacted, since a driver's
message can quote a row.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import psycopg
import sqlalchemy as sa

from almanac.calendar import business_date, run_reference_time
from almanac.connections import SOFTCOLLECTION_DSSB, SOFTCOLLECTION_SPSS
from almanac.db import copy_rows, engine_for
from almanac.notify import format_summary, mask_identifier, redact, send_message_quietly
from almanac.softcollection import statements as st
from almanac.softcollection.transform import CONTROL_GROUP, GROUPS, PlanDecision, group_theory_id

log = logging.getLogger(__name__)

#: Rows per fetch from a server-side cursor and per executemany on Oracle: what this process holds at once.
FETCH_BATCH = 10_000


@contextmanager
def redacted_errors(stage: str) -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as exc:
        raise RuntimeError(f"{stage}: {redact(str(exc.orig))}") from None
    except psycopg.Error as exc:  # COPY runs on the raw driver connection
        raise RuntimeError(f"{stage}: {redact(str(exc))}") from None


def run_date(context: Mapping[str, Any]) -> dt.date:
    """D = the run's data_interval_end date in Asia/Almaty (``run_after`` for runs without one)."""
    return business_date(context, tz="Asia/Almaty")


def find_active_campaigns(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """Campaigns running on D, from DSSB_APP (used to plan D when it has no stored plan yet)."""
    day = run_date(context)
    with redacted_errors("find_active_campaigns"), engine_for(SOFTCOLLECTION_DSSB).connect() as conn:
        rows = conn.execute(st.active_campaigns(day)).all()
    campaigns = [{"theory_id": r[0], "theory_name": r[1], "end_date": r[2].isoformat()} for r in rows]
    log.info(
        "run date %s (Asia/Almaty): %d active campaign(s): %s",
        day,
        len(campaigns),
        ", ".join(c["theory_id"] for c in campaigns) or "none",
    )
    return campaigns


def build_plan(context: Mapping[str, Any], campaigns: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """D's plan: the stored one if D was planned before, else a new one planned in DSSB_APP from the live
    sources and stored in the same transaction (a dry run rolls it back). Returns counts and the campaigns
    to write, never an IIN."""
    day = run_date(context)
    dry_run = bool(context["params"].get("dry_run"))
    with redacted_errors("build_plan"), engine_for(SOFTCOLLECTION_DSSB).connect() as conn:
        with conn.begin() as transaction:
            conn.execute(st.lock_plan_days())  # one planner per database at a time: D is planned once
            decision = load_plan(conn, day)
            planned_before = decision is not None
            if decision is None:
                refuse_after_a_later_day(conn, day)
                plan_day(conn, context, day, campaigns)
                decision = load_plan(conn, day)
            summary = decision.summary(dry_run)
            if dry_run:
                log.info(
                    "dry run: %s",
                    f"{day} was planned before ({decision.run_id})" if planned_before else "planned, to be rolled back",
                )
                sample: dict[str, list[str]] = {}
                for theory_id, iin in conn.execute(st.plan_sample(day, per_group=2)):
                    sample.setdefault(theory_id, []).append(mask_identifier(iin))
                log.info("masked sample per group: %s", sample)
                transaction.rollback()
    log.info(
        "plan for %s (%s): %d eligible (COUNT_DAY = 5), %d already in an active campaign, %d to distribute over %d"
        " campaign(s)",
        day,
        "stored" if planned_before else "new",
        decision.eligible_users,
        decision.already_assigned,
        decision.users_distributed,
        decision.campaigns,
    )
    for theory_id, counts in summary["per_campaign"].items():
        log.info("  %s: %s", theory_id, counts)
    return {**summary, "campaigns_to_write": decision.campaign_list()}


def refuse_after_a_later_day(conn: sa.Connection, day: dt.date) -> None:
    """D has no plan but a later day placed users: SC_1_120 keeps no dates and now holds that later day's
    users, so planning D from it would place them a second time under D, maybe in another group (control
    on one day, a target on the other). D's own users are gone from the source; fail without retry."""
    later = conn.execute(st.first_later_day_that_placed_users(day)).scalar_one()
    if later is not None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(
            f"{day} was never planned and {later} has been planned since: SC_1_120 keeps no dates, so planning"
            f" {day} now would place {later}'s users a second time. {day} can no longer be distributed; nothing"
            " was written"
        )


def plan_day(
    conn: sa.Connection, context: Mapping[str, Any], day: dt.date, campaigns: Sequence[Mapping[str, str]]
) -> None:
    """Plan D inside the caller's DSSB transaction: stream D's eligible IINs from SPSS into DSSB_APP's
    candidates table (COPY on Postgres), place them with one INSERT … SELECT, drop the candidates, and
    write D's day row. Nothing holds the IINs in this process beyond one fetch batch."""
    eligible = distributed = invalid = 0
    if campaigns:
        with engine_for(SOFTCOLLECTION_SPSS).connect() as spss:
            invalid = spss.execute(st.invalid_eligible_rows()).scalar_one()
            rows = spss.execution_options(yield_per=FETCH_BATCH).execute(st.eligible_iins())
            eligible = bulk_insert(conn, st.plan_candidates, st.CANDIDATE_COLUMNS, ((day, iin) for (iin,) in rows))
        if invalid:
            log.warning("%d SC_1_120 row(s) with COUNT_DAY = 5 have no valid IIN (12 digits): left out", invalid)
        ends = {c["theory_id"]: dt.date.fromisoformat(c["end_date"]) for c in campaigns}
        distributed = conn.execute(st.insert_plan(day, ends), execution_options={"preserve_rowcount": True}).rowcount
        conn.execute(st.delete_candidates(day))
    planned_at = run_reference_time(context).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    day_row = {
        "run_date": day,
        "campaigns": len(campaigns),
        "eligible_users": eligible,
        "already_assigned": eligible - distributed,
        "users_distributed": distributed,
        "invalid_iins": invalid,
        "planned_at": planned_at,
        "run_id": context["dag_run"].run_id,
    }
    conn.execute(sa.insert(st.plan_days).values(**day_row))


def load_plan(conn: sa.Connection, day: dt.date) -> PlanDecision | None:
    """D's stored plan (None when D was never planned)."""
    row = conn.execute(sa.select(st.plan_days).where(st.plan_days.c.run_date == day)).mappings().first()
    if row is None:
        return None
    return PlanDecision.from_rows(row, conn.execute(st.stored_plan(day)).all())


class Path(enum.Enum):
    """What a run of D does after planning; the DAG file maps each to its task."""

    NO_CAMPAIGNS = "no active campaigns"
    NO_USERS = "no eligible users left to distribute"
    DRY_RUN = "dry run: report the plan, write nothing"
    WRITE = "write the plan"


def choose_path(summary: Mapping[str, Any]) -> Path:
    if not summary["campaigns"]:
        return Path.NO_CAMPAIGNS
    if not summary["users_to_distribute"]:
        return Path.NO_USERS
    if summary["dry_run"]:
        return Path.DRY_RUN
    return Path.WRITE


def bulk_insert(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY on Postgres (inside the same transaction), executemany with array binds of FETCH_BATCH rows
    elsewhere (Oracle); ``rows`` is consumed as it comes, never held whole."""
    if conn.dialect.name == "postgresql":
        with conn.connection.dbapi_connection.cursor() as cur:
            return copy_rows(cur, f"{table.schema}.{table.name}", columns, rows)
    count = 0
    rows = iter(rows)
    while batch := [dict(zip(columns, row, strict=True)) for row in islice(rows, FETCH_BATCH)]:
        conn.execute(sa.insert(table), batch)
        count += len(batch)
    return count


def write_campaign(context: Mapping[str, Any], campaign: Mapping[str, str]) -> dict[str, Any]:
    """Replace D's rows of one campaign with its stored plan: A → DSSB_APP.SC_local_control, B–E →
    DSSB_APP.SC_local_target, then B–E → SPSS.SC_theory_users. Each database in one transaction; DSSB
    first, so a crash between the two is healed by the rerun, which replaces both."""
    day = run_date(context)
    theory_id = campaign["theory_id"]
    group_ids = [group_theory_id(theory_id, g) for g in GROUPS]
    control_id = group_theory_id(theory_id, CONTROL_GROUP)
    # One DSSB session per writer (Oracle's connection setup is not free): its tables in one transaction,
    # committed, then the plan streamed from it into SPSS.
    with redacted_errors("connect_dssb"), engine_for(SOFTCOLLECTION_DSSB).connect() as dssb:
        with redacted_errors("write_dssb"), dssb.begin():
            planned_at = dssb.execute(st.planned_at(day)).scalar_one()
            for table, theory_ids in ((st.local_control, [control_id]), (st.local_target, group_ids[1:])):
                dssb.execute(st.delete_campaign_day(table, group_ids, day))
                dssb.execute(st.copy_plan_into(table, day, theory_ids, planned_at))
            counts = dict(dssb.execute(st.plan_group_counts(day, theory_id)).all())
        groups = {g: counts.get(group_theory_id(theory_id, g), 0) for g in GROUPS}
        target = sum(groups.values()) - groups[CONTROL_GROUP]
        log.info("%s: DSSB_APP written (control %d, target %d)", theory_id, groups[CONTROL_GROUP], target)
        with redacted_errors("write_spss"), engine_for(SOFTCOLLECTION_SPSS).begin() as spss:
            spss.execute(st.delete_campaign_day(st.theory_users, group_ids, day))
            plan = st.plan_rows_of(day, group_ids[1:], planned_at)
            rows = dssb.execution_options(yield_per=FETCH_BATCH).execute(plan)
            written = bulk_insert(spss, st.theory_users, st.ASSIGNMENT_COLUMNS, rows)
            if written != target:  # raised inside the SPSS transaction, so it rolls back
                raise RuntimeError(
                    f"{theory_id}: SPSS got {written} rows of the plan's {target}; nothing committed there"
                )
    log.info("%s: SPSS written (target %d)", theory_id, written)
    return {"theory_id": theory_id, "groups": groups, "control": groups[CONTROL_GROUP], "target": target}


def notify_skip(context: Mapping[str, Any], reason: str) -> str:
    """Tell Slack the day was skipped; a dry run only logs it (a preview notifies nobody)."""
    if context["params"].get("dry_run"):
        log.info("dry run: would skip: %s (nobody notified)", reason)
        return reason
    text = f":information_source: *softcollection_daily_distribution* {run_date(context)}: skipped — {reason}"
    send_message_quietly(text)
    log.info("skipped: %s", reason)
    return reason


def report_dry_run(summary: Mapping[str, Any]) -> dict[str, Any]:
    log.info("dry run: nothing written; plan %s", summary["per_campaign"])
    return dict(summary)


def report_success(context: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    day = run_date(context)
    fields: dict[str, Any] = {}
    for r in results:
        fields[r["theory_id"]] = ", ".join(f"{g} {n}" for g, n in r["groups"].items())
    total = sum(r["control"] + r["target"] for r in results)
    fields["users distributed"] = total
    fields["tables written"] = "DSSB_APP.SC_local_control, DSSB_APP.SC_local_target, SPSS.SC_theory_users"
    send_message_quietly(format_summary(f"softcollection_daily_distribution {day}: {len(results)} campaign(s)", fields))
    return {"run_date": day.isoformat(), "campaigns": len(results), "users_distributed": total}
