"""learning at the issue's scale: 10,000 students (× N with ``make bench SCALE=N``), 30 days of progress.

almanac: the snapshot task (one statement for all students) and the recommendations task (one script).
baselines: the seed's shape, a loop over students with a few queries each and one insert and commit per
student.
- snapshots: over all 10,000 students, computing pace, quiz average, lessons and minutes in Python with
  the same rules (impossible data excluded) into a ``bench_baseline`` copy of the table; the benchmark
  compares both results row by row and prints "same rows" or how many differ.
- recommendations: per student, the latest snapshot, recent activity, quiz bests and remaining lessons,
  the four rules in Python, inserts and a commit, over all students into the same copy; compared the
  same way.
Through the RTT proxy each baseline runs over every 4th student (replacing their rows, so the row
check still covers everyone) and its time is scaled by students; almanac runs over all of them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from almanac.calendar import start_of_day
from almanac.demo.learning_data import generate
from almanac.learning import tasks
from benchmarks.harness import Workload, floor_seconds, measure, timed

STUDENTS = 10_000
RTT_SAMPLE = 4  # through the RTT proxy, the baselines run over every 4th student, scaled by students
END = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)  # Monday
D = dt.date(2026, 3, 15)

PER_STUDENT = {
    "progress": "SELECT p.started_at, p.completed_at, p.time_spent_seconds, l.course_id FROM learning.lesson_progress p"
    " JOIN learning.lessons l USING (lesson_id) WHERE p.user_id = %s AND p.started_at < %s",
    "quiz": "SELECT lesson_id, score FROM learning.quiz_attempts WHERE user_id = %s AND attempted_at < %s",
    "enrollments": "SELECT e.course_id, e.enrolled_at, e.target_end_date,"
    " (SELECT count(*) FROM learning.lessons l WHERE l.course_id = e.course_id)"
    " FROM learning.enrollments e WHERE e.user_id = %s AND e.enrolled_at < %s",
}
COMPARED = "user_id, snapshot_date, pace_score, quiz_average, lessons_completed_count, time_spent_minutes"


def _seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def snapshot_of(cur, user_id: int, day_start: dt.datetime, day_end: dt.datetime) -> tuple | None:
    """One student's snapshot the seed's way (None: no progress yet, or impossible data)."""
    progress = cur.execute(PER_STUDENT["progress"], (user_id, day_end)).fetchall()
    quizzes = cur.execute(PER_STUDENT["quiz"], (user_id, day_end)).fetchall()
    if not progress:
        return None
    if any(seconds < 0 for _, _, seconds, _ in progress) or any(not 0 <= score <= 100 for _, score in quizzes):
        return None  # impossible data: excluded, an error in the run's counts
    enrollments = cur.execute(PER_STUDENT["enrollments"], (user_id, day_end)).fetchall()
    enrolled = {course for course, *_ in enrollments}
    completed_on_day = sum(1 for _, done, _, _ in progress if done and day_start <= done < day_end)
    minutes = Decimal(sum(s for start, done, s, _ in progress if day_start <= (done or start) < day_end)) / 60
    completed_to_date = sum(1 for _, done, _, course in progress if done and done < day_end and course in enrolled)
    expected = Decimal(0)
    for _, enrolled_at, target_end, lessons in enrollments:
        target = dt.datetime.combine(target_end, dt.time(), tzinfo=dt.UTC)
        if target <= enrolled_at:
            fraction = Decimal(1)
        else:
            fraction = max(
                Decimal(0), min(Decimal(1), _seconds(day_end - enrolled_at) / _seconds(target - enrolled_at))
            )
        expected += lessons * fraction
    pace = 100 if expected == 0 else min(Decimal(100), 100 * Decimal(completed_to_date) / expected)
    best: dict[int, Decimal] = {}
    for lesson_id, score in quizzes:
        best[lesson_id] = max(best.get(lesson_id, score), score)
    quiz_average = sum(best.values()) / len(best) if best else None
    return (user_id, D, pace, quiz_average, completed_on_day, minutes)


def baseline_snapshots(conn, user_ids) -> int:
    day_start, day_end = tasks.day_bounds(D)
    written = 0
    with conn.cursor() as cur:
        for user_id in user_ids:
            row = snapshot_of(cur, user_id, day_start, day_end)
            if row is not None:
                cur.execute(
                    "INSERT INTO bench_baseline.performance_snapshots VALUES (%s, %s, %s, %s, %s, %s, now())", row
                )
                written += 1
            conn.commit()  # the seed commits per student
    return written


def differing_rows(conn) -> int:
    live, copy = "learning.performance_snapshots", "bench_baseline.performance_snapshots"
    where = "WHERE snapshot_date = %(day)s"
    (count,) = conn.execute(
        f"SELECT count(*) FROM ((SELECT {COMPARED} FROM {live} {where} EXCEPT ALL SELECT {COMPARED} FROM {copy})"
        f" UNION ALL (SELECT {COMPARED} FROM {copy} EXCEPT ALL SELECT {COMPARED} FROM {live} {where})) d",
        {"day": D},
    ).fetchone()
    return count


RECOMMENDATION_QUERIES = {
    "latest": "SELECT pace_score, quiz_average FROM learning.performance_snapshots WHERE user_id = %s"
    " AND snapshot_date < %s ORDER BY snapshot_date DESC LIMIT 1",
    "recent": "SELECT 1 FROM learning.lesson_progress WHERE user_id = %s AND ((started_at >= %s AND started_at < %s)"
    " OR (completed_at >= %s AND completed_at < %s)) LIMIT 1",
    "quiz": "SELECT q.lesson_id, l.title, q.score FROM learning.quiz_attempts q JOIN learning.lessons l USING (lesson_id)"
    " WHERE q.user_id = %s AND q.attempted_at < %s",
    "lessons": "SELECT e.enrolled_at, e.course_id, l.sequence_no, l.title, l.lesson_id FROM learning.enrollments e"
    " JOIN learning.lessons l USING (course_id) WHERE e.user_id = %s AND e.enrolled_at < %s",
    "completed": "SELECT lesson_id FROM learning.lesson_progress WHERE user_id = %s AND completed_at < %s",
}


def _round(value) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def recommendations_of(cur, user_id: int, week: dt.date) -> list[tuple]:
    """One student's recommendations for week W the seed's way (the rules of recommendations.sql)."""
    q = RECOMMENDATION_QUERIES
    window_end = start_of_day(week)
    window_start = window_end - dt.timedelta(days=7)
    snapshot = cur.execute(q["latest"], (user_id, week)).fetchone()
    if snapshot is None:
        return []
    pace, quiz_average = snapshot
    idle = cur.execute(q["recent"], (user_id, window_start, window_end, window_start, window_end)).fetchone() is None
    behind = pace < 70
    struggling = quiz_average is not None and quiz_average < 60
    rows = []
    if behind:
        rows.append(("catch_up", "Catch up with your course plan", f"Pace score {_round(pace)} is below 70", "high"))
    if struggling:
        best: dict[int, tuple] = {}
        for lesson_id, title, score in cur.execute(q["quiz"], (user_id, window_end)):
            if lesson_id not in best or score > best[lesson_id][1]:
                best[lesson_id] = (title, score)
        if best:
            lesson_id = min(best, key=lambda k: (best[k][1], k))
            title, score = best[lesson_id]
            reason = f"Quiz average {_round(quiz_average)} is below 60; lowest best score {_round(score)}"
            rows.append(("review", f"Review: {title}", reason, "high"))
    if idle:
        rows.append(("re_engage", "Pick up where you left off", "No lesson activity in the last 7 days", "medium"))
    if not (behind or struggling or idle):
        done = {r[0] for r in cur.execute(q["completed"], (user_id, window_end))}
        remaining = sorted(r for r in cur.execute(q["lessons"], (user_id, window_end)) if r[4] not in done)
        title = f"Next: {remaining[0][3]}" if remaining else "All lessons done: choose your next course"
        rows.append(("advance", title, "On pace and doing well", "low"))
    return rows


def baseline_recommendations(conn, user_ids, week: dt.date) -> int:
    written = 0
    with conn.cursor() as cur:
        for user_id in user_ids:
            for row in recommendations_of(cur, user_id, week):
                cur.execute(
                    "INSERT INTO bench_baseline.adaptive_recommendations VALUES"
                    " (gen_random_uuid(), %s, %s, %s, %s, %s, %s, now(), true)",
                    (user_id, *row, week),
                )
                written += 1
            conn.commit()  # the seed commits per student
    return written


def differing_recommendations(conn, week: dt.date) -> int:
    columns = "user_id, recommendation_type, title, reason, priority, week_start"
    live, copy = "learning.adaptive_recommendations", "bench_baseline.adaptive_recommendations"
    (count,) = conn.execute(
        f"SELECT count(*) FROM ((SELECT {columns} FROM {live} WHERE week_start = %(w)s EXCEPT ALL"
        f" SELECT {columns} FROM {copy}) UNION ALL (SELECT {columns} FROM {copy} EXCEPT ALL"
        f" SELECT {columns} FROM {live} WHERE week_start = %(w)s)) d",
        {"w": week},
    ).fetchone()
    return count


def run(ctx) -> list[Workload]:
    students = STUDENTS * ctx.scale
    with ctx.connect() as conn:
        loaded = generate(conn, students=students, days=30)
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        for table in ("performance_snapshots", "adaptive_recommendations"):
            conn.execute(f"CREATE TABLE bench_baseline.{table} (LIKE learning.{table} INCLUDING ALL)")
        conn.commit()
        conn.execute("ANALYZE")
        active = [r[0] for r in conn.execute("SELECT user_id FROM learning.students WHERE is_active ORDER BY 1")]
    snapshot_ctx = {"data_interval_end": END, "params": {}}
    recommendation_ctx = {"data_interval_end": END.replace(hour=6), "params": {}}
    _, day_end = tasks.day_bounds(D)
    week = tasks.recommendation_week(recommendation_ctx)

    def emptied(table: str):
        def empty():
            with ctx.connect() as conn:
                conn.execute(f"TRUNCATE {table}")

        return empty

    def sampled(loop, table: str, *args):
        """The loop through the RTT proxy over every RTT_SAMPLE-th student, replacing their rows, scaled by
        students: the whole loop there would take over a minute of the five ``make bench`` may use."""

        def run_sample() -> float:
            sample = active[::RTT_SAMPLE]
            with ctx.connect() as conn:
                conn.execute(f"DELETE FROM {table} WHERE user_id = ANY(%s)", (sample,))
                conn.commit()
                _, seconds = timed(lambda: loop(conn, sample, *args))
            return seconds * len(active) / len(sample)

        return run_sample

    def snapshot_baseline():
        emptied("bench_baseline.performance_snapshots")()
        with ctx.connect() as conn:
            return baseline_snapshots(conn, active)

    summary, snapshot_timings = measure(
        ctx,
        lambda: tasks.create_daily_snapshots(snapshot_ctx),
        snapshot_baseline,
        reset=emptied("learning.performance_snapshots"),
        rtt_baseline=sampled(baseline_snapshots, "bench_baseline.performance_snapshots"),
    )
    # The floor: one scan of the progress, quiz attempts and enrollments up to D's end, one COPY of D's rows.
    inputs = [
        (
            "SELECT count(user_id), count(lesson_id), count(started_at), count(completed_at),"
            " count(time_spent_seconds) FROM learning.lesson_progress WHERE started_at < %(e)s",
            {"e": day_end},
        ),
        (
            "SELECT count(user_id), count(lesson_id), count(score) FROM learning.quiz_attempts"
            " WHERE attempted_at < %(e)s",
            {"e": day_end},
        ),
        (
            "SELECT count(e.user_id), count(e.enrolled_at), count(e.target_end_date), count(l.lesson_id)"
            " FROM learning.enrollments e JOIN learning.lessons l USING (course_id)",
            None,
        ),
    ]
    snapshot_floor = floor_seconds(
        ctx.connect, inputs, [("learning.performance_snapshots", "snapshot_date = %(d)s", {"d": D})]
    )

    def recommendation_baseline():
        emptied("bench_baseline.adaptive_recommendations")()
        with ctx.connect() as conn:
            return baseline_recommendations(conn, active, week)

    recs, recommendation_timings = measure(
        ctx,
        lambda: tasks.refresh_recommendations(recommendation_ctx),
        recommendation_baseline,
        reset=emptied("learning.adaptive_recommendations"),
        rtt_baseline=sampled(baseline_recommendations, "bench_baseline.adaptive_recommendations", week),
    )

    recommendation_floor = floor_seconds(
        ctx.connect,
        [
            ("SELECT count(user_id), count(pace_score), count(quiz_average) FROM learning.performance_snapshots", None),
            *inputs,
        ],
        [("learning.adaptive_recommendations", "week_start = %(w)s", {"w": week})],
    )
    with ctx.connect() as conn:
        same = same_recommendations = ""
        if ctx.baselines:
            differences, recommendation_differences = differing_rows(conn), differing_recommendations(conn, week)
            same = "; same rows" if not differences else f"; DIFFERENT rows: {differences}"
            same_recommendations = (
                "; same rows" if not recommendation_differences else f"; DIFFERENT rows: {recommendation_differences}"
            )
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
        conn.commit()
    size = f"{students} students, {loaded['lesson_progress']} progress rows"
    return [
        Workload(
            "learning: daily snapshot",
            size,
            **snapshot_timings,
            floor_seconds=snapshot_floor,
            note=f"{summary['success']} snapshots; baseline: per student, commit each (RTT: 1/{RTT_SAMPLE} of them, scaled){same}",
        ),
        Workload(
            "learning: weekly recommendations",
            size,
            **recommendation_timings,
            floor_seconds=recommendation_floor,
            note=f"{sum(recs['by_type'].values())} rows; baseline: per student, commit each (RTT: 1/{RTT_SAMPLE}, scaled){same_recommendations}",
        ),
    ]
