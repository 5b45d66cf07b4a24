"""discourse_trimester_reset when the forum or the warehouse fails, and the Data Explorer client inside
the DAGs (pagination, 429s, pools), through real dag.test() runs against the fake Discourse server."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from almanac.demo.discourse_fake_server import FakeDiscourse
from tests.support.discourse_runs import REFRESH, RESET, at, readers, status

pytestmark = pytest.mark.integration


def test_the_very_first_reset_failing_flags_the_status_and_alerts(forum, warehouse, airflow_runner, slack):
    """No backup version exists yet: the restore must still flag the failure and tell Slack."""
    forum.fail(108, "malformed")
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "failed"
    assert result.task_states["restore_previous_state"] == "success"
    flags = status(warehouse)
    assert flags["failed"] is True
    assert flags["live"] is None
    assert flags["loaded"] is False
    assert "query #108 (users)" in flags["reason"]
    assert any("users are served the previous data" in t for t in slack.texts)


def test_a_reset_date_after_the_runs_own_is_refused_and_moves_nothing(forum, warehouse, airflow_runner, slack):
    """A typo such as 2062 for 2026 would publish empty trimesters and a last_refresh_date every later
    refresh and reset defers to."""
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    before, live = readers(warehouse), status(warehouse)
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 2), conf={"reset_date": "2062-01-01"})
    assert result.state == "failed"
    assert result.task_states["backup_live_state"] == "failed"
    assert readers(warehouse) == before
    assert status(warehouse) == live  # no "reset failed" flag either: no reset was started
    assert any("reset_date: 2062-01-01 is after this run's own date 2026-01-02 (UTC)" in t for t in slack.texts)
    assert not any("users are served the previous data" in t for t in slack.texts)


def test_forum_rows_without_a_post_are_left_out_and_counted(forum, warehouse, airflow_runner):
    """Discourse's user_actions.target_post_id is nullable; such a row used to fail the course's COPY on
    every retry, and so the whole reset."""
    forum.fail(103, "null_post", category_id=11)  # "Course 2": each page's first action has no post
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "success", result.task_states
    pages = [r for r in forum.requests if r["query_id"] == 103 and r["params"]["category_id"] == "11" and r["rows"]]
    loaded = airflow_runner.xcom(RESET, result.run_id, "load_course_actions", map_index=2)
    assert loaded["category_id"] == 11
    assert loaded["excluded_actions"] == len(pages) > 0
    stored = warehouse.query(
        "SELECT count(*) FROM discourse.v_user_actions WHERE category_id = 11 AND version_id = %s",
        (status(warehouse)["live"],),
    )
    assert stored == [(loaded["actions"],)]
    assert loaded["actions"] == sum(r["rows"] for r in pages) - len(pages)


def test_a_failing_course_keeps_the_old_data_flags_alerts_and_clearing_completes(
    forum, warehouse, airflow_runner, slack
):
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    before = readers(warehouse)
    live = status(warehouse)["live"]
    forum.fail(103, "500", category_id=11)  # "Course 2"

    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "failed"  # red, although restore_previous_state succeeded
    assert result.task_states["restore_previous_state"] == "success"
    assert [k for k, v in result.task_states.items() if v == "failed"] == ["load_course_actions[2]"]
    assert readers(warehouse) == before
    flags = status(warehouse)
    assert flags["live"] == live
    assert flags["failed"] is True
    assert flags["loaded"] is True
    assert "load_course_actions[Course 2]" in flags["reason"]
    assert "HTTP 500" in flags["reason"]
    alert = next(t for t in slack.texts if "reset failed, users are served the previous data" in t)
    assert "HTTP 500" in alert

    forum.heal()
    resumed = airflow_runner.clear_and_resume(RESET, result.run_id, ["load_course_actions"], map_index=2)
    assert resumed.state == "success", resumed.task_states
    flags = status(warehouse)
    assert flags["failed"] is False
    assert flags["live"] != live
    assert readers(warehouse) == before  # same sources → the same numbers, now from the new version


def test_a_malformed_answer_names_query_and_column_and_keeps_the_old_data(forum, warehouse, airflow_runner):
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    before = readers(warehouse)
    forum.fail(108, "malformed")
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "failed"
    assert result.task_states["reload_users"] == "failed"
    reason = status(warehouse)["reason"]
    assert "query #108 (users): missing column 'user_id'" in reason
    assert readers(warehouse) == before


def test_a_failed_backup_step_touches_nothing_and_says_so(forum, warehouse, airflow_runner, slack):
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    before, live = readers(warehouse), status(warehouse)["live"]
    warehouse.execute(
        """
        CREATE FUNCTION refuse_new_version() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'versions are read-only'; END $$;
        CREATE TRIGGER refuse_new_version BEFORE INSERT ON discourse.versions
            FOR EACH ROW EXECUTE FUNCTION refuse_new_version();
        """
    )
    try:
        result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    finally:
        warehouse.execute("DROP TRIGGER refuse_new_version ON discourse.versions; DROP FUNCTION refuse_new_version()")
    assert result.state == "failed"
    assert result.task_states["backup_live_state"] == "failed"
    assert result.task_states["restore_previous_state"] == "success"
    flags = status(warehouse)
    assert (flags["live"], flags["loaded"], flags["failed"]) == (live, True, True)
    assert flags["reason"] == "backup_live_state failed before anything changed"
    assert readers(warehouse) == before
    assert any("backup_live_state failed before anything changed" in t for t in slack.texts)


@pytest.mark.parametrize(
    ("break_forum", "failed_task", "reason"),
    [
        (
            lambda fake, env: fake.fail(103, "422", category_id=11),
            "load_course_actions[2]",
            r"load_course_actions\[Course 2\]: .*query #103 \(user_actions\) category 11, window \[\d{4}-\d\d-\d\d, "
            r"\d{4}-\d\d-\d\d\): HTTP 422: ERROR:  canceling statement due to statement timeout",
        ),
        (
            lambda fake, env: env.setenv("ALMANAC_DISCOURSE_QUERY_ENGAGEMENT", "999"),
            "load_engagement",
            r"load_engagement: .*query #999 \(engagement\) window \[\d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d\): HTTP 404",
        ),
    ],
    ids=["statement-timeout", "unknown-query"],
)
def test_each_error_shape_fails_the_reset_naming_query_and_window(
    forum, warehouse, airflow_runner, slack, monkeypatch, break_forum, failed_task, reason
):
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    slack.clear()
    break_forum(forum, monkeypatch)
    try:
        result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    finally:
        forum.heal()
    assert result.state == "failed"
    assert failed_task in result.failed_tasks
    flags = status(warehouse)
    assert flags["failed"] is True
    assert re.search(reason, flags["reason"]), flags["reason"]
    assert any(re.search(reason, t) for t in slack.texts)


# --- the Data Explorer client inside the DAGs ---


@pytest.mark.parametrize("generation", ["core", "standalone"])
def test_a_course_with_25000_actions_in_a_trimester_is_counted_in_full(
    forum, warehouse, airflow_runner, monkeypatch, generation
):
    busy = FakeDiscourse(
        courses=1,
        users=40,
        start=dt.date(2025, 9, 1),
        horizon=dt.date(2026, 1, 1),
        actions_per_course_day=1,
        generation=generation,
        rate_limit=None,
    )
    busy.add_actions(10, dt.date(2025, 9, 1), dt.date(2026, 1, 1), 25_000, seed=5)
    busy.start()
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(busy.connection()))
    try:
        result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    finally:
        busy.stop()
    assert result.state == "success", result.task_states
    expected = busy.count_actions(10, dt.date(2025, 9, 1), dt.date(2026, 1, 1))
    assert expected > 25_000
    (counted,) = warehouse.query(
        "SELECT sum(likes_given + likes_received + topics_created + replies + solutions)::int"
        " FROM discourse.user_metrics WHERE trimester_id = 't3-2025' AND category_id = 10"
    )[0]
    assert counted == expected
    assert max(r["rows"] for r in busy.requests) == 10_000  # full pages were split, never kept


def test_a_429_storm_during_a_reset_is_waited_out_inside_the_tasks(forum, warehouse, airflow_runner):
    forum.set_rate_limit((8, 1.0))
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "success", result.task_states
    refusals = [(refused, after) for refused, after in itertools.pairwise(forum.calls) if refused["status"] == 429]
    assert refusals
    # the task itself waited what the forum said before asking again (not Airflow's task retries)
    assert all(after["at"] - refused["at"] >= refused["retry_after"] for refused, after in refusals)
    assert all(state == "success" for task, state in result.task_states.items() if task != "restore_previous_state")
    assert status(warehouse)["failed"] is False


def test_every_task_that_calls_discourse_runs_in_the_discourse_api_pool(forum, airflow_runner, monkeypatch):
    from airflow.sdk import get_current_context

    from almanac.discourse import tasks
    from almanac.discourse.client import DataExplorerClient

    callers = set()

    class RecordingClient(DataExplorerClient):
        def __init__(self, *args, **kwargs):
            task = get_current_context()["task"]
            callers.add((task.task_id, task.pool))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tasks, "DataExplorerClient", RecordingClient)
    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 1, 2, 3, 15)).state == "success"
    assert {pool for _, pool in callers} == {"discourse_api"}
    assert {task for task, _ in callers} == {
        "reload_courses",
        "reload_users",
        "load_course_actions",
        "load_engagement",
        "fetch_course_delta",
        "recompute_trimester",
    }
