"""discourse_trimester_reset and discourse_daily_refresh through real dag.test() runs, against the fake
Discourse Data Explorer server (the real protocol over HTTP) and the embedded Postgres."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re

import pytest

from almanac.demo.discourse_fake_server import FakeDiscourse

pytestmark = pytest.mark.integration

RESET, REFRESH = "discourse_trimester_reset", "discourse_daily_refresh"
UTC = dt.UTC
READERS = (
    "discourse.courses ORDER BY category_id",
    "discourse.users ORDER BY user_id",
    "discourse.user_metrics ORDER BY trimester_id, category_id, user_id",
    "discourse.platform_scores ORDER BY trimester_id, user_id",
)


@pytest.fixture(scope="module")
def fake_discourse():
    server = FakeDiscourse(
        courses=4,
        users=40,
        start=dt.date(2025, 5, 1),
        horizon=dt.date(2026, 3, 10),
        actions_per_course_day=3,
        rate_limit=None,  # the tests that want 429s set one
    ).start()
    yield server
    server.stop()


@pytest.fixture
def forum(warehouse, fake_discourse, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(fake_discourse.connection()))
    monkeypatch.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("ALMANAC_DISCOURSE_JITTER_SECONDS", "0.05")
    warehouse.empty_discourse()
    fake_discourse.heal()
    fake_discourse.clear_records()
    fake_discourse.generation = "core"
    fake_discourse.set_rate_limit(None)
    return fake_discourse


def readers(warehouse):
    return {q: warehouse.query(f"SELECT * FROM {q}") for q in READERS}


def status(warehouse):
    row = warehouse.query(
        "SELECT last_refresh_date, user_actions_loaded, reset_failed, reset_failure_reason,"
        " live_version_id FROM discourse.system_status"
    )[0]
    return dict(zip(("last_refresh_date", "loaded", "failed", "reason", "live"), row, strict=True))


def at(y, m, d, hh=3, mm=30):
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


def test_reset_on_new_year_builds_the_three_trimesters_and_a_rerun_is_identical(forum, warehouse, airflow_runner):
    result = airflow_runner.run(RESET, logical_date=at(2026, 1, 1))
    assert result.state == "success", result.task_states
    windows = sorted(
        {(r["params"]["start_date"], r["params"]["end_date"]) for r in forum.requests if r["query_id"] == 103}
    )
    assert windows == [("2025-05-01", "2025-09-01"), ("2025-09-01", "2026-01-01"), ("2026-01-01", "2026-01-01")]
    trimesters = {r[0] for r in warehouse.query("SELECT DISTINCT trimester_id FROM discourse.user_metrics")}
    assert trimesters == {"t2-2025", "t3-2025"}  # t1-2026 starts on the reset day: nothing happened yet
    courses = warehouse.query("SELECT name, is_uncategorized FROM discourse.courses ORDER BY category_id")
    assert courses == [("Uncategorized", True)] + [(f"Course {i}", False) for i in range(1, 5)]
    assert status(warehouse)["last_refresh_date"] == dt.date(2026, 1, 1)
    assert status(warehouse)["loaded"] is True
    assert status(warehouse)["failed"] is False
    first = readers(warehouse)
    assert len(first[READERS[2]]) > 100

    assert airflow_runner.run(RESET, logical_date=at(2026, 1, 1)).state == "success"
    assert readers(warehouse) == first


def test_metric_formulas_on_a_tiny_data_set(forum, warehouse, monkeypatch):
    from almanac.db import transaction
    from almanac.discourse.tasks import _compute_metrics

    with warehouse.connect() as conn:
        (v,) = conn.execute(
            "INSERT INTO discourse.versions (run_id, reset_date, status) VALUES ('t', '2026-01-01',"
            " 'building') RETURNING version_id"
        ).fetchone()
        d1, d2 = dt.datetime(2025, 10, 1, 9, tzinfo=UTC), dt.datetime(2025, 10, 2, 9, tzinfo=UTC)
        actions = [
            (1, 1, 100, d1),
            (1, 1, 101, d1 + dt.timedelta(hours=1)),
            (1, 5, 102, d2),  # A: 2 likes, 1 reply
            (2, 15, 103, d1),
            (2, 4, 104, d1),
        ]  # B: 1 solution, 1 topic
        for user, kind, post, when in actions:
            conn.execute(
                "INSERT INTO discourse.v_user_actions VALUES (%s, 't3-2025', 10, %s, %s, %s, 1, %s)",
                (v, user, kind, post, when),
            )
        conn.execute(
            "INSERT INTO discourse.v_engagement VALUES (%s, 't3-2025', 1, 2, 10, 5), (%s, 't3-2025', 3, 4, 20, 9)",
            (v, v),
        )
    with transaction("discourse_viz_db") as conn:
        _compute_metrics(conn, v, ["t3-2025"])
    metrics = {
        r[0]: r[1:]
        for r in warehouse.query(
            "SELECT user_id, likes_given, replies, solutions, topics_created, days_active, unnormalized_score,"
            " log_normalized_score FROM discourse.v_user_metrics WHERE version_id = %s",
            (v,),
        )
    }
    # A: 0.5·2 + 2·1 + 1·2 days = 5; B: 5·1 + 3·1 + 1·1 day = 9 (the course max)
    assert metrics[1][:6] == (2, 1, 0, 0, 2, 5)
    assert metrics[2][:6] == (0, 0, 1, 1, 1, 9)
    assert float(metrics[1][6]) == pytest.approx(100 * math.log(6) / math.log(10), abs=1e-4)
    assert float(metrics[2][6]) == pytest.approx(100.0)
    platform = {
        r[0]: (float(r[1]), float(r[2]))
        for r in warehouse.query(
            "SELECT user_id, score, log_normalized_score FROM discourse.v_platform_scores WHERE version_id = %s", (v,)
        )
    }
    # A: 5 + 0.1·10 + 0.5·2 = 7; B: 9; C (engagement only): 0.1·20 + 0.5·4 = 4
    assert platform[1] == pytest.approx((7.0, 100 * math.log(8) / math.log(10)), abs=1e-4)
    assert platform[2] == pytest.approx((9.0, 100.0))
    assert platform[3] == pytest.approx((4.0, 100 * math.log(5) / math.log(10)), abs=1e-4)

    # configured weights reach the SQL: replies count 10 instead of 2 → A = 0.5·2 + 10·1 + 1·2 = 13
    monkeypatch.setenv("ALMANAC_DISCOURSE_WEIGHTS", '{"w_reply": 10}')
    with transaction("discourse_viz_db") as conn:
        _compute_metrics(conn, v, ["t3-2025"])
    (score,) = warehouse.query(
        "SELECT unnormalized_score FROM discourse.v_user_metrics WHERE version_id = %s AND user_id = 1", (v,)
    )[0]
    assert float(score) == 13.0


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


def test_refresh_fetches_only_the_delta_and_equals_a_full_rebuild(forum, warehouse, airflow_runner):
    assert airflow_runner.run(RESET, logical_date=at(2026, 3, 10), conf={"reset_date": "2026-03-10"}).state == "success"
    added = forum.add_activity(dt.date(2026, 3, 10), 2, seed=1) + forum.add_activity(dt.date(2026, 3, 11), 2, seed=2)
    forum.requests.clear()

    result = airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15))
    assert result.state == "success", result.task_states
    asked = [r for r in forum.requests if r["query_id"] == 103]
    assert {(r["params"]["start_date"], r["params"]["end_date"]) for r in asked} == {("2026-03-10", "2026-03-12")}
    relevant_share = 5 / 8  # 4 courses + Uncategorized of 8 categories
    assert sum(r["rows"] for r in asked) == pytest.approx(added * relevant_share, abs=2)
    assert status(warehouse)["last_refresh_date"] == dt.date(2026, 3, 12)
    refreshed = readers(warehouse)

    forum.requests.clear()
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15)).state == "success"
    assert [r for r in forum.requests if r["query_id"] == 103] == []  # nothing new to fetch
    assert readers(warehouse) == refreshed

    assert airflow_runner.run(RESET, logical_date=at(2026, 3, 12), conf={"reset_date": "2026-03-12"}).state == "success"
    rebuilt = readers(warehouse)
    key = READERS[2]
    assert [r for r in refreshed[key] if r[0] == "t1-2026"] == [r for r in rebuilt[key] if r[0] == "t1-2026"]


def test_the_refresh_skips_trimester_start_days(forum, warehouse, airflow_runner):
    result = airflow_runner.run(REFRESH, logical_date=at(2026, 5, 1, 3, 15))
    assert result.state == "success"
    assert result.task_states["skip_trimester_start"] == "success"
    assert result.task_states["plan_refresh"] == "skipped"
    assert result.task_states["recompute_trimester"] == "skipped"
    assert forum.requests == []


def test_refresh_without_any_reset_fails_clearly(forum, warehouse, airflow_runner, slack):
    result = airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15))
    assert result.state == "failed"
    assert result.task_states["plan_refresh"] == "failed"
    assert any("no trimester reset has succeeded yet" in t for t in slack.texts)


def test_an_older_refresh_rerun_after_newer_ones_changes_nothing(forum, warehouse, airflow_runner):
    assert airflow_runner.run(RESET, logical_date=at(2026, 3, 10), conf={"reset_date": "2026-03-10"}).state == "success"
    forum.add_activity(dt.date(2026, 3, 10), 2, seed=1)
    forum.add_activity(dt.date(2026, 3, 11), 2, seed=2)
    older = airflow_runner.run(REFRESH, logical_date=at(2026, 3, 11, 3, 15))
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15)).state == "success"
    newest = readers(warehouse)

    rerun = airflow_runner.clear_and_resume(REFRESH, older.run_id, ["plan_refresh"])

    assert rerun.state == "success", rerun.task_states
    assert status(warehouse)["last_refresh_date"] == dt.date(2026, 3, 12)
    assert readers(warehouse) == newest
    summary = airflow_runner.xcom(REFRESH, older.run_id, "recompute_trimester")
    assert summary["nothing_to_do"].startswith("nothing to do: the live data is already refreshed up to 2026-03-12")


def test_clearing_the_apr_30_refresh_after_the_may_1_reset_keeps_t1_whole(forum, warehouse, airflow_runner):
    assert airflow_runner.run(RESET, logical_date=at(2026, 4, 29), conf={"reset_date": "2026-04-29"}).state == "success"
    forum.add_activity(dt.date(2026, 4, 29), 3, seed=3)
    forum.add_activity(dt.date(2026, 4, 30), 3, seed=4)  # t1's last day: only the May 1 reset fetches it
    refresh = airflow_runner.run(REFRESH, logical_date=at(2026, 4, 30, 3, 15))
    assert airflow_runner.run(RESET, logical_date=at(2026, 5, 1)).state == "success"
    after_reset = readers(warehouse)

    rerun = airflow_runner.clear_and_resume(REFRESH, refresh.run_id, ["recompute_trimester"])

    assert rerun.state == "success", rerun.task_states
    assert readers(warehouse) == after_reset
    assert status(warehouse)["last_refresh_date"] == dt.date(2026, 5, 1)


def test_a_reset_rerun_after_later_refreshes_rebuilds_as_of_the_newest_refresh(forum, warehouse, airflow_runner):
    first = airflow_runner.run(RESET, logical_date=at(2026, 3, 10), conf={"reset_date": "2026-03-10"})
    forum.add_activity(dt.date(2026, 3, 10), 2, seed=5)
    forum.add_activity(dt.date(2026, 3, 11), 2, seed=6)
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15)).state == "success"
    refreshed = readers(warehouse)
    reset_at = status(warehouse)

    rerun = airflow_runner.clear_and_resume(RESET, first.run_id, ["backup_live_state"])

    assert rerun.state == "success", rerun.task_states
    handle = airflow_runner.xcom(RESET, first.run_id, "backup_live_state")
    assert handle["reset_date"] == "2026-03-12"  # not back to Mar 10
    assert readers(warehouse) == refreshed
    assert status(warehouse)["last_refresh_date"] == reset_at["last_refresh_date"]


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


def test_clearing_a_step_of_a_published_reset_after_a_refresh_changes_nothing(forum, warehouse, airflow_runner):
    reset = airflow_runner.run(RESET, logical_date=at(2026, 3, 10), conf={"reset_date": "2026-03-10"})
    forum.add_activity(dt.date(2026, 3, 10), 2, seed=7)
    forum.add_activity(dt.date(2026, 3, 11), 2, seed=8)
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15)).state == "success"
    refreshed = readers(warehouse)

    cleared = airflow_runner.clear_and_resume(RESET, reset.run_id, ["load_course_actions"], map_index=1)

    assert cleared.state == "success", cleared.task_states
    assert readers(warehouse) == refreshed  # not reloaded up to Mar 10 into the live version
    assert status(warehouse)["last_refresh_date"] == dt.date(2026, 3, 12)


def test_a_failed_reset_finished_after_a_refresh_is_rebuilt_as_of_the_refresh(forum, warehouse, airflow_runner, slack):
    assert airflow_runner.run(RESET, logical_date=at(2026, 3, 10), conf={"reset_date": "2026-03-10"}).state == "success"
    forum.fail(108, "malformed")
    failed = airflow_runner.run(RESET, logical_date=at(2026, 3, 11), conf={"reset_date": "2026-03-11"})
    assert failed.state == "failed"
    forum.heal()
    forum.add_activity(dt.date(2026, 3, 11), 2, seed=9)
    assert airflow_runner.run(REFRESH, logical_date=at(2026, 3, 12, 3, 15)).state == "success"
    refreshed = readers(warehouse)

    # clearing the failed task finishes a build as of Mar 11: publishing it would move the data back
    resumed = airflow_runner.clear_and_resume(RESET, failed.run_id, ["reload_users"])
    assert resumed.state == "failed"
    assert resumed.task_states["publish"] == "failed"
    assert readers(warehouse) == refreshed
    assert "clear backup_live_state to rebuild as of the newer date" in status(warehouse)["reason"]

    rebuilt = airflow_runner.clear_and_resume(RESET, failed.run_id, ["backup_live_state"])
    assert rebuilt.state == "success", rebuilt.task_states
    flags = status(warehouse)
    assert (flags["failed"], flags["last_refresh_date"]) == (False, dt.date(2026, 3, 12))
    assert readers(warehouse) == refreshed  # a reset as of Mar 12 holds what the Mar 12 refresh held
