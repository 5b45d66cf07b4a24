"""
### tutoring_daily_metrics

Daily tutor performance metrics over 7/30/90-day windows (seed 004), one row per tutor, reference
date and window in `tutoring.tutor_performance_metrics`.

**When**: 02:00 UTC daily. Reference date R = the run's `data_interval_end` date (UTC), or the `date`
param. Window N covers sessions with `scheduled_start` in [R − N days, R).

**Tasks**
- `provision_tables` — creates or migrates `tutoring.tutor_performance_metrics`; checks the sources.
- `plan_batches` — selects the tutors (active, or all with `include_inactive`, or only `tutor_ids`)
  and splits them into batches of `batch_size` (default: 1,000 tutors, more per batch above 10,000 tutors
  so that there are at most 10 batches); requested ids that do not exist are reported.
- `compute_batch` — mapped, one instance per batch (named "tutors 1–1000 of 5000"): one SQL
  statement computes the eight metrics and the tier for the batch and the three windows, and upserts
  them on (tutor, R, window). Sessions with out-of-range values are left out and counted.
- `cleanup_old_metrics` — with `cleanup`, deletes rows more than `retention_days` before R, after
  every batch is saved.
- `summarize` — the seed's summary block in the log and as XCom; a Slack notice when the success rate
  is below 100% or unknown tutor ids were requested.

**Clearing**: any task can be cleared and rerun; the upsert makes a rerun write identical rows.
A failed batch fails alone: fix the cause, clear that mapped instance with downstream
(`cleanup_old_metrics` and `summarize` run again), and the run completes (the seed's per-tutor retry
is Airflow's task retry). The tier formula is in `include/almanac/tutoring/transform.py`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, TriggerRule, get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.provision import provision_tables
from almanac.tutoring import tasks
from almanac.tutoring.tables import TABLES
from almanac.tutoring.transform import DEFAULT_BATCH_SIZE, MAX_AUTOMATIC_BATCHES


@almanac_dag(
    schedule="0 2 * * *",
    tags=["tutoring"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=15)},
    params={
        "date": Param(None, type=["null", "string"], format="date", description="Reference date R (YYYY-MM-DD)"),
        "tutor_ids": Param(
            None,
            type=["null", "array"],
            items={"type": "string", "minLength": 1},
            uniqueItems=True,
            description="Only these tutors (default: all active tutors)",
        ),
        "include_inactive": Param(False, type="boolean"),
        "cleanup": Param(False, type="boolean", description="Delete metrics older than retention_days"),
        "retention_days": Param(90, type="integer", minimum=1),
        "batch_size": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            maximum=10000,
            description=f"Tutors per mapped instance (empty: {DEFAULT_BATCH_SIZE}, or more so that there are"
            f" at most {MAX_AUTOMATIC_BATCHES} instances)",
        ),
    },
)
def tutoring_daily_metrics():
    @task
    def plan_batches() -> list[dict]:
        return tasks.plan_batches(get_current_context())

    @task(map_index_template="{{ batch_label }}")
    def compute_batch(batch: dict) -> dict:
        context = get_current_context()
        context["batch_label"] = batch["label"]
        return tasks.compute_batch(context, batch)

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def cleanup_old_metrics() -> int:
        return tasks.cleanup_old_metrics(get_current_context())

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def summarize(planned: list[dict], computed: list[dict]) -> dict:
        return tasks.summarize(get_current_context(), planned, computed)

    planned = plan_batches()
    provision_tables(TABLES) >> planned
    computed = compute_batch.expand(batch=planned)
    # Two leaves: cleanup (only when no batch failed) keeps a failed batch visible as a failed run;
    # summarize (all done) reports either way, from the batches that saved their results.
    computed >> cleanup_old_metrics()
    summarize(planned, computed)


tutoring_daily_metrics()
