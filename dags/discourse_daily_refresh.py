"""
### discourse_daily_refresh

Incremental refresh of the forum engagement metrics for the current trimester (seed 000, job 2).

**When**: 03:15 UTC daily. Run date D = the run's `data_interval_end` date (UTC).

**Tasks**
- `provision_tables` — creates or migrates the `discourse` schema almanac owns (cheap when up to date).
- `choose_path` — on Jan 1, May 1 and Sep 1 → `skip_trimester_start` (the reset owns that day, no
  double work); other days → `plan_refresh`.
- `plan_refresh` — the delta: actions created in [last_refresh_date, D) of the current trimester, for every
  live course. Fails clearly when no reset has ever succeeded (nothing to refresh: run
  `discourse_trimester_reset` first).
- `fetch_course_delta` — mapped over courses, in the `discourse_api` pool: #103 for the delta, merged on
  the action's natural key, so an action fetched twice counts once.
- `recompute_trimester` — #102 for the trimester, the trimester's metrics and platform scores, and the new
  `last_refresh_date`, in one transaction: readers see the old numbers or the new ones.

**Clearing**: any task can be cleared, in any order. A rerun of the same day fetches an empty delta,
but `recompute_trimester` still refetches #102 and recomputes the trimester (Data Explorer calls; the
numbers change if the forum's engagement data or `ALMANAC_DISCOURSE_WEIGHTS` changed since). A rerun
of an older day, after newer refreshes or a reset, does nothing and says so (`nothing_to_do` in
`recompute_trimester`'s XCom): last_refresh_date only moves forward.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import TriggerRule, get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.discourse import tasks
from almanac.discourse.tables import TABLES
from almanac.pools import DISCOURSE_API_POOL
from almanac.provision import provision_tables

#: Where ``choose_path`` sends the run: does the trimester reset own the day? (checked by tests/dags)
BRANCH_TARGETS = {True: "skip_trimester_start", False: "plan_refresh"}


@almanac_dag(
    schedule="15 3 * * *",
    tags=["discourse"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=20)},
)
def discourse_daily_refresh():
    @task.branch
    def choose_path() -> str:
        return BRANCH_TARGETS[tasks.reset_owns_the_day(get_current_context())]

    @task
    def skip_trimester_start() -> str:
        return "the trimester reset owns this day"

    @task
    def plan_refresh() -> list[dict]:
        return tasks.plan_refresh(get_current_context())

    @task(pool=DISCOURSE_API_POOL, map_index_template="{{ course_name }}")
    def fetch_course_delta(item: dict) -> dict:
        get_current_context()["course_name"] = item["name"]
        return tasks.fetch_course_delta(item)

    # Runs after an empty delta too (nothing new, or an old day rerun) to report why; skipped with the branch.
    @task(pool=DISCOURSE_API_POOL, trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def recompute_trimester(planned: list[dict]) -> dict:
        return tasks.recompute_trimester(get_current_context(), planned)

    planned = plan_refresh()
    provision_tables(TABLES) >> choose_path() >> [skip_trimester_start(), planned]
    fetch_course_delta.expand(item=planned) >> recompute_trimester(planned)


discourse_daily_refresh()
