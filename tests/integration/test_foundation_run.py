"""A real DAG run through dag.test(): a failing task's Slack alert reaches the receiver."""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.integration


def test_connection_check_passes_on_the_embedded_warehouse(airflow_runner, slack):
    result = airflow_runner.run("almanac_connection_check", logical_date=None)
    assert result.state == "success", result.task_states
    assert len(result.task_states) == 6
    assert slack.payloads == []


def test_failing_task_posts_its_slack_alert(airflow_runner, slack, embedded_pg, monkeypatch):
    broken = embedded_pg.postgres_conn("no_such_database")
    monkeypatch.setenv("AIRFLOW_CONN_TUTORING_DB", json.dumps(broken))

    result = airflow_runner.run("almanac_connection_check", logical_date=None)

    assert result.state == "failed"
    assert result.failed_tasks == ["check_connection[5]"]
    task_alerts = [t for t in slack.texts if "Task failed" in t]
    assert len(task_alerts) == 1, slack.texts
    alert = task_alerts[0]
    assert "`almanac_connection_check.check_connection[5]`" in alert
    assert result.run_id in alert
    assert "try 3" in alert  # two retries (at 0 s delay in tests), then the alert
    assert "no_such_database" in alert  # the one-line error
    assert "http://localhost:8080/dags/almanac_connection_check/runs/" in alert
    assert any("DAG run failed" in t for t in slack.texts)
    assert os.environ["AIRFLOW_CONN_LEARNING_DB"]  # the others were untouched
