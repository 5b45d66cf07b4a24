"""Slow-run alert for the learning DAGs (seed 001: "alert if job execution time > 5 minutes").

Airflow 3's deadline alerts: 5 minutes after the run is queued, if it has not finished, the triggerer
posts to Slack through the provider's webhook notifier. They need the scheduler and triggerer, so
they fire under ``make run`` / production, not under ``dag.test()``.

The 5 minutes can be changed with the environment variable ``ALMANAC_SLOW_RUN_SECONDS`` (default 300),
read when the DAG file is parsed, so it must be set for the dag-processor. ``make e2e`` sets a few
seconds to see the alert fire without waiting minutes.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

from almanac.connections import SLACK_ALERTS

DEFAULT_SLOW_RUN_SECONDS = 300


def slow_run_after() -> dt.timedelta:
    """How long after it was queued a run counts as slow: ``ALMANAC_SLOW_RUN_SECONDS``, default 5 minutes."""
    return dt.timedelta(seconds=float(os.environ.get("ALMANAC_SLOW_RUN_SECONDS", DEFAULT_SLOW_RUN_SECONDS)))


def describe(interval: dt.timedelta) -> str:
    """``5 minutes``, ``1 minute``, ``20 seconds``: the interval as the alert's text says it."""
    seconds = int(interval.total_seconds())
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def slow_run_alert(dag_id: str) -> DeadlineAlert:
    interval = slow_run_after()
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(
            SlackWebhookNotifier,
            kwargs={
                "slack_webhook_conn_id": SLACK_ALERTS,
                # A deadline callback's context holds the run as the REST API shows it (DAGRunResponse):
                # its id is ``dag_run_id`` there, not ``run_id`` as in a task's context.
                "text": f":hourglass: *{dag_id}* is still running {describe(interval)} after it was queued"
                " (run `{{ dag_run.dag_run_id }}`)",
            },
        ),
    )
