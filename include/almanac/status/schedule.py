"""When is a DAG's data late? The stale rule, from the DAG's own schedule (pure, no Airflow imports).

A cron schedule fires at times F1 < F2 < … (in the DAG's time zone). The run fired at F has
``grace`` to finish, retries included. So at ``now`` the run that *should* have succeeded is the one
fired at

    due = the latest fire time F with F + grace <= now   (none before the DAG's start_date)

and the DAG is **stale** when its last successful run stands for an earlier moment than ``due``, or
when it has never succeeded although ``due`` exists. A run "stands for" its ``run_after``: for a
scheduled run that is its fire time (= its logical date under ``CronTriggerTimetable``); for a run
triggered without a logical date it is the moment it was triggered; a backfill of an old date stands
for that old date, so it never makes today's data look fresh.

Grace is :data:`DEFAULT_GRACE` (three tries of a 30-minute task plus the backoff, with room to spare),
longer where a DAG waits on purpose (the weekly recommendations' sensor waits up to 6 hours).
DAGs without a cron schedule (manual only) are never stale.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from croniter import croniter

DEFAULT_GRACE = dt.timedelta(hours=3)
#: DAGs that may legitimately take longer than DEFAULT_GRACE to deliver.
GRACE = {"learning_weekly_recommendations": dt.timedelta(hours=8)}


def grace_for(dag_id: str) -> dt.timedelta:
    return GRACE.get(dag_id, DEFAULT_GRACE)


def due_fire_time(
    expression: str, timezone: str, now: dt.datetime, grace: dt.timedelta, start: dt.datetime | None = None
) -> dt.datetime | None:
    """The latest fire time F of ``expression`` (in ``timezone``) with F + grace <= now, in UTC.

    None when that F would be before ``start`` (the DAG was not due yet).
    """
    zone = ZoneInfo(timezone)
    cutoff = (now - grace).astimezone(zone).replace(tzinfo=None)
    # croniter's get_prev is strictly before its start: a fire time exactly at the cutoff counts too
    fired = croniter(expression, cutoff + dt.timedelta(microseconds=1)).get_prev(dt.datetime)
    due = fired.replace(tzinfo=zone).astimezone(dt.UTC)
    if start is not None and due < start:
        return None
    return due


def is_stale(due: dt.datetime | None, last_success_run_after: dt.datetime | None) -> bool:
    """True when a run was due and the last success stands for an earlier moment (or there is none)."""
    if due is None:
        return False
    return last_success_run_after is None or last_success_run_after < due
