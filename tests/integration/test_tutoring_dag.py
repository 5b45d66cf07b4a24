"""tutoring_daily_metrics through real dag.test() runs on the embedded PostgreSQL.

A hand-built data set with sessions exactly on the window edges; every expected value below is
computed by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.dates]

DAG_ID = "tutoring_daily_metrics"
R = dt.date(2026, 3, 15)
RUN_AT = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def ts(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


# session_id, tutor, start, status, first, rating, rescheduled_by, objectives, engagement, response
SESSIONS = [
    # T1, a strong tutor
    ("s1", "T1", ts(2026, 3, 8), "completed", True, 5, None, True, 90, 10),  # exactly R-7d: in every window
    ("s2", "T1", ts(2026, 3, 15), "completed", False, 1, None, False, 0, 0),  # exactly R: in no window
    ("s3", "T1", ts(2026, 3, 14, 23, 59), "completed", False, 5, None, True, 100, 20),
    ("s4", "T1", ts(2026, 3, 1), "completed", True, 4, None, False, 80, 30),  # 30/90 only
    ("s5", "T1", ts(2026, 2, 20), "rescheduled", False, None, "tutor", None, None, 40),  # 30/90 only
    ("s6", "T1", ts(2026, 3, 7, 23, 59), "no_show", False, None, None, None, None, None),  # just before R-7d
    ("s7", "T1", ts(2026, 3, 10), "completed", False, 7, None, True, 50, 5),  # rating 7: excluded
    ("s8", "T1", ts(2025, 12, 20), "cancelled", False, None, None, None, None, None),  # 90 only
    ("s9", "T1", ts(2025, 12, 14, 23), "completed", False, 1, None, False, 0, 0),  # before R-90d
    # T2, a struggling tutor (all in the 7-day window)
    ("b1", "T2", ts(2026, 3, 12), "completed", True, 1, None, False, 10, 50),
    ("b2", "T2", ts(2026, 3, 13), "no_show", False, None, None, None, None, None),
    ("b3", "T2", ts(2026, 3, 14), "rescheduled", False, None, "tutor", None, None, -3),  # negative: excluded
    ("b4", "T2", ts(2026, 3, 14, 1), "rescheduled", False, None, "tutor", None, None, None),
    # T4 is inactive
    ("d1", "T4", ts(2026, 3, 12), "completed", False, 5, None, True, 90, 10),
]


@pytest.fixture
def tutoring_data(warehouse):
    with warehouse.connect() as conn:
        conn.execute(
            "TRUNCATE tutoring.tutor_performance_metrics, tutoring.almanac_retention_horizon, tutoring.sessions,"
            " tutoring.tutors"
        )
        conn.execute(
            "INSERT INTO tutoring.tutors VALUES ('T1','Ann',true),('T2','Bob',true),('T3','Cid',true),('T4','Dee',false)"
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tutoring.sessions VALUES (%s,%s,'st',%s,%s,%s,%s,%s,%s,%s,%s)",
                SESSIONS,
            )
    return warehouse


def metrics(warehouse, day=R):
    rows = warehouse.query(
        "SELECT tutor_id, metric_window, sessions_completed, avg_rating, first_session_success_rate, reschedule_rate,"
        " no_show_count, engagement_score, learning_objectives_met_pct, response_time_avg_minutes,"
        " performance_tier, excluded_sessions FROM tutoring.tutor_performance_metrics"
        " WHERE calculation_date = %s ORDER BY 1, 2",
        (dt.datetime.combine(day, dt.time(), tzinfo=UTC),),
    )
    cols = [
        "sessions_completed",
        "avg_rating",
        "first_session_success_rate",
        "reschedule_rate",
        "no_show_count",
        "engagement_score",
        "learning_objectives_met_pct",
        "response_time_avg_minutes",
        "performance_tier",
        "excluded_sessions",
    ]
    return {(r[0], r[1]): dict(zip(cols, r[2:], strict=True)) for r in rows}


def whole_table(warehouse):
    return warehouse.query("SELECT * FROM tutoring.tutor_performance_metrics ORDER BY metric_id")


def test_metrics_match_hand_computed_values_at_the_window_edges(tutoring_data, airflow_runner, slack):
    result = airflow_runner.run(DAG_ID, logical_date=RUN_AT)
    assert result.state == "success", result.task_states
    m = metrics(tutoring_data)
    assert {t for t, _ in m} == {"T1", "T2", "T3"}  # T4 is inactive

    # 7 days = [Mar 8, Mar 15): s1 and s3 valid, s7 excluded; s2 (at R) and s6 (before R-7d) out.
    assert m["T1", "7day"] == {
        "sessions_completed": 2,
        "avg_rating": 5.0,
        "first_session_success_rate": 100.0,
        "reschedule_rate": 0.0,
        "no_show_count": 0,
        "engagement_score": 95.0,
        "learning_objectives_met_pct": 100.0,
        "response_time_avg_minutes": 15.0,
        "performance_tier": "Exemplary",  # 0.35·100 + 0.2·100 + 0.15·100 + 0.15·95 + 0.15·100 = 99.25
        "excluded_sessions": 1,
    }
    # 30 days = [Feb 13, Mar 15): s1, s3, s4, s5, s6 valid; completed s1, s3, s4.
    t1_30 = m["T1", "30day"]
    assert t1_30["sessions_completed"] == 3
    assert t1_30["avg_rating"] == pytest.approx(14 / 3)
    assert t1_30["first_session_success_rate"] == 100.0  # s1 (5) and s4 (4)
    assert t1_30["reschedule_rate"] == pytest.approx(20.0)  # s5 of 5 valid
    assert t1_30["no_show_count"] == 1
    assert t1_30["engagement_score"] == pytest.approx(90.0)
    assert t1_30["learning_objectives_met_pct"] == pytest.approx(200 / 3)
    assert t1_30["response_time_avg_minutes"] == pytest.approx(25.0)  # 10, 20, 30, 40
    # composite: rating 91.67·.35 + obj 66.67·.2 + first 100·.15 + eng 90·.15 + rel (100-40-40)=20·.15 = 76.42
    assert t1_30["performance_tier"] == "Strong"
    # 90 days = [Dec 15, Mar 15): s8 (cancelled) joins; s9 is an hour too early.
    t1_90 = m["T1", "90day"]
    assert t1_90["sessions_completed"] == 3
    assert t1_90["reschedule_rate"] == pytest.approx(100 / 6)

    t2 = m["T2", "7day"]
    assert t2["sessions_completed"] == 1
    assert t2["avg_rating"] == 1.0
    assert t2["first_session_success_rate"] == 0.0
    assert t2["reschedule_rate"] == pytest.approx(100 / 3)  # b4 of b1, b2, b4 (b3 excluded)
    assert t2["no_show_count"] == 1
    assert t2["excluded_sessions"] == 1
    assert t2["performance_tier"] == "At Risk"  # 0.15·10 = 1.5

    t3 = m["T3", "7day"]
    assert t3["sessions_completed"] == 0
    assert t3["avg_rating"] is None
    assert t3["performance_tier"] is None

    summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
    assert summary["total_tutors"] == 3
    assert summary["successful"] == 3
    assert summary["total_metrics_saved"] == 9
    assert summary["success_rate"] == 100.0
    assert summary["excluded_sessions"] == 2
    assert summary["tutors_with_excluded_sessions"] == 2
    assert slack.payloads == []  # nothing to report at 100%


def test_rerun_gives_identical_rows(tutoring_data, airflow_runner):
    assert airflow_runner.run(DAG_ID, logical_date=RUN_AT).state == "success"
    first = whole_table(tutoring_data)
    assert airflow_runner.run(DAG_ID, logical_date=RUN_AT).state == "success"
    assert whole_table(tutoring_data) == first
    assert len(first) == 9


def test_tutor_subset_touches_only_those_and_reports_unknown_ids(tutoring_data, airflow_runner, slack):
    assert airflow_runner.run(DAG_ID, logical_date=RUN_AT).state == "success"
    before = whole_table(tutoring_data)
    result = airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf={"tutor_ids": ["T2", "T404"], "date": "2026-03-14"})
    assert result.state == "success"
    new_rows = metrics(tutoring_data, dt.date(2026, 3, 14))
    assert {t for t, _ in new_rows} == {"T2"}
    assert [r for r in whole_table(tutoring_data) if r[2].astimezone(dt.UTC).date() == R] == before
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
    assert summary["unknown_tutor_ids"] == 1
    assert summary["total_tutors"] == 1
    assert any("unknown tutor ids requested: 1" in t for t in slack.texts)
    assert not any("Bob" in t or "Ann" in t for t in slack.texts)


def test_cleanup_deletes_only_rows_older_than_the_retention(tutoring_data, airflow_runner):
    old = dt.datetime.combine(R - dt.timedelta(days=91), dt.time(), tzinfo=UTC)
    edge = dt.datetime.combine(R - dt.timedelta(days=90), dt.time(), tzinfo=UTC)
    for when in (old, edge):
        tutoring_data.execute(
            "INSERT INTO tutoring.tutor_performance_metrics (metric_id, tutor_id, calculation_date, metric_window,"
            " sessions_completed, no_show_count, created_at, updated_at) VALUES (%s, 'T1', %s, '7day', 0, 0, %s, %s)",
            (f"T1:{when.date()}:7day", when, when, when),
        )
    result = airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf={"cleanup": True, "retention_days": 90})
    assert result.state == "success"
    days = {
        r[0] for r in tutoring_data.query("SELECT DISTINCT calculation_date FROM tutoring.tutor_performance_metrics")
    }
    assert old not in days
    assert edge in days
    assert airflow_runner.xcom(DAG_ID, result.run_id, "cleanup_old_metrics") == 1


def test_a_date_after_the_runs_own_is_refused_and_cleanup_deletes_nothing(tutoring_data, airflow_runner, slack):
    assert airflow_runner.run(DAG_ID, logical_date=RUN_AT).state == "success"
    before = whole_table(tutoring_data)
    # a typo for 2026: with cleanup, R = 2062 would put every stored row before the retention cutoff
    result = airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf={"date": "2062-03-15", "cleanup": True})
    assert result.state == "failed"
    assert whole_table(tutoring_data) == before
    assert any("date: 2062-03-15 is after this run's own date 2026-03-15 (UTC)" in t for t in slack.texts)


def test_an_older_run_after_a_cleanup_does_not_write_back_what_it_deleted(tutoring_data, airflow_runner):
    old = RUN_AT - dt.timedelta(days=100)  # R = 2025-12-05, more than 90 days before 2026-03-15
    assert airflow_runner.run(DAG_ID, logical_date=old).state == "success"
    assert metrics(tutoring_data, old.date()) != {}
    cleaned = airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf={"cleanup": True, "retention_days": 90})
    assert cleaned.state == "success"
    after_cleanup = whole_table(tutoring_data)
    assert metrics(tutoring_data, old.date()) == {}
    rerun = airflow_runner.run(DAG_ID, logical_date=old)  # the old day again, later: in order it stays deleted
    assert rerun.state == "success"
    assert whole_table(tutoring_data) == after_cleanup
    assert airflow_runner.xcom(DAG_ID, rerun.run_id, "summarize")["total_metrics_saved"] == 0


@pytest.mark.parametrize(
    ("conf", "field"),
    [
        ({"retention_days": 0}, "retention_days"),
        ({"date": "2026-13-01"}, "date"),
        ({"tutor_ids": "T1"}, "tutor_ids"),
        ({"include_inactive": "yes"}, "include_inactive"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_params_are_rejected_before_the_run_with_the_field_named(tutoring_data, airflow_runner, conf, field):
    from airflow.sdk.definitions.param import ParamValidationError

    # the param's own name, as Airflow names it (the schema text in the message mentions other fields)
    with pytest.raises(ParamValidationError, match=rf"^Invalid input for param {field}:"):
        airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf=conf)
    assert whole_table(tutoring_data) == []  # no run, no rows


def test_a_failing_batch_fails_alone_and_clearing_it_completes_the_run(tutoring_data, airflow_runner, slack):
    # A database error for one tutor's rows, injected where production errors happen: in the write.
    tutoring_data.execute(
        """
        CREATE FUNCTION tutoring.refuse_t2() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'simulated storage failure'; END $$;
        CREATE TRIGGER refuse_t2 BEFORE INSERT ON tutoring.tutor_performance_metrics
        FOR EACH ROW WHEN (NEW.tutor_id = 'T2') EXECUTE FUNCTION tutoring.refuse_t2();
        """
    )
    try:
        result = airflow_runner.run(DAG_ID, logical_date=RUN_AT, conf={"batch_size": 1})
        assert result.state == "failed"
        assert result.failed_tasks == ["cleanup_old_metrics", "compute_batch[1]"]  # cleanup: upstream_failed
        assert result.task_states["compute_batch[0]"] == "success"
        assert result.task_states["compute_batch[2]"] == "success"
        assert {t for t, _ in metrics(tutoring_data)} == {"T1", "T3"}
        summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
        assert (summary["successful"], summary["failed"]) == (2, 1)
        assert summary["success_rate"] == pytest.approx(66.67)
        assert any("success rate 66.67%" in t for t in slack.texts)
        assert any("compute_batch[1]" in t and "simulated storage failure" in t for t in slack.texts)
    finally:
        tutoring_data.execute("DROP TRIGGER IF EXISTS refuse_t2 ON tutoring.tutor_performance_metrics")

    resumed = airflow_runner.clear_and_resume(DAG_ID, result.run_id, ["compute_batch"], map_index=1)
    assert resumed.state == "success", resumed.task_states
    assert {t for t, _ in metrics(tutoring_data)} == {"T1", "T2", "T3"}


def test_scores_and_tiers_equal_the_python_reference_on_generated_data(warehouse, airflow_runner):
    """The DAG scores and tiers in SQL (save_window_metrics.sql). The benchmark's seed-shaped loop computes
    every metric, the composite score and the tier in Python, per tutor and window (transform's
    reference formula); over generated tutors with out-of-range sessions both must write the same rows."""
    from almanac.demo.tutoring_data import generate
    from benchmarks.bench_tutoring import differing_rows, seed_shaped_tutor

    with warehouse.connect() as conn:
        conn.execute("TRUNCATE tutoring.tutor_performance_metrics")
        generate(conn, tutors=400, sessions_per_tutor=30, days=90)
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        conn.execute(
            "CREATE TABLE bench_baseline.tutor_performance_metrics"
            " (LIKE tutoring.tutor_performance_metrics INCLUDING ALL)"
        )
    result = airflow_runner.run(DAG_ID, logical_date=RUN_AT)
    assert result.state == "success", result.task_states
    with warehouse.connect() as conn:
        active = [r[0] for r in conn.execute("SELECT tutor_id FROM tutoring.tutors WHERE is_active ORDER BY 1")]
        with conn.cursor() as cur:
            for tutor_id in active:
                seed_shaped_tutor(cur, tutor_id, ts(2026, 3, 15))
        (rows,) = conn.execute("SELECT count(*) FROM bench_baseline.tutor_performance_metrics").fetchone()
        tiers = conn.execute(
            "SELECT count(DISTINCT performance_tier) FROM tutoring.tutor_performance_metrics"
        ).fetchone()[0]
        differences = differing_rows(conn)
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
    assert rows == 3 * len(active) > 0
    assert tiers >= 3  # the data reaches several tiers, so a wrong weight or threshold shows
    assert differences == 0
