"""What the ``productivity_recalculation`` DAG calls. Each stage is one set-based statement over its
date range, replacing that range inside one transaction: a failure leaves the range old, never half."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql

from almanac.calendar import business_date, start_of_day
from almanac.connections import PRODUCTIVITY_DB
from almanac.db import execute_script, qualified, read_sql, transaction
from almanac.mapped import mapped_results
from almanac.productivity.transform import InvalidRequestError, Request, chunk_range, resolve_request

log = logging.getLogger(__name__)

PACKAGE = "almanac.productivity"
#: Work dates are dates of clock_in in the warehouse's time zone (docs/productivity.md#contract).
WORK_TZ = "America/Chicago"

#: Date-ranged stages: (table, its date column, statement file).
RANGE_STAGES = {
    "daily_scores": ("productivity.daily_scores", "score_date", "daily_scores.sql"),
    "idle_periods": ("productivity.idle_periods", "work_date", "idle_periods.sql"),
    "alerts": ("productivity.alerts", "work_date", "alerts.sql"),
    "employee_hourly_costs": ("productivity.employee_hourly_costs", "score_date", "hourly_costs.sql"),
}
#: Stages that read the chunk's shifts, activity, day roles and gaps (prepare_chunk.sql); alerts reads idle_periods.
CHUNK_STAGES = ("daily_scores", "idle_periods")
#: What data_errors.sql counts per chunk (the daily_scores stage reports them; summarize adds them up).
DATA_ERROR_COUNTS = ("invalid_shifts", "invalid_activity_windows", "employees_with_errors", "days_without_role")
#: Stages that rewrite active employees' rows only: one deactivated since keeps the rows of when they
#: worked, as the daily runs left them (is_active has no history to recompute them from).
ACTIVE_EMPLOYEE_STAGES = ("daily_scores", "idle_periods", "alerts")
MATERIALIZED_VIEWS = ("productivity.currently_working", "productivity.today_clock_times", "productivity.working_today")


def cooldown_minutes() -> float:
    """Minimum gap between manual runs (seed: 5 min); ``ALMANAC_RECALC_COOLDOWN_MINUTES=0`` disables it."""
    return float(os.environ.get("ALMANAC_RECALC_COOLDOWN_MINUTES", "5"))


def check_request(context: Mapping[str, Any]) -> dict[str, Any]:
    """Resolve the range and tables, refuse what the params schema could not, enforce the cooldown."""
    dag_run = context["dag_run"]
    yesterday = business_date(context, tz=WORK_TZ, days_before=1)
    try:
        request = resolve_request(context["params"], yesterday)
    except InvalidRequestError as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"invalid request: {exc}") from exc  # no retry can fix a bad request
    if is_manual(dag_run):
        accept_manual_run(dag_run)
    log.info(
        "Recalculating %s..%s (%d days), stages: %s, clear_existing=%s",
        request.start_date,
        request.end_date,
        (request.end_date - request.start_date).days + 1,
        ", ".join(request.tables),
        request.clear_existing,
    )
    return request.to_xcom()


def is_manual(dag_run: Any) -> bool:
    run_type = getattr(dag_run.run_type, "value", dag_run.run_type)
    return str(run_type).lower() == "manual"


def accept_manual_run(dag_run: Any) -> None:
    """Refuse a manual run triggered less than the cooldown after another accepted manual run; else record it.

    Runs are compared by ``run_after`` (when they were triggered), kept in ``almanac_manual_runs``:
    Airflow's "previous run" is by logical date, which runs triggered without one do not have, and task
    code cannot query the metadata DB. The decision depends on trigger instants only, so clearing
    ``check_request`` later decides the same way.
    """
    params = {
        "run_id": dag_run.run_id,
        "run_after": dag_run.run_after,
        "cooldown_seconds": cooldown_minutes() * 60,
    }
    with transaction(PRODUCTIVITY_DB) as conn, conn.cursor() as cur:
        execute_script(cur, read_sql(PACKAGE, "accept_manual_run.sql"), params)
        earlier = cur.fetchone()
        if earlier and params["cooldown_seconds"] > 0:
            from airflow.sdk.exceptions import AirflowFailException

            gap = (dag_run.run_after - earlier[1]).total_seconds()
            raise AirflowFailException(
                f"cooldown: the manual recalculation {earlier[0]} was triggered {gap:.0f} s before this one;"
                f" wait {cooldown_minutes():g} minutes between manual runs (ALMANAC_RECALC_COOLDOWN_MINUTES)"
            )
        cur.execute(read_sql(PACKAGE, "record_manual_run.sql"), params)


def plan_chunks(request_data: Mapping[str, Any]) -> list[dict[str, str]]:
    request = Request.from_xcom(request_data)
    chunks = chunk_range(request.start_date, request.end_date)
    log.info("%d chunk(s): %s", len(chunks), ", ".join(c["label"] for c in chunks))
    return chunks


def skip_unless_selected(request: Request, stage: str) -> None:
    if not request.selects(stage):
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException(f"{stage} not selected (tables={list(request.tables)})")


def recalculate_range_stage(stage: str, request_data: Mapping[str, Any], chunk: Mapping[str, str]) -> dict[str, Any]:
    """Replace ``stage``'s rows for the chunk's dates in one transaction (delete with clear_existing, then upsert)."""
    request = Request.from_xcom(request_data)
    skip_unless_selected(request, stage)
    table, date_column, statement = RANGE_STAGES[stage]
    start, end = dt.date.fromisoformat(chunk["start_date"]), dt.date.fromisoformat(chunk["end_date"])
    params = {
        "start_date": start,
        "end_date": end,
        # the activity a chunk's shifts can touch: shifts start on a work date (Chicago) and last ≤ 24 h
        "scan_from": start_of_day(start, WORK_TZ) - dt.timedelta(days=1),
        "scan_to": start_of_day(end + dt.timedelta(days=2), WORK_TZ),
    }
    result: dict[str, Any] = {"stage": stage, "chunk": chunk["label"]}
    with transaction(PRODUCTIVITY_DB) as conn:
        if stage == "alerts":
            refuse_alerts_without_roles(conn, params, chunk["label"])
        if request.clear_existing:
            delete = sql.SQL("DELETE FROM {} WHERE {} BETWEEN %(start_date)s AND %(end_date)s").format(
                qualified(table), sql.Identifier(date_column)
            )
            if stage in ACTIVE_EMPLOYEE_STAGES:
                delete += sql.SQL(" AND employee_id IN (SELECT id FROM productivity.employees WHERE is_active)")
            result["deleted"] = conn.execute(delete, params).rowcount
        if stage in CHUNK_STAGES:
            with conn.cursor() as cur:
                execute_script(cur, read_sql(PACKAGE, "prepare_chunk.sql"), params)
        result["written"] = conn.execute(read_sql(PACKAGE, statement), params).rowcount
        if stage == "daily_scores":
            errors = conn.execute(read_sql(PACKAGE, "data_errors.sql"), params).fetchone()
            result.update(zip(DATA_ERROR_COUNTS, errors, strict=True))
    log.info("%s %s: %s", stage, chunk["label"], {k: v for k, v in result.items() if k not in ("stage", "chunk")})
    return result


def refuse_alerts_without_roles(conn: Any, params: Mapping[str, Any], label: str) -> None:
    """Fail (no retry, nothing deleted) when the chunk's idle periods predate ``role_id``: replacing the
    alerts from them would silently drop those alerts. Recalculating idle_periods first fixes it."""
    (missing,) = conn.execute(read_sql(PACKAGE, "idle_periods_without_role.sql"), params).fetchone()
    if missing:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(
            f"alerts {label}: {missing} idle period(s) were stored before idle_periods.role_id existed;"
            " recalculate idle_periods for these dates first (tables=['idle_periods', 'alerts'])"
        )


def update_primary_roles(request_data: Mapping[str, Any]) -> int:
    """Primary roles from the 30 days up to end_date, unless a newer end_date was already applied: a
    recalculation of an older range leaves the newer roles in place (state never moves back)."""
    request = Request.from_xcom(request_data)
    stage = "employee_primary_roles"
    skip_unless_selected(request, stage)
    with transaction(PRODUCTIVITY_DB) as conn:
        row = conn.execute(read_sql(PACKAGE, "stage_watermark.sql"), {"stage": stage}).fetchone()
        if row and row[0] > request.end_date:
            log.info("primary roles were computed up to %s, after %s: left as they are", row[0], request.end_date)
            return 0
        changed = conn.execute(read_sql(PACKAGE, "primary_roles.sql"), {"end_date": request.end_date}).rowcount
        conn.execute(
            read_sql(PACKAGE, "advance_stage_watermark.sql"), {"stage": stage, "computed_to": request.end_date}
        )
    log.info("primary roles from the 30 days up to %s: %d employees changed role", request.end_date, changed)
    return changed


def update_current_status(request_data: Mapping[str, Any]) -> int:
    request = Request.from_xcom(request_data)
    skip_unless_selected(request, "employee_current_status")
    as_of = start_of_day(request.end_date + dt.timedelta(days=1), WORK_TZ)
    with transaction(PRODUCTIVITY_DB) as conn:
        updated = conn.execute(read_sql(PACKAGE, "current_status.sql"), {"as_of": as_of}).rowcount
    log.info("current status as of %s: %d employees", as_of.isoformat(), updated)
    return updated


def refresh_cache(request_data: Mapping[str, Any]) -> list[str]:
    request = Request.from_xcom(request_data)
    skip_unless_selected(request, "cache")
    with transaction(PRODUCTIVITY_DB) as conn:
        for view in MATERIALIZED_VIEWS:
            conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}").format(qualified(view)))
    log.info("refreshed %s", ", ".join(MATERIALIZED_VIEWS))
    return list(MATERIALIZED_VIEWS)


def summarize(
    request_data: Mapping[str, Any], chunks: list, results: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, Any]:
    """The run summary from each range stage's per-chunk results: rows written and the data errors
    excluded (counts only). A stage that was not selected has no results."""
    request = Request.from_xcom(request_data)
    summary: dict[str, Any] = {
        "start_date": request.start_date.isoformat(),
        "end_date": request.end_date.isoformat(),
        "stages": list(request.tables),
        "chunks": len(chunks),
        "rows_written": {},
        **dict.fromkeys(DATA_ERROR_COUNTS, 0),
        "nothing_to_do": None,
    }
    for stage in RANGE_STAGES:
        if not request.selects(stage):
            continue
        stage_results = mapped_results(results[stage])
        summary["rows_written"][stage] = sum(r["written"] for r in stage_results if r)
        if stage == "daily_scores":
            for key in DATA_ERROR_COUNTS:
                summary[key] = sum(r.get(key, 0) for r in stage_results if r)  # results of older runs lack newer keys
    if not any(summary["rows_written"].values()) and summary["rows_written"]:
        summary["nothing_to_do"] = f"no valid shift has a work date in {request.start_date}..{request.end_date}"
        log.warning("nothing to recalculate: %s", summary["nothing_to_do"])
    log.info("recalculation summary: %s", summary)
    if summary["employees_with_errors"]:
        log.warning(
            "%d shift(s) and %d activity window(s) with bad data were excluded (%d employees); see the sources",
            summary["invalid_shifts"],
            summary["invalid_activity_windows"],
            summary["employees_with_errors"],
        )
    if summary["days_without_role"]:
        log.warning(
            "%d employee work date(s) have no role to take thresholds from (no activity that day or in the 30"
            " before, no primary role): no idle periods and no efficiency for them; set primary_role_id",
            summary["days_without_role"],
        )
    return summary
