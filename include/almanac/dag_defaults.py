"""What every almanac DAG shares (DESIGN.md §3), defined once and tested once.

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

from airflow.sdk import dag

from almanac.notify import TaskFailureNotifier, on_dag_failure

OWNER = "almanac"
#: DAGs are scheduled from this date; ``catchup=False`` so no history is replayed on first unpause.
DEFAULT_START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

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
    return dag(**settings)
