"""What the ``tutoring_daily_metrics`` DAG calls: read params and dates, run the SQL, return small summaries."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from almanac.calendar import business_date, run_reference_time, start_of_day
from almanac.connections import TUTORING_DB
from almanac.db import execute_script, postgres_hook, read_sql, transaction
from almanac.mapped import mapped_results
from almanac.notify import format_summary, send_message_quietly
from almanac.tutoring.transform import (
    TIER_THRESHOLDS,
    WEIGHTS,
    WINDOW_DAYS,
    WINDOWS,
    AggregationSummary,
    MetricsRequest,
    automatic_batch_size,
    batches,
)

log = logging.getLogger(__name__)

PACKAGE = "almanac.tutoring"


def reference_date(context: Mapping[str, Any]) -> dt.date:
    """R: the ``date`` param if given, else the run's data_interval_end date (UTC)."""
    return business_date(context, override_param="date")


def window_bounds(day: dt.date) -> dict[str, dt.datetime]:
    """R at 00:00 UTC and each window's first instant (R − N days at 00:00 UTC), as SQL parameters."""
    bounds = {"reference_start": start_of_day(day)}
    for window, days in WINDOW_DAYS.items():
        bounds[f"start_{window}"] = start_of_day(day - dt.timedelta(days=days))
    return bounds


def plan_batches(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Select the run's tutors and split them into batches; requested ids that are unknown are reported."""
    request = MetricsRequest.from_params(context["params"])
    day = reference_date(context)
    with postgres_hook(TUTORING_DB).get_conn() as conn:
        rows = conn.execute(
            read_sql(PACKAGE, "select_tutors.sql"),
            {"include_inactive": request.include_inactive, "tutor_ids": list(request.tutor_ids or []) or None},
        ).fetchall()
    tutor_ids = [r[0] for r in rows]
    unknown = request.unknown_ids(tutor_ids)
    if unknown:
        # Tutor ids are internal keys, not personal data; naming them is what makes the report useful.
        log.warning(
            "%d requested tutor id(s) are unknown%s: %s",
            len(unknown),
            "" if request.include_inactive else " or inactive (set include_inactive to include those)",
            ", ".join(unknown),
        )
    batch_size = request.batch_size or automatic_batch_size(len(tutor_ids))
    planned = batches(tutor_ids, batch_size)
    log.info(
        "Reference date R = %s; %d tutors to process in %d batch(es) of up to %d",
        day,
        len(tutor_ids),
        len(planned),
        batch_size,
    )
    return planned


def compute_batch(context: Mapping[str, Any], batch: Mapping[str, Any]) -> dict[str, Any]:
    """Compute, score and upsert the three windows for one batch of tutors: one statement, one transaction.

    ``created_at``/``updated_at`` are the run's reference instant, not the wall clock, so a rerun or a
    cleared instance writes byte-identical rows.
    """
    started = time.perf_counter()  # a duration for the summary, not a business date
    day = reference_date(context)
    params = {
        "tutor_ids": list(batch["tutor_ids"]),
        **window_bounds(day),
        "reference_date": day.isoformat(),
        "stamp": run_reference_time(context),  # created_at/updated_at: the same on every rerun of this run
        **{f"w_{component}": weight for component, weight in WEIGHTS.items()},
        **{f"tier_{tier.lower().replace(' ', '_')}": threshold for threshold, tier in TIER_THRESHOLDS},
    }
    with transaction(TUTORING_DB) as conn:
        (horizon,) = conn.execute(read_sql(PACKAGE, "retention_horizon.sql")).fetchone()
        if horizon is not None and params["reference_start"] < horizon:
            log.info(
                "%s: nothing written: cleanup already deleted the metrics of reference dates before %s, R = %s"
                " included (an in-order history has none for it)",
                batch["label"],
                horizon.astimezone(dt.UTC).date(),
                day,
            )
            saved = []
        else:
            saved = conn.execute(read_sql(PACKAGE, "save_window_metrics.sql"), params).fetchall()
    widest = [excluded for window, excluded in saved if window == WINDOWS[-1]]
    result = {
        "label": batch["label"],
        "tutors": len(batch["tutor_ids"]),
        "metrics_saved": len(saved),
        "excluded_sessions": sum(widest),
        "tutors_with_excluded_sessions": sum(1 for excluded in widest if excluded),
        "seconds": round(time.perf_counter() - started, 3),
    }
    log.info(
        "%s: %d metrics saved for R = %s; %d out-of-range sessions excluded",
        batch["label"],
        len(saved),
        day,
        result["excluded_sessions"],
    )
    return result


def cleanup_old_metrics(context: Mapping[str, Any]) -> int:
    """With ``cleanup``, delete metrics for reference dates more than ``retention_days`` before R."""
    request = MetricsRequest.from_params(context["params"])
    if not request.cleanup:
        log.info("cleanup not requested (param cleanup=false): nothing deleted")
        return 0
    day = reference_date(context)
    cutoff = start_of_day(day - dt.timedelta(days=request.retention_days))
    with transaction(TUTORING_DB) as conn, conn.cursor() as cur:
        deleted = execute_script(cur, read_sql(PACKAGE, "cleanup_metrics.sql"), {"cutoff": cutoff})
    log.info("cleanup: deleted %d metric rows older than %s days before %s", deleted, request.retention_days, day)
    return deleted


def summarize(
    context: Mapping[str, Any], planned: Sequence[Mapping[str, Any]] | None, results: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    """The batches' results (a failed batch has none), the seed's summary block in the log, Slack if < 100%.

    ``results`` holds the results that exist, in map-index order; batches are matched by label.
    ``planned`` is None when plan_batches itself failed."""
    request = MetricsRequest.from_params(context["params"])
    planned = planned or []
    done = {r["label"]: r for r in mapped_results(results) if r}
    successful = failed = saved = excluded = tutors_excluded = 0
    failed_batches = []
    for batch in planned:
        result = done.get(batch["label"])
        if result is None:
            failed += len(batch["tutor_ids"])
            failed_batches.append(batch["label"])
            continue
        successful += result["tutors"]
        saved += result["metrics_saved"]
        excluded += result["excluded_sessions"]
        tutors_excluded += result["tutors_with_excluded_sessions"]
    summary = AggregationSummary(
        run_date=reference_date(context).isoformat(),
        total_tutors=sum(len(b["tutor_ids"]) for b in planned),
        successful=successful,
        failed=failed,
        total_metrics_saved=saved,
        total_runtime_seconds=round(sum(r["seconds"] for r in done.values()), 2),
        excluded_sessions=excluded,
        tutors_with_excluded_sessions=tutors_excluded,
        unknown_tutor_ids=len(request.unknown_ids(tid for b in planned for tid in b["tutor_ids"])),
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
