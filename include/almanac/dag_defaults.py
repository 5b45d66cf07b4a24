"""What every almanac DAG shares (docs/contracts.md#what-every-dag-shares), defined once and tested once.

- ``default_args``: owner, 2 retries with exponential backoff (1 → 2 → … min, capped), an
  ``execution_timeout`` on every task, and the Slack :class:`~almanac.notify.TaskFailureNotifier` as
  each task's ``on_failure_callback``.
- :func:`almanac_dag`: the ``@dag`` decorator with ``max_active_runs=1``, ``catchup=False``, the
  DAG-level Slack callback, and a required ``tags`` and ``doc_md``.

Usage in a DAG file::

    @almanac_dag(schedule="0 2 * * *", start_date=START, tags=["tutoring"], doc_md=__doc__)
    def tutoring_daily_metrics(): ...
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from airflow.sdk import DAG, dag

from almanac.notify import TaskFailureNotifier, on_dag_failure

OWNER = "almanac"
#: Every logical date from here on runs real work (backfills, ``airflow dags test DAG 2024-05-01``, reruns of
#: old runs); ``catchup=False`` so no history is replayed on first unpause. Airflow schedules no task for a
#: logical date before a DAG's start_date and marks such a run green at once, so this date is the floor of
#: what almanac can compute.
START_YEAR = 2020
DEFAULT_START_DATE = dt.datetime(START_YEAR, 1, 1, tzinfo=dt.UTC)

#: Tag taxonomy: every DAG carries its domain tag, or ``platform`` for almanac's own (checked by tests/dags).
DOMAIN_TAGS = frozenset({"discourse", "learning", "softcollection", "productivity", "tutoring", "platform"})


def retry_delay() -> dt.timedelta:
    """First retry delay: 1 minute, or ``ALMANAC_RETRY_DELAY_SECONDS`` (the tests set 0 so failure
    paths retry at once; the number of retries stays the production one)."""
    return dt.timedelta(seconds=float(os.environ.get("ALMANAC_RETRY_DELAY_SECONDS", "60")))


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults; pass overrides, e.g. ``execution_timeout=timedelta(minutes=5)``."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": retry_delay(),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=30),
        "execution_timeout": dt.timedelta(minutes=30),
        "on_failure_callback": [TaskFailureNotifier()],
    }
    args.update(overrides)
    return args


class AlmanacDAG(DAG):
    """A DAG whose in-process ``test()`` (``airflow dags test``, ``dag.test()``) skips its deadline alerts.

    Upstream cause (Airflow 3.3.2): ``dag.test()`` runs on ``deserialize(serialize(dag))``, whose
    ``deadline`` holds the alerts' *definitions* (dicts); the scheduler's copy holds their database ids.
    When the run succeeds, ``DagRun.update_state`` looks each alert up by id
    (``DeadlineAlertModel.get_by_id``) and crashes on the dict ("'dict' object has no attribute 'hex'"),
    so the command exits 1 after the work is done. Deadline alerts need the scheduler and the triggerer
    anyway, which ``dags test`` does not run; under the scheduler the DAG keeps its alerts unchanged.
    """

    def test(self, *args: Any, **kwargs: Any):
        deadline, self.deadline = self.deadline, None
        try:
            return super().test(*args, **kwargs)
        finally:
            self.deadline = deadline


def almanac_dag(*, tags: list[str], doc_md: str, default_args_overrides: dict[str, Any] | None = None, **kwargs: Any):
    """``airflow.sdk.dag`` with almanac's defaults; any keyword can still be overridden."""
    if not DOMAIN_TAGS.intersection(tags):
        raise ValueError(f"tags {tags} must include one of the domain tags {sorted(DOMAIN_TAGS)}")
    if not doc_md or not doc_md.strip():
        raise ValueError("every almanac DAG needs a doc_md for its operators")
    settings: dict[str, Any] = {
        "start_date": DEFAULT_START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "on_failure_callback": on_dag_failure,
        "default_args": default_args(**(default_args_overrides or {})),
        "tags": tags,
        "doc_md": doc_md,
    }
    settings.update(kwargs)
    # ``__DAG_class`` is the decorator's own switch for the DAG class it builds (no name mangling here:
    # this is a module-level function).
    return dag(__DAG_class=AlmanacDAG, **settings)
