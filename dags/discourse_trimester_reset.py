"""
### discourse_trimester_reset

Full rebuild of the forum engagement metrics for the current and the two previous trimesters (seed 000,
job 1), published atomically. Trimesters: t1 Jan 1–Apr 30, t2 May 1–Aug 31, t3 Sep 1–Dec 31.

**When**: 03:30 UTC on Jan 1, May 1 and Sep 1; also manually (param `reset_date` rebuilds as of another
date, e.g. after a fix).

**Tasks** (logs read like the seed's "Step 1/5: Reloading course mappings (#107)… courses: 45")
- `provision_tables` — creates or migrates the `discourse` schema almanac owns (cheap when up to date).
- `backup_live_state` — the backup handle (live version, last refresh date), pushed to XCom, and a new
  version to build into. Readers keep reading the live version throughout.
- `reload_courses` (#107; irrelevant categories dropped, Uncategorized flagged, new courses reported) and
  `reload_users` (#108).
- `load_course_actions` — mapped over courses (named by course): #103 for the three trimesters.
- `load_engagement` — #102 per trimester. `compute_metrics` — course metrics and platform scores.
- `publish` — one UPDATE points readers at the new version; the status says loaded, not failed.
- `restore_previous_state` — only if something failed: reads the backup handle from XCom, keeps readers
  on it, sets `reset_failed` with the cause and alerts Slack ("reset failed, users are served the
  previous data, cause …").
- `reset_complete` — the leaf that keeps a failed reset red even though the restore succeeded.

**As of which date**: the run date (or `reset_date`), unless the live data is already refreshed beyond
it — then as of that later `last_refresh_date`, so state never moves back. The date is fixed once, in
`backup_live_state`: clearing that task days after a failed reset rebuilds the trimesters up to where
the daily refreshes had brought them.

**Clearing**: fix the cause, then clear the red task (with downstream) while no daily refresh has moved
`last_refresh_date` past the build's date (in practice: before the next successful 03:15 UTC refresh):
the build continues into the same version and `publish` completes the reset. After that, `publish`
refuses the old build ("not published: … clear backup_live_state …"): clear `backup_live_state` (with
downstream) instead, which starts a fresh build as of the newer date.
All Discourse calls run in the `discourse_api` pool.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, TriggerRule, get_current_context, task

from almanac.dag_defaults import almanac_dag
from almanac.discourse import tasks
from almanac.discourse.tables import TABLES
from almanac.pools import DISCOURSE_API_POOL
from almanac.provision import provision_tables


@almanac_dag(
    schedule="30 3 1 1,5,9 *",
    tags=["discourse"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=30)},
    params={"reset_date": Param(None, type=["null", "string"], format="date", description="Rebuild as of this date")},
)
def discourse_trimester_reset():
    @task
    def backup_live_state() -> dict:
        return tasks.backup_live_state(get_current_context())

    @task(pool=DISCOURSE_API_POOL)
    def reload_courses(handle: dict) -> list[dict]:
        return tasks.reload_courses(handle)

    @task(pool=DISCOURSE_API_POOL)
    def reload_users(handle: dict) -> int:
        return tasks.reload_users(handle)

    @task(pool=DISCOURSE_API_POOL, map_index_template="{{ course_name }}")
    def load_course_actions(handle: dict, course: dict) -> dict:
        get_current_context()["course_name"] = course["name"]
        return tasks.load_course_actions(handle, course)

    @task(pool=DISCOURSE_API_POOL)
    def load_engagement(handle: dict) -> int:
        return tasks.load_engagement(handle)

    @task
    def compute_metrics(handle: dict) -> dict:
        return tasks.compute_metrics(handle)

    @task
    def publish(handle: dict) -> dict:
        return tasks.publish(get_current_context(), handle)

    # The handle is pulled, not passed: when the backup step itself failed there is none, and the restore
    # must still run (an argument would fail to resolve). Its task id comes from the task, not a string.
    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def restore_previous_state(backup_task_id: str) -> dict:
        context = get_current_context()
        return tasks.restore_previous_state(context, context["ti"].xcom_pull(task_ids=backup_task_id))

    @task
    def reset_complete(handle: dict) -> str:
        return tasks.reset_complete(handle)

    handle = backup_live_state()
    provision_tables(TABLES) >> handle
    courses = reload_courses(handle)
    users = reload_users(handle)
    actions = load_course_actions.partial(handle=handle).expand(course=courses)
    engagement = load_engagement(handle)
    users >> actions
    metrics = compute_metrics(handle)
    [actions, engagement] >> metrics
    published = publish(handle)
    metrics >> published
    restore = restore_previous_state(handle.operator.task_id)
    [handle, courses, users, actions, engagement, metrics, published] >> restore
    published >> reset_complete(handle)


discourse_trimester_reset()
