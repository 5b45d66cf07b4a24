"""discourse_trimester_reset and discourse_daily_refresh through real dag.test() runs, against the fake
Discourse Data Explorer server (the real protocol over HTTP) and the embedded Postgres: what a reset and a
refresh build, and what reruns and clears in any order leave. Failures: test_discourse_faults."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.support.discourse_runs import READERS, REFRESH, RESET, at, readers, status

pytestmark = [pytest.mark.integration, pytest.mark.dates]
UTC = dt.UTC


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
        # active days are UTC days: 02:00 UTC on Oct 2 is still Oct 1 in a zone west of UTC
        d1, d2 = dt.datetime(2025, 10, 1, 9, tzinfo=UTC), dt.datetime(2025, 10, 2, 2, tzinfo=UTC)
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
