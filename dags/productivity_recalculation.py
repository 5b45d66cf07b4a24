"""
### productivity_recalculation

Staged recalculation of the productivity tables over a date range (seed 003).

**When**: 06:00 America/Chicago daily, for yesterday (Chicago). Manually, for any range:
`{"start_date": "2026-03-01", "end_date": "2026-03-31", "tables": ["all"], "clear_existing": true}`.
Work dates are the Chicago dates of clock_in.

**Stages** (the seed's dependency order; a stage not in `tables` shows as *skipped*, later ones still run):
`provision_tables` (creates or migrates almanac's tables; checks the sources) → `check_request` → `plan_chunks` → `daily_scores` → `idle_periods` → `alerts` → `employee_hourly_costs`
(each mapped over 7-day chunks, one SQL statement per chunk) → `employee_primary_roles` (30 days up
to end_date) → `employee_current_status` (as of the end of end_date) → `cache` (refresh the
materialized views) → `summarize`.

**The seed's features, the Airflow way**
- *Progress*: the grid and the mapped instances (one per chunk, named by its dates).
- *Cancel*: mark the run failed in the UI.
- *Resume*: clear the failed task(s); each stage replaces its rows for its chunk in one transaction,
  so a rerun starts clean.
- *Clear stage*: folded into every stage's transaction (delete the chunk's rows, write the new ones,
  commit together): a failure leaves the previous rows, never an emptied range. With
  `clear_existing=false` rows are upserted and nothing is deleted.
- *One job at a time*: `max_active_runs=1`.
- *5-minute cooldown between manual runs*: `check_request` refuses (clear message) a manual run
  triggered less than `ALMANAC_RECALC_COOLDOWN_MINUTES` (default 5, 0 disables) after another accepted
  manual run was triggered, whatever either run's logical date (runs from "trigger now" have none).
- *Per-employee data errors* (open or negative or > 24 h shifts, backwards activity windows,
  negative items): excluded from every stage, counted in the `summarize` XCom and log; windows of a
  role missing from role_configs are counted too and left out of scores and roles (still working time).
- *Stage timeout 5 minutes*: `execution_timeout`.
- Params are validated at trigger time (dates, table names, `all` alone or names without it);
  `check_request` refuses end < start, ranges over 366 days and an end_date after the run's own date,
  naming the field, without retries (the run's date is known only once it runs).

**Clearing** any task reruns it with the same result: a range recalculated equals the daily runs.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, TriggerRule, get_current_context, task

from almanac.dag_defaults import START_YEAR, almanac_dag
from almanac.productivity import tasks
from almanac.productivity.tables import TABLES
from almanac.productivity.transform import STAGES
from almanac.provision import provision_tables

TABLE_NAMES = ["all", *STAGES]


@almanac_dag(
    schedule="0 6 * * *",
    start_date=pendulum.datetime(START_YEAR, 1, 1, tz="America/Chicago"),
    tags=["productivity"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=5)},
    params={
        "start_date": Param(None, type=["null", "string"], format="date", description="First work date (inclusive)"),
        "end_date": Param(
            None, type=["null", "string"], format="date", description="Last work date (default: yesterday)"
        ),
        "tables": Param(
            ["all"],
            type="array",
            items={"type": "string", "enum": TABLE_NAMES},
            minItems=1,
            uniqueItems=True,
            # "all" alone or names without it: refused at trigger time, not by check_request
            **{"not": {"contains": {"const": "all"}, "minItems": 2}},
        ),
        "clear_existing": Param(True, type="boolean"),
    },
)
def productivity_recalculation():
    after_skips = {"trigger_rule": TriggerRule.NONE_FAILED}

    @task
    def check_request() -> dict:
        return tasks.check_request(get_current_context())

    @task
    def plan_chunks(request: dict) -> list[dict]:
        return tasks.plan_chunks(request)

    def range_stage(stage: str):
        @task(task_id=stage, map_index_template="{{ chunk_label }}", **after_skips)
        def run_stage(request: dict, chunk: dict) -> dict:
            get_current_context()["chunk_label"] = chunk["label"]
            return tasks.recalculate_range_stage(stage, request, chunk)

        return run_stage

    @task(task_id="employee_primary_roles", **after_skips)
    def employee_primary_roles(request: dict) -> int:
        return tasks.update_primary_roles(request)

    @task(task_id="employee_current_status", **after_skips)
    def employee_current_status(request: dict) -> int:
        return tasks.update_current_status(request)

    @task(task_id="cache", **after_skips)
    def cache(request: dict) -> list:
        return tasks.refresh_cache(request)

    @task(**after_skips)
    def summarize(request: dict, chunks: list, results: dict) -> dict:
        return tasks.summarize(request, chunks, results)

    request = check_request()
    provision_tables(TABLES) >> request
    chunks = plan_chunks(request)
    previous = chunks
    results = {}  # each range stage's per-chunk results, for the summary
    for stage in ("daily_scores", "idle_periods", "alerts", "employee_hourly_costs"):
        results[stage] = range_stage(stage).partial(request=request).expand(chunk=chunks)
        previous >> results[stage]
        previous = results[stage]
    roles = employee_primary_roles(request)
    status = employee_current_status(request)
    refreshed = cache(request)
    previous >> roles >> status >> refreshed >> summarize(request, chunks, results)


productivity_recalculation()
