"""
### learning_weekly_recommendations

Rule-based recommendations for every active student from the latest snapshot before the week (seed 001, job 2), in
`learning.adaptive_recommendations`.

**When**: Mondays 06:00 UTC. week_start W = Monday of `data_interval_end`.

**Tasks**
- `provision_tables` — creates or migrates the tables almanac owns in `learning`; checks the sources.
- `wait_for_snapshot` — a sensor (reschedule mode: it frees its worker slot between checks every
  5 minutes, gives up after 6 hours) until the snapshot of the day before W is committed. A cron
  schedule plus this check was chosen over Asset scheduling so the run keeps the designed
  Monday-06:00 logical date and waits for *that* week's snapshot, not for any snapshot update.
- `refresh_recommendations` — one transaction: replaces week W's rows (catch_up, review naming the
  lowest-scoring lesson, re_engage, advance; rules in `sql/recommendations.sql`) and deactivates the
  same students' earlier active rows. Ids derive from (student, week, type), so a rerun writes the
  same rows.

**Clearing** either task is safe: a rerun of the same week gives the same rows.
A run still going 5 minutes after it was queued posts a Slack warning (deadline alert).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.learning import tasks
from almanac.learning.alerts import slow_run_alert
from almanac.learning.tables import TABLES
from almanac.provision import provision_tables


@almanac_dag(
    schedule="0 6 * * 1",
    tags=["learning"],
    doc_md=__doc__,
    deadline=slow_run_alert("learning_weekly_recommendations"),
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=10)},
)
def learning_weekly_recommendations():
    @task.sensor(poke_interval=300, timeout=6 * 3600, mode="reschedule")
    def wait_for_snapshot() -> bool:
        return tasks.snapshot_ready(get_current_context())

    @task
    def refresh_recommendations() -> dict:
        return tasks.refresh_recommendations(get_current_context())

    provision_tables(TABLES) >> wait_for_snapshot() >> refresh_recommendations()


learning_weekly_recommendations()
