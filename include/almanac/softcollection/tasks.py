"""What the ``softcollection_daily_distribution`` DAG calls.

IINs never leave the databases and this process' memory: XCom, logs and Slack carry counts, campaign ids
and masked samples only. Database errors are re-raised with their text redacted, since a driver's
message can quote a row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa

from almanac.calendar import business_date, run_reference_time
from almanac.connections import SOFTCOLLECTION_DSSB, SOFTCOLLECTION_SPSS
from almanac.db import copy_rows, engine_for
from almanac.notify import format_summary, mask_identifier, redact, send_message_quietly
from almanac.softcollection import statements as st
from almanac.softcollection.transform import (
    CONTROL_GROUP,
    GROUPS,
    CampaignPlan,
    build_distribution_plan,
    group_theory_id,
)

log = logging.getLogger(__name__)


@contextmanager
def redacted_errors(stage: str) -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as exc:
        raise RuntimeError(f"{stage}: {redact(str(exc.orig))}") from None
    except psycopg.Error as exc:  # COPY runs on the raw driver connection
        raise RuntimeError(f"{stage}: {redact(str(exc))}") from None


def run_date(context: Mapping[str, Any]) -> dt.date:
    """D = the run's data_interval_end date in Asia/Almaty (DESIGN.md §3)."""
    return business_date(context, tz="Asia/Almaty")


def find_active_campaigns(context: Mapping[str, Any]) -> list[dict[str, str]]:
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


def compute_plan(day: dt.date, campaigns: Sequence[Mapping[str, str]]) -> tuple[list[CampaignPlan], int, int]:
    """(plans, eligible IINs, already assigned and left out). Deterministic for D: every mapped
    instance recomputes it instead of passing IINs through XCom."""
    with redacted_errors("build_plan"):
        with engine_for(SOFTCOLLECTION_SPSS).connect() as conn:
            eligible = {r[0] for r in conn.execute(st.eligible_iins())}
        with engine_for(SOFTCOLLECTION_DSSB).connect() as conn:
            assigned = {r[0] for r in conn.execute(st.already_assigned_iins(day))}
    available = eligible - assigned
    plans = build_distribution_plan(sorted(available), [c["theory_id"] for c in campaigns], day)
    return plans, len(eligible), len(eligible & assigned)


def build_plan(context: Mapping[str, Any], campaigns: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """Counts of the plan for D (and, with dry_run, a masked sample in the log)."""
    day = run_date(context)
    plans, eligible, already = compute_plan(day, campaigns) if campaigns else ([], 0, 0)
    summary = {
        "run_date": day.isoformat(),
        "campaigns": len(campaigns),
        "eligible_users": eligible,
        "already_assigned": already,
        "users_to_distribute": sum(p.total for p in plans),
        "per_campaign": {p.theory_id: p.counts() for p in plans},
        "dry_run": bool(context["params"].get("dry_run")),
    }
    log.info(
        "plan for %s: %d eligible (COUNT_DAY = 5), %d already in an active campaign, %d to distribute over %d campaign(s)",
        day,
        eligible,
        already,
        summary["users_to_distribute"],
        len(plans),
    )
    for plan in plans:
        log.info("  %s: %s", plan.theory_id, plan.counts())
        if summary["dry_run"]:
            sample = {g: [mask_identifier(i) for i in plan.groups[g][:2]] for g in GROUPS}
            log.info("  %s masked sample: %s", plan.theory_id, sample)
    return summary


def choose_path(summary: Mapping[str, Any]) -> str:
    if not summary["campaigns"]:
        return "notify_no_campaigns"
    if not summary["users_to_distribute"]:
        return "notify_no_users"
    if summary["dry_run"]:
        return "report_dry_run"
    return "write_campaign"


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY on Postgres (inside the same transaction), executemany with array binds elsewhere (Oracle)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        with conn.connection.dbapi_connection.cursor() as cur:
            copy_rows(
                cur,
                f"{table.schema}.{table.name}",
                st.ASSIGNMENT_COLUMNS,
                ([r[c] for c in st.ASSIGNMENT_COLUMNS] for r in rows),
            )
    else:
        conn.execute(st.insert_assignments(table), rows)


def _rows(iins: Sequence[str], theory_id: str, day: dt.date, end: dt.date, stamp: dt.datetime) -> list[dict]:
    return [
        {"iin": iin, "theory_id": theory_id, "date_start": day, "date_end": end, "insert_datetime": stamp}
        for iin in iins
    ]


def write_campaign(context: Mapping[str, Any], campaign: Mapping[str, str]) -> dict[str, Any]:
    """Replace D's rows of one campaign: A → DSSB_APP.SC_local_control, B–E → DSSB_APP.SC_local_target,
    then B–E → SPSS.SC_theory_users. Each database in one transaction; DSSB first, so a crash between the
    two is healed by the rerun, which replaces both."""
    day = run_date(context)
    theory_id = campaign["theory_id"]
    end = dt.date.fromisoformat(campaign["end_date"])
    stamp = run_reference_time(context).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    plans, _, _ = compute_plan(day, find_campaigns_for_plan(context))
    plan = next(p for p in plans if p.theory_id == theory_id)
    group_ids = [group_theory_id(theory_id, g) for g in GROUPS]
    control = _rows(plan.groups[CONTROL_GROUP], group_theory_id(theory_id, CONTROL_GROUP), day, end, stamp)
    target = [
        row
        for g in GROUPS
        if g != CONTROL_GROUP
        for row in _rows(plan.groups[g], group_theory_id(theory_id, g), day, end, stamp)
    ]
    with redacted_errors("write_dssb"), engine_for(SOFTCOLLECTION_DSSB).begin() as conn:
        for table, rows in ((st.local_control, control), (st.local_target, target)):
            conn.execute(st.delete_campaign_day(table, group_ids, day))
            bulk_insert(conn, table, rows)
    log.info("%s: DSSB_APP written (control %d, target %d)", theory_id, len(control), len(target))
    with redacted_errors("write_spss"), engine_for(SOFTCOLLECTION_SPSS).begin() as conn:
        conn.execute(st.delete_campaign_day(st.theory_users, group_ids, day))
        bulk_insert(conn, st.theory_users, target)
    log.info("%s: SPSS written (target %d)", theory_id, len(target))
    return {"theory_id": theory_id, "groups": plan.counts(), "control": len(control), "target": len(target)}


def find_campaigns_for_plan(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """The active campaigns as ``find_active_campaigns`` returned them (the plan needs all of them)."""
    return context["ti"].xcom_pull(task_ids="find_active_campaigns")


def notify_skip(context: Mapping[str, Any], reason: str) -> str:
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
