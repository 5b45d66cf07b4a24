"""What the ``tutoring_daily_metrics`` DAG calls: read params and dates, run the SQL, return small summaries."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from psycopg.rows import dict_row

from almanac.calendar import business_date, run_reference_time, start_of_day
from almanac.connections import TUTORING_DB
from almanac.db import copy_rows, postgres_hook, read_sql, transaction
from almanac.notify import format_summary, send_message_quietly
from almanac.tutoring.transform import (
    WINDOW_DAYS,
    WINDOWS,
    AggregationSummary,
    batches,
    composite_score,
    performance_tier,
)

log = logging.getLogger(__name__)

PACKAGE = "almanac.tutoring"
DEFAULT_BATCH_SIZE = 1000  # 5,000 tutors → 5 mapped instances; one failing batch fails alone
STAGE_COLUMNS = (
    "metric_id",
    "tutor_id",
    "calculation_date",
    "metric_window",
    "sessions_completed",
    "avg_rating",
    "first_session_success_rate",
    "reschedule_rate",
    "no_show_count",
    "engagement_score",
    "learning_objectives_met_pct",
    "response_time_avg_minutes",
    "performance_tier",
    "excluded_sessions",
    "created_at",
    "updated_at",
)


def reference_date(context: Mapping[str, Any]) -> dt.date:
    """R: the ``date`` param if given, else the run's data_interval_end date (UTC)."""
    return business_date(context, override_param="date")


def reference_start(day: dt.date) -> dt.datetime:
    return start_of_day(day)


def window_bounds(day: dt.date) -> dict[str, dt.datetime]:
    """R at 00:00 UTC and each window's first instant (R − N days at 00:00 UTC), as SQL parameters."""
    bounds = {"reference_start": reference_start(day)}
    for window, days in WINDOW_DAYS.items():
        bounds[f"start_{window}"] = start_of_day(day - dt.timedelta(days=days))
    return bounds


def computed_at(context: Mapping[str, Any]) -> dt.datetime:
    """``created_at``/``updated_at`` of the rows: the run's reference instant, so reruns write identical rows."""
    return run_reference_time(context)


def plan_batches(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Select the run's tutors and split them into batches; unknown requested ids are reported.

    The number of unknown ids goes to XCom under ``unknown_tutor_ids`` for the summary.
    """
    params = context["params"]
    day = reference_date(context)
    requested = params.get("tutor_ids")
    with postgres_hook(TUTORING_DB).get_conn() as conn:
        rows = conn.execute(
            read_sql(PACKAGE, "select_tutors.sql"),
            {"include_inactive": bool(params.get("include_inactive")), "tutor_ids": requested},
        ).fetchall()
    tutor_ids = [r[0] for r in rows]
    unknown = sorted(set(requested or []) - set(tutor_ids))
    if unknown:
        # Tutor ids are internal keys, not personal data; naming them is what makes the report useful.
        log.warning(
            "%d requested tutor id(s) are unknown%s: %s",
            len(unknown),
            "" if params.get("include_inactive") else " or inactive (set include_inactive to include those)",
            ", ".join(unknown),
        )
    batch_size = int(params.get("batch_size") or DEFAULT_BATCH_SIZE)
    planned = batches(tutor_ids, batch_size)
    log.info(
        "Reference date R = %s; %d tutors to process in %d batch(es) of up to %d",
        day,
        len(tutor_ids),
        len(planned),
        batch_size,
    )
    context["ti"].xcom_push(key="unknown_tutor_ids", value=len(unknown))
    context["ti"].xcom_push(key="started_at", value=time.time())  # for the summary's runtime
    return planned


def compute_batch(context: Mapping[str, Any], batch: Mapping[str, Any]) -> dict[str, Any]:
    """Compute the three windows for one batch of tutors in one statement and upsert them atomically.

    ``created_at``/``updated_at`` are the run's reference instant, not the wall clock, so a rerun or a
    cleared instance writes byte-identical rows.
    """
    day = reference_date(context)
    start = reference_start(day)
    stamp = computed_at(context)
    with transaction(TUTORING_DB) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            read_sql(PACKAGE, "window_metrics.sql"),
            {"tutor_ids": list(batch["tutor_ids"]), **window_bounds(day)},
        )
        metrics = cur.fetchall()
        rows = []
        for m in metrics:
            tier = performance_tier(composite_score(m))
            rows.append(
                (
                    f"{m['tutor_id']}:{day.isoformat()}:{m['metric_window']}",
                    m["tutor_id"],
                    start,
                    m["metric_window"],
                    m["sessions_completed"],
                    m["avg_rating"],
                    m["first_session_success_rate"],
                    m["reschedule_rate"],
                    m["no_show_count"],
                    m["engagement_score"],
                    m["learning_objectives_met_pct"],
                    m["response_time_avg_minutes"],
                    tier,
                    m["excluded_sessions"],
                    stamp,
                    stamp,
                )
            )
        cur.execute(
            "CREATE TEMP TABLE tutor_metrics_stage "
            "(LIKE tutoring.tutor_performance_metrics INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        copy_rows(cur, "tutor_metrics_stage", STAGE_COLUMNS, rows)
        cur.execute(read_sql(PACKAGE, "upsert_metrics.sql"))
        saved = cur.rowcount
    widest = [m for m in metrics if m["metric_window"] == WINDOWS[-1]]
    excluded = sum(m["excluded_sessions"] for m in widest)
    result = {
        "label": batch["label"],
        "tutors": len(batch["tutor_ids"]),
        "metrics_saved": saved,
        "excluded_sessions": excluded,
        "tutors_with_excluded_sessions": sum(1 for m in widest if m["excluded_sessions"]),
    }
    log.info("%s: %d metrics saved for R = %s; %d out-of-range sessions excluded", batch["label"], saved, day, excluded)
    return result


def cleanup_old_metrics(context: Mapping[str, Any]) -> int:
    """With ``cleanup``, delete metrics for reference dates more than ``retention_days`` before R."""
    params = context["params"]
    if not params.get("cleanup"):
        log.info("cleanup not requested (param cleanup=false): nothing deleted")
        return 0
    day = reference_date(context)
    cutoff = start_of_day(day - dt.timedelta(days=int(params["retention_days"])))
    with transaction(TUTORING_DB) as conn:
        deleted = conn.execute(read_sql(PACKAGE, "cleanup_metrics.sql"), {"cutoff": cutoff}).rowcount
    log.info("cleanup: deleted %d metric rows older than %s days before %s", deleted, params["retention_days"], day)
    return deleted


def summarize(context: Mapping[str, Any], planned: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Collect the batches' results (a failed batch has none), log the seed's summary block, alert if < 100%."""
    ti = context["ti"]
    successful = failed = saved = excluded = tutors_excluded = 0
    failed_batches = []
    for index, batch in enumerate(planned):
        result = ti.xcom_pull(task_ids="compute_batch", map_indexes=index)
        if result is None:
            failed += len(batch["tutor_ids"])
            failed_batches.append(batch["label"])
            continue
        successful += result["tutors"]
        saved += result["metrics_saved"]
        excluded += result["excluded_sessions"]
        tutors_excluded += result["tutors_with_excluded_sessions"]
    started = ti.xcom_pull(task_ids="plan_batches", key="started_at")
    runtime = time.time() - started if started else 0.0  # a duration, not a business date
    summary = AggregationSummary(
        run_date=reference_date(context).isoformat(),
        total_tutors=sum(len(b["tutor_ids"]) for b in planned),
        successful=successful,
        failed=failed,
        total_metrics_saved=saved,
        total_runtime_seconds=round(runtime, 2),
        excluded_sessions=excluded,
        tutors_with_excluded_sessions=tutors_excluded,
        unknown_tutor_ids=ti.xcom_pull(task_ids="plan_batches", key="unknown_tutor_ids") or 0,
        failed_batches=failed_batches,
    )
    for line in summary.log_block():
        log.info(line)
    if summary.success_rate < 100.0 or summary.unknown_tutor_ids:
        send_message_quietly(
            format_summary(
                f"tutoring_daily_metrics for {summary.run_date}: success rate {summary.success_rate:.2f}%",
                {
                    "tutors": summary.total_tutors,
                    "successful": summary.successful,
                    "failed": summary.failed,
                    "failed batches": ", ".join(failed_batches) or "none",
                    "metrics saved": summary.total_metrics_saved,
                    "unknown tutor ids requested": summary.unknown_tutor_ids,
                    "excluded sessions": summary.excluded_sessions,
                },
                emoji=":warning:",
            )
        )
    return summary.to_dict()
