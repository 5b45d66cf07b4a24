"""learning_daily_snapshots and learning_weekly_recommendations through real dag.test() runs.

A hand-built data set; expected values are worked out in the comments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.dates]

SNAPSHOTS = "learning_daily_snapshots"
RECOMMENDATIONS = "learning_weekly_recommendations"
UTC = dt.UTC


def ts(m, d, hh=0, mm=0, ss=0):
    return dt.datetime(2026, m, d, hh, mm, ss, tzinfo=UTC)


def reset(conn):
    conn.execute(
        "TRUNCATE learning.adaptive_recommendations, learning.performance_snapshots, learning.snapshot_runs,"
        " learning.quiz_attempts, learning.lesson_progress, learning.enrollments, learning.lessons,"
        " learning.courses, learning.students"
    )
    insert_courses(conn)


def insert_courses(conn):
    conn.execute("INSERT INTO learning.courses VALUES (1, 'Algebra'), (2, 'Biology')")
    conn.execute(
        "INSERT INTO learning.lessons VALUES (11, 1, 1, 'A1'), (12, 1, 2, 'A2'), (13, 1, 3, 'A3'), (14, 1, 4, 'A4'),"
        " (21, 2, 1, 'B1'), (22, 2, 2, 'B2')"
    )


@pytest.fixture
def snapshot_data(warehouse):
    with warehouse.connect() as conn:
        reset(conn)
        insert_snapshot_sources(conn)
    return warehouse


def insert_snapshot_sources(conn):
    """Day D = Mar 5: five active students (one without progress, one with impossible data), one inactive.
    Impossible quiz scores of a student without progress and of the inactive one are not errors."""
    conn.execute(
        "INSERT INTO learning.students VALUES (1,'a',true),(2,'b',true),(3,'c',true),(4,'d',true),"
        "(5,'e',false),(6,'f',true)"
    )
    conn.execute(
        "INSERT INTO learning.enrollments VALUES"
        " (1, 1, %(mar1)s, '2026-03-11'),"  # 10 days: half elapsed at the end of Mar 5 → 4 × 0.5 = 2 expected
        " (2, 1, %(mar1)s, '2026-03-03'),"  # already over → 4 expected
        " (3, 2, %(mar10)s, '2026-04-10'),"  # enrolled after D → nothing expected yet
        " (6, 1, %(mar1)s, '2026-03-11')",
        {"mar1": ts(3, 1), "mar10": ts(3, 10)},
    )
    progress = [
        (1, 11, ts(3, 2, 9), ts(3, 2, 10), 1200),
        (1, 12, ts(3, 5, 9), ts(3, 5, 10), 1800),  # completed on D: 1 lesson, 30 minutes
        (1, 13, ts(3, 5, 23), ts(3, 6, 0), 900),  # completed exactly at the end of D: not on D
        (2, 11, ts(3, 1, 11), ts(3, 1, 12), 600),
        (2, 21, ts(3, 4, 9), ts(3, 4, 10), 300),  # course 2, which student 2 is not enrolled in: not in the pace
        (3, 21, ts(3, 5, 9), None, 600),  # started on D, not completed: 10 minutes on D
        (5, 11, ts(3, 5, 9), ts(3, 5, 10), 600),  # inactive
        (6, 11, ts(3, 5, 9), ts(3, 5, 10), -60),  # impossible: excluded, counted as error
    ]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO learning.lesson_progress VALUES (%s, %s, %s, %s, %s)", progress)
        cur.executemany(
            "INSERT INTO learning.quiz_attempts VALUES (%s, %s, %s, %s)",
            [
                (1, 11, 50, ts(3, 2, 10)),
                (1, 11, 80, ts(3, 2, 11)),  # best of lesson 11 = 80
                (1, 12, 70, ts(3, 5, 23, 59, 59)),  # last second of D: counts
                (1, 12, 100, ts(3, 6)),  # first second after D: does not
                (4, 11, 150, ts(3, 2)),  # impossible, but student 4 has no progress: skipped, not an error
                (5, 11, -1, ts(3, 2)),  # impossible, but student 5 is inactive
            ],
        )


def test_a_student_listed_twice_in_the_source_is_counted_once(scratch, airflow_runner):
    """learning.students belongs to the platform: almanac reads it as one row per user_id but cannot
    require a key there. A user_id listed twice counts once (active if any of its rows is), with the same
    figures as the test above. So does an enrollment listed twice: its lessons count twice both as
    expected and as completed, so the pace, lessons and minutes stay as they were."""
    from almanac.demo import warehouse as layout

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("learning",))
        for table, constraint in conn.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE confrelid = 'learning.students'::regclass"
        ).fetchall():
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
        conn.execute("ALTER TABLE learning.students DROP CONSTRAINT students_pkey")
        conn.execute("ALTER TABLE learning.enrollments DROP CONSTRAINT enrollments_pkey")
        insert_courses(conn)
        insert_snapshot_sources(conn)
        conn.execute("INSERT INTO learning.students VALUES (1, 'a', true), (2, 'b', false), (5, 'e', false)")
        conn.execute("INSERT INTO learning.enrollments SELECT * FROM learning.enrollments WHERE user_id IN (1, 2)")
    result = airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6))
    assert result.state == "success", result.task_states
    assert snapshot_rows(scratch, dt.date(2026, 3, 5)) == {
        1: (Decimal("100.00"), Decimal("75.00"), 1, Decimal("30.00")),
        2: (Decimal("25.00"), None, 0, Decimal("0.00")),
        3: (Decimal("100.00"), None, 0, Decimal("10.00")),
    }
    summary = airflow_runner.xcom(SNAPSHOTS, result.run_id, "create_daily_snapshots")
    assert (summary["active_students"], summary["success"], summary["skipped"], summary["errors"]) == (5, 3, 1, 1)


def snapshot_rows(warehouse, day):
    return {
        r[0]: r[1:]
        for r in warehouse.query(
            "SELECT user_id, pace_score, quiz_average, lessons_completed_count, time_spent_minutes"
            " FROM learning.performance_snapshots WHERE snapshot_date = %s ORDER BY user_id",
            (day,),
        )
    }


def test_snapshot_formulas_counts_and_coverage_warning(snapshot_data, airflow_runner, slack):
    result = airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6))  # D = Mar 5
    assert result.state == "success"
    rows = snapshot_rows(snapshot_data, dt.date(2026, 3, 5))
    assert rows == {
        1: (Decimal("100.00"), Decimal("75.00"), 1, Decimal("30.00")),  # 2 of 2 expected; (80 + 70) / 2
        2: (Decimal("25.00"), None, 0, Decimal("0.00")),  # 1 of 4 expected
        3: (Decimal("100.00"), None, 0, Decimal("10.00")),  # nothing expected yet → 100
    }
    summary = airflow_runner.xcom(SNAPSHOTS, result.run_id, "create_daily_snapshots")
    assert summary == {
        "snapshot_date": "2026-03-05",
        "active_students": 5,
        "success": 3,
        "skipped": 1,  # student 4: no progress
        "errors": 1,  # student 6: negative time
        "coverage_pct": 75.0,
        "nothing_to_do": None,
    }
    warnings = [t for t in slack.texts if "only 75.0% of students got a snapshot" in t]
    assert len(warnings) == 1
    assert "errors: 1" in warnings[0]


def test_snapshot_rerun_is_identical(snapshot_data, airflow_runner):
    assert airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6)).state == "success"
    first = snapshot_data.query("SELECT * FROM learning.performance_snapshots ORDER BY user_id")
    assert airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6)).state == "success"
    assert snapshot_data.query("SELECT * FROM learning.performance_snapshots ORDER BY user_id") == first


def test_backfill_of_past_days_computes_each_day_as_of_that_day(snapshot_data, airflow_runner):
    for day in (3, 4, 5, 6):  # D = Mar 2 … Mar 5
        assert airflow_runner.run(SNAPSHOTS, logical_date=ts(3, day)).state == "success"
    student_1 = {
        r[0]: r[1:]
        for r in snapshot_data.query(
            "SELECT snapshot_date, pace_score, lessons_completed_count FROM learning.performance_snapshots"
            " WHERE user_id = 1 ORDER BY snapshot_date"
        )
    }
    assert student_1 == {
        dt.date(2026, 3, 2): (Decimal("100.00"), 1),  # 1 done, 0.8 expected → capped at 100
        dt.date(2026, 3, 3): (Decimal("83.33"), 0),  # 1 / 1.2
        dt.date(2026, 3, 4): (Decimal("62.50"), 0),  # 1 / 1.6
        dt.date(2026, 3, 5): (Decimal("100.00"), 1),  # 2 / 2.0
    }


# --- weekly recommendations: week of Monday 2026-03-09, snapshots of Sunday 2026-03-08 ---

W = dt.date(2026, 3, 9)


@pytest.fixture
def recommendation_data(warehouse):
    with warehouse.connect() as conn:
        reset(conn)
        conn.execute("INSERT INTO learning.students VALUES (1,'a',true),(2,'b',true),(3,'c',true),(4,'d',true)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO learning.enrollments VALUES (%s, 1, %s, '2026-04-01')",
                [(u, ts(2, 1)) for u in (1, 2, 3, 4)],
            )
            # (user, pace, quiz): 1 behind, 2 struggling, 3 idle, 4 fine
            cur.executemany(
                "INSERT INTO learning.performance_snapshots VALUES (%s, %s, %s, %s, 0, 0, %s)",
                [
                    (1, W - dt.timedelta(days=1), 50, 80, ts(3, 9)),
                    (2, W - dt.timedelta(days=1), 90, 40, ts(3, 9)),
                    (3, W - dt.timedelta(days=1), 90, 90, ts(3, 9)),
                    (4, W - dt.timedelta(days=1), 90, 90, ts(3, 9)),
                    (4, W - dt.timedelta(days=9), 10, 10, ts(3, 1)),
                ],  # an older, worse snapshot: not the latest
            )
            cur.execute(
                "INSERT INTO learning.snapshot_runs VALUES (%s, 4, 4, 0, 0, %s)", (W - dt.timedelta(days=1), ts(3, 9))
            )
            cur.executemany(
                "INSERT INTO learning.lesson_progress VALUES (%s, %s, %s, %s, 600)",
                [
                    (1, 11, ts(3, 3), ts(3, 3, 1)),
                    (2, 11, ts(3, 2), ts(3, 2, 1)),  # exactly W - 7 days: recent
                    (2, 12, ts(3, 4), ts(3, 4, 1)),
                    (3, 11, ts(2, 20), ts(3, 1, 23, 59)),  # before the 7-day window: idle
                    (4, 11, ts(3, 8), ts(3, 8, 1)),
                    (4, 12, ts(3, 8, 2), ts(3, 8, 3)),
                ],
            )
            cur.executemany(
                "INSERT INTO learning.quiz_attempts VALUES (2, %s, %s, %s)",
                [(11, 50, ts(3, 2, 1)), (12, 30, ts(3, 4, 1)), (12, 35, ts(3, 4, 2))],  # lowest best: A2 (35)
            )
    return warehouse


def recommendations(warehouse, week=W):
    return sorted(
        warehouse.query(
            "SELECT user_id, recommendation_type, title, priority, is_active FROM learning.adaptive_recommendations"
            " WHERE week_start = %s",
            (week,),
        )
    )


def test_one_student_per_rule_and_rerun_is_identical(recommendation_data, airflow_runner):
    result = airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6))
    assert result.state == "success", result.task_states
    assert recommendations(recommendation_data) == [
        (1, "catch_up", "Catch up with your course plan", "high", True),
        (2, "review", "Review: A2", "high", True),
        (3, "re_engage", "Pick up where you left off", "medium", True),
        (4, "advance", "Next: A3", "low", True),
    ]
    everything = recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id")
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6)).state == "success"
    assert recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id") == everything


def test_next_week_deactivates_last_weeks_recommendations(recommendation_data, airflow_runner):
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6)).state == "success"
    next_week = W + dt.timedelta(days=7)
    recommendation_data.execute(
        "INSERT INTO learning.snapshot_runs VALUES (%s, 4, 4, 0, 0, %s)", (next_week - dt.timedelta(days=1), ts(3, 16))
    )
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 16, 6)).state == "success"
    assert {r[4] for r in recommendations(recommendation_data, W)} == {False}
    assert {r[4] for r in recommendations(recommendation_data, next_week)} == {True}
    (active,) = recommendation_data.query(
        "SELECT count(*) FROM learning.adaptive_recommendations WHERE is_active AND week_start < %s", (next_week,)
    )[0]
    assert active == 0


def test_a_later_rerun_of_a_week_reads_what_the_monday_run_read(recommendation_data, airflow_runner):
    """W's own snapshot (written Tuesday 00:00), an enrollment and progress from W on must not change W."""
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6)).state == "success"
    monday = recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id")
    with recommendation_data.connect() as conn:
        # Days later: user 4 fell behind in W's snapshot, enrolled in Biology and finished A3 during W.
        conn.execute("INSERT INTO learning.performance_snapshots VALUES (4, %s, 20, 20, 0, 0, %s)", (W, ts(3, 10)))
        conn.execute("INSERT INTO learning.enrollments VALUES (4, 2, %s, '2026-05-01')", (ts(3, 9, 12),))
        conn.execute("INSERT INTO learning.lesson_progress VALUES (4, 13, %s, %s, 600)", (ts(3, 9, 8), ts(3, 9, 9)))
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6)).state == "success"
    assert recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id") == monday


@pytest.fixture
def refuse_user_2(warehouse):
    """A storage failure for one student's rows, injected where production errors happen: in the write."""

    def install(table: str) -> None:
        warehouse.execute(
            f"""
            CREATE FUNCTION learning.refuse_user_2() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'simulated storage failure'; END $$;
            CREATE TRIGGER refuse_user_2 BEFORE INSERT ON {table}
            FOR EACH ROW WHEN (NEW.user_id = 2) EXECUTE FUNCTION learning.refuse_user_2();
            """
        )

    def remove() -> None:
        for table in ("learning.performance_snapshots", "learning.adaptive_recommendations"):
            warehouse.execute(f"DROP TRIGGER IF EXISTS refuse_user_2 ON {table}")
        warehouse.execute("DROP FUNCTION IF EXISTS learning.refuse_user_2()")

    yield install, remove
    remove()


def test_a_failed_snapshot_keeps_the_days_rows_alerts_and_clearing_heals(
    snapshot_data, airflow_runner, slack, refuse_user_2
):
    install, remove = refuse_user_2
    day = dt.date(2026, 3, 5)
    assert airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6)).state == "success"
    before = snapshot_data.query("SELECT * FROM learning.performance_snapshots ORDER BY user_id")
    runs_before = snapshot_data.query("SELECT * FROM learning.snapshot_runs")
    install("learning.performance_snapshots")

    failed = airflow_runner.run(SNAPSHOTS, logical_date=ts(3, 6))

    assert failed.state == "failed"
    assert failed.task_states["create_daily_snapshots"] == "failed"
    assert failed.tries["create_daily_snapshots"] == 3  # the production retries, without their delay
    assert snapshot_data.query("SELECT * FROM learning.performance_snapshots ORDER BY user_id") == before
    assert snapshot_data.query("SELECT * FROM learning.snapshot_runs") == runs_before
    alert = next(t for t in slack.texts if "create_daily_snapshots" in t)
    assert "learning_daily_snapshots" in alert
    assert "simulated storage failure" in alert

    remove()
    healed = airflow_runner.clear_and_resume(SNAPSHOTS, failed.run_id, ["create_daily_snapshots"])
    assert healed.state == "success", healed.task_states
    assert snapshot_data.query("SELECT * FROM learning.performance_snapshots ORDER BY user_id") == before
    assert snapshot_rows(snapshot_data, day)  # D's snapshots, as the first run wrote them


def test_a_failed_recommendation_run_keeps_the_weeks_rows_alerts_and_clearing_heals(
    recommendation_data, airflow_runner, slack, refuse_user_2
):
    install, remove = refuse_user_2
    assert airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6)).state == "success"
    before = recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id")
    install("learning.adaptive_recommendations")

    failed = airflow_runner.run(RECOMMENDATIONS, logical_date=ts(3, 9, 6))

    assert failed.state == "failed"
    assert failed.task_states["refresh_recommendations"] == "failed"
    assert recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id") == before
    assert any("refresh_recommendations" in t and "simulated storage failure" in t for t in slack.texts)

    remove()
    healed = airflow_runner.clear_and_resume(RECOMMENDATIONS, failed.run_id, ["refresh_recommendations"])
    assert healed.state == "success", healed.task_states
    assert recommendation_data.query("SELECT * FROM learning.adaptive_recommendations ORDER BY id") == before
