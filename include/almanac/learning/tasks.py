"""What the learning DAGs call: business dates from the run, one SQL statement per step, small summaries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from almanac.calendar import business_date, run_reference_time, start_of_day, week_start
from almanac.connections import LEARNING_DB
from almanac.db import execute_script, postgres_hook, read_sql, transaction
from almanac.notify import format_summary, send_message_quietly

log = logging.getLogger(__name__)

PACKAGE = "almanac.learning"
COVERAGE_WARNING_BELOW = 0.90


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = start_of_day(day)
    return start, start + dt.timedelta(days=1)


def snapshot_day(context: Mapping[str, Any]) -> dt.date:
    """D = the last full UTC day before the run's data_interval_end (docs/contracts.md#business-dates)."""
    return business_date(context, days_before=1)


def create_daily_snapshots(context: Mapping[str, Any]) -> dict[str, Any]:
    """Replace day D's snapshots for every eligible student in one transaction; warn below 90% coverage.

    Counts: ``success`` = snapshots written; ``skipped`` = active students with no lesson progress up to
    the end of D (nothing to snapshot); ``errors`` = active students with progress but impossible data
    (negative time, quiz score outside 0–100), excluded. Coverage = success / (success + errors): the
    share of the students who should have a snapshot that got one.
    """
    day = snapshot_day(context)
    day_start, day_end = day_bounds(day)
    params = {"day": day, "day_start": day_start, "day_end": day_end, "created_at": run_reference_time(context)}
    with transaction(LEARNING_DB) as conn:
        conn.execute(read_sql(PACKAGE, "snapshot_excluded.sql"), params)
        active, errors = conn.execute(read_sql(PACKAGE, "snapshot_counts.sql"), params).fetchone()
        conn.execute("DELETE FROM learning.performance_snapshots WHERE snapshot_date = %(day)s", params)
        success = conn.execute(read_sql(PACKAGE, "snapshot_insert.sql"), params).rowcount
        eligible = success + errors  # every eligible student not excluded gets exactly one snapshot
        skipped = active - eligible
        conn.execute(
            read_sql(PACKAGE, "snapshot_run_record.sql"),
            {**params, "active_students": active, "snapshots": success, "skipped": skipped, "errors": errors},
        )
    coverage = success / eligible if eligible else 1.0
    log.info(
        "snapshots for %s: %d success, %d skipped, %d errors (coverage %.1f%%)",
        day,
        success,
        skipped,
        errors,
        100 * coverage,
    )
    summary = {
        "snapshot_date": day.isoformat(),
        "active_students": active,
        "success": success,
        "skipped": skipped,
        "errors": errors,
        "coverage_pct": round(100 * coverage, 2),
        "nothing_to_do": None if eligible else f"no active student has lesson progress up to the end of {day}",
    }
    if not eligible:
        log.warning("nothing to snapshot: %s", summary["nothing_to_do"])
    if coverage < COVERAGE_WARNING_BELOW:
        send_message_quietly(
            format_summary(
                f"learning_daily_snapshots {day}: only {summary['coverage_pct']}% of students got a snapshot",
                {k: summary[k] for k in ("active_students", "success", "skipped", "errors")},
                emoji=":warning:",
            )
        )
    return summary


def recommendation_week(context: Mapping[str, Any]) -> dt.date:
    """week_start = Monday of the run's data_interval_end date (docs/contracts.md#business-dates)."""
    return week_start(business_date(context))


def snapshot_ready(context: Mapping[str, Any]) -> bool:
    """True once the snapshot of the day before week_start is committed (sensor condition)."""
    needed = recommendation_week(context) - dt.timedelta(days=1)
    with postgres_hook(LEARNING_DB).get_conn() as conn:
        found = conn.execute("SELECT 1 FROM learning.snapshot_runs WHERE snapshot_date = %s", (needed,)).fetchone()
    log.info("snapshot of %s %s", needed, "is there" if found else "is not there yet")
    return found is not None


def refresh_recommendations(context: Mapping[str, Any]) -> dict[str, Any]:
    """Replace week W's recommendations and deactivate the same students' earlier ones, atomically."""
    week = recommendation_week(context)
    window_end = start_of_day(week)
    params = {
        "week_start": week,
        "window_start": window_end - dt.timedelta(days=7),
        "window_end": window_end,
        "created_at": run_reference_time(context),
    }
    with transaction(LEARNING_DB) as conn, conn.cursor() as cur:
        execute_script(cur, read_sql(PACKAGE, "recommendations.sql"), params)
        counts = dict(
            cur.execute(
                "SELECT recommendation_type, count(*) FROM learning.adaptive_recommendations "
                "WHERE week_start = %s GROUP BY 1 ORDER BY 1",
                (week,),
            ).fetchall()
        )
        (students,) = cur.execute(
            "SELECT count(DISTINCT user_id) FROM learning.adaptive_recommendations WHERE week_start = %s", (week,)
        ).fetchone()
    log.info("recommendations for week %s: %d students, %s", week, students, counts)
    nothing = None if students else f"no active student has a snapshot before {week}"
    if nothing:
        log.warning("nothing to recommend: %s", nothing)
    return {"week_start": week.isoformat(), "students": students, "by_type": counts, "nothing_to_do": nothing}
