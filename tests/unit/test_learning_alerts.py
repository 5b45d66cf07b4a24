"""The slow-run deadline alert of the learning DAGs (it fires only with a scheduler and triggerer)."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.sdk import AsyncCallback, DeadlineReference

from almanac.learning.alerts import slow_run_alert


@pytest.mark.parametrize("dag_id", ["learning_daily_snapshots", "learning_weekly_recommendations"])
def test_learning_dags_warn_on_slack_when_a_run_takes_more_than_five_minutes(dag_id):
    from airflow.dag_processing.dagbag import DagBag

    from almanac.demo.embedded import PROJECT_ROOT

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / f"{dag_id}.py")).get_dag(dag_id)
    alerts = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert alert.interval == dt.timedelta(minutes=5)
    assert isinstance(alert.callback, AsyncCallback)
    assert "SlackWebhookNotifier" in str(alert.callback.path)
    assert alert.callback.kwargs["slack_webhook_conn_id"] == "slack_alerts"
    assert dag_id in alert.callback.kwargs["text"]
    assert "5 minutes after it was queued" in alert.callback.kwargs["text"]
    # the deadline callback's context has the run as a DAGRunResponse dict: dag_run_id, not run_id
    assert "{{ dag_run.dag_run_id }}" in alert.callback.kwargs["text"]


def test_the_slow_run_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALMANAC_SLOW_RUN_SECONDS", "20")
    alert = slow_run_alert("learning_daily_snapshots")
    assert alert.interval == dt.timedelta(seconds=20)
    assert "20 seconds after it was queued" in alert.callback.kwargs["text"]
    monkeypatch.delenv("ALMANAC_SLOW_RUN_SECONDS")
    assert slow_run_alert("learning_daily_snapshots").interval == dt.timedelta(minutes=5)
