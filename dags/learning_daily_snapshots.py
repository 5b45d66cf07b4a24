"""
### learning_daily_snapshots

One performance snapshot per active student with lesson progress, for the last full UTC day
(seed 001, job 1), in `learning.performance_snapshots`.

**When**: 00:00 UTC daily. Snapshot day D = (`data_interval_end` − 1 day), so the run at
2026-03-15 00:00 snapshots 2026-03-14; a backfill of an old date snapshots that old day.

**Tasks**: `provision_tables` creates or migrates the tables almanac owns in `learning` and checks the
platform's tables are there (a missing one fails the run at once, naming it). `create_daily_snapshots`: one SQL statement computes pace, quiz average, lessons completed and
minutes spent on D for every eligible student and replaces D's rows in one transaction (with a row in
`learning.snapshot_runs` that the weekly DAG waits for). Logs "N success, M skipped, K errors" and
returns the counts as XCom (with `active_students` and `coverage_pct`): skipped = active students
without progress, errors = students with impossible data (negative time, quiz score outside 0–100),
excluded and counted. Coverage = success / (success + errors); below 90% a Slack warning is posted.
A run still going 5 minutes after it was queued posts a Slack warning (deadline alert).

**Clearing** the task recomputes D from scratch: the same rows as a first run.
Formulas: `include/almanac/learning/sql/snapshot_insert.sql`; notes: `docs/learning.md`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.learning import tasks
from almanac.learning.alerts import slow_run_alert
from almanac.learning.assets import PERFORMANCE_SNAPSHOTS
from almanac.learning.tables import TABLES
from almanac.provision import provision_tables


@almanac_dag(
    schedule="0 0 * * *",
    tags=["learning"],
    doc_md=__doc__,
    deadline=slow_run_alert("learning_daily_snapshots"),
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=10)},
)
def learning_daily_snapshots():
    @task(outlets=[PERFORMANCE_SNAPSHOTS])
    def create_daily_snapshots() -> dict:
        return tasks.create_daily_snapshots(get_current_context())

    provision_tables(TABLES) >> create_daily_snapshots()


learning_daily_snapshots()
