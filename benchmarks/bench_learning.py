"""learning at the issue's scale: 10,000 students with 30 days of progress.

almanac: the snapshot task (one statement for all students) and the recommendations task (one script).
baseline: the seed's shape — a loop over students with a few queries each and one insert per student,
timed on a sample of 1,000 students and extrapolated to 10,000 (the note says so).
"""

from __future__ import annotations

import datetime as dt

from almanac.demo.learning_data import generate
from almanac.learning import tasks
from benchmarks.harness import Workload, timed

STUDENTS = 10_000
SAMPLE = 1_000
END = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)  # Monday
D = dt.date(2026, 3, 15)

PER_STUDENT = {
    "completed_on_day": "SELECT count(*) FROM learning.lesson_progress WHERE user_id = %s"
    " AND completed_at >= %s AND completed_at < %s",
    "minutes_on_day": "SELECT coalesce(sum(time_spent_seconds), 0) / 60.0 FROM learning.lesson_progress"
    " WHERE user_id = %s AND coalesce(completed_at, started_at) >= %s AND coalesce(completed_at, started_at) < %s",
    "quiz_average": "SELECT avg(best) FROM (SELECT max(score) AS best FROM learning.quiz_attempts WHERE user_id = %s"
    " AND attempted_at >= %s AND attempted_at < %s GROUP BY lesson_id) b",
    "completed_to_date": "SELECT count(*) FROM learning.lesson_progress WHERE user_id = %s"
    " AND completed_at >= %s AND completed_at < %s",
}


def baseline_snapshots(conn, user_ids):
    day_start, day_end = tasks.day_bounds(D)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with conn.cursor() as cur:
        for user_id in user_ids:
            completed = cur.execute(PER_STUDENT["completed_on_day"], (user_id, day_start, day_end)).fetchone()[0]
            minutes = cur.execute(PER_STUDENT["minutes_on_day"], (user_id, day_start, day_end)).fetchone()[0]
            quiz = cur.execute(PER_STUDENT["quiz_average"], (user_id, epoch, day_end)).fetchone()[0]
            done = cur.execute(PER_STUDENT["completed_to_date"], (user_id, epoch, day_end)).fetchone()[0]
            cur.execute(
                "INSERT INTO learning.performance_snapshots VALUES (%s, %s, %s, %s, %s, %s, now())"
                " ON CONFLICT (user_id, snapshot_date) DO NOTHING",
                (user_id, D - dt.timedelta(days=400), min(100, done * 10), quiz, completed, minutes),
            )
            conn.commit()  # the seed commits per student


def baseline_recommendations(conn, user_ids):
    with conn.cursor() as cur:
        for user_id in user_ids:
            snap = cur.execute(
                "SELECT pace_score, quiz_average FROM learning.performance_snapshots WHERE user_id = %s"
                " AND snapshot_date <= %s ORDER BY snapshot_date DESC LIMIT 1",
                (user_id, END.date()),
            ).fetchone()
            cur.execute(
                "SELECT 1 FROM learning.lesson_progress WHERE user_id = %s AND started_at >= %s LIMIT 1",
                (user_id, END - dt.timedelta(days=7)),
            ).fetchone()
            cur.execute(
                "SELECT lesson_id, max(score) FROM learning.quiz_attempts WHERE user_id = %s GROUP BY 1 ORDER BY 2"
                " LIMIT 1",
                (user_id,),
            ).fetchone()
            if snap:
                cur.execute(
                    "INSERT INTO learning.adaptive_recommendations VALUES (gen_random_uuid(), %s, 'advance', 't', 'r',"
                    " 'low', %s, now(), false)",
                    (user_id, END.date() - dt.timedelta(days=700)),
                )
            conn.commit()


def run(ctx) -> list[Workload]:
    with ctx.connect() as conn:
        loaded = generate(conn, students=STUDENTS, days=30)
        conn.commit()
        conn.execute("ANALYZE")
    snapshot_ctx = {"data_interval_end": END, "params": {}}
    summary, snapshot_seconds = timed(lambda: tasks.create_daily_snapshots(snapshot_ctx))
    recommendation_ctx = {"data_interval_end": END.replace(hour=6), "params": {}}
    recs, recommendation_seconds = timed(lambda: tasks.refresh_recommendations(recommendation_ctx))

    sample = list(range(1, SAMPLE + 1))
    with ctx.connect() as conn:
        _, snapshot_baseline = timed(lambda: baseline_snapshots(conn, sample))
        _, recommendation_baseline = timed(lambda: baseline_recommendations(conn, sample))
    scale = STUDENTS / SAMPLE
    size = f"{STUDENTS} students, {loaded['lesson_progress']} progress rows"
    return [
        Workload(
            "learning: daily snapshot",
            size,
            snapshot_seconds,
            snapshot_baseline * scale,
            note=f"{summary['success']} snapshots; baseline per student on {SAMPLE} × {scale:.0f}",
        ),
        Workload(
            "learning: weekly recommendations",
            size,
            recommendation_seconds,
            recommendation_baseline * scale,
            note=f"{sum(recs['by_type'].values())} rows; baseline per student on {SAMPLE} × {scale:.0f}",
        ),
    ]
