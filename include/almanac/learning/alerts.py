"""Slow-run alert for the learning DAGs (seed 001: "alert if job execution time > 5 minutes").

Airflow 3's deadline alerts: 5 minutes after the run is queued, if it has not finished, the triggerer
posts to Slack through the provider's webhook notifier. They need the scheduler and triggerer, so
they fire under ``make run`` / production, not under ``dag.test()``.
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

from almanac.connections import SLACK_ALERTS

SLOW_RUN_AFTER = dt.timedelta(minutes=5)


def slow_run_alert(dag_id: str) -> DeadlineAlert:
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=SLOW_RUN_AFTER,
        callback=AsyncCallback(
            SlackWebhookNotifier,
            kwargs={
                "slack_webhook_conn_id": SLACK_ALERTS,
                "text": f":hourglass: *{dag_id}* is still running 5 minutes after it was queued"
                " (run `{{ dag_run.run_id }}`)",
            },
        ),
    )
