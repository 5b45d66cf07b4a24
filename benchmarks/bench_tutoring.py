"""tutoring at the seed's scale: 5,000 tutors (× N, ``make bench SCALE=N``) × 50 sessions, three windows.

almanac: compute_batch over each batch of 1,000 tutors (save_window_metrics.sql: metrics, tier, upsert).
baseline: the seed's shape — per tutor and window, fetch the sessions, compute the metrics and the tier
in Python (same validity rules, transform's reference formula) and insert one row, committing every 50 tutors, over all 5,000 tutors,
into a ``bench_baseline`` copy of the table. The benchmark then compares both results row by row and
prints "same rows" or the number that differ, so the two time the same results.
"""

from __future__ import annotations

import datetime as dt

from almanac.demo.tutoring_data import generate
from almanac.tutoring import tasks
from almanac.tutoring.transform import automatic_batch_size, batches, composite_score, performance_tier
from benchmarks.harness import Workload, floor_seconds, measure

TUTORS = 5000
SESSIONS = 50
R = dt.date(2026, 3, 15)
STATUSES = {"completed", "no_show", "cancelled", "rescheduled"}

SESSIONS_SQL = """
SELECT status, is_first_session, student_rating, rescheduled_by, objectives_met, engagement_score,
       response_time_minutes
FROM tutoring.sessions
WHERE tutor_id = %s AND scheduled_start >= %s AND scheduled_start < %s
"""

INSERT_SQL = """
INSERT INTO bench_baseline.tutor_performance_metrics (metric_id, tutor_id, calculation_date, metric_window,
    sessions_completed, avg_rating, first_session_success_rate, reschedule_rate, no_show_count, engagement_score,
    learning_objectives_met_pct, response_time_avg_minutes, performance_tier, excluded_sessions, created_at,
    updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), now())
"""
COMPARED = (
    "tutor_id, metric_window, sessions_completed, no_show_count, excluded_sessions, performance_tier,"
    " round(avg_rating::numeric, 6), round(first_session_success_rate::numeric, 6),"
    " round(reschedule_rate::numeric, 6), round(engagement_score::numeric, 6),"
    " round(learning_objectives_met_pct::numeric, 6), round(response_time_avg_minutes::numeric, 6)"
)


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _pct(part, whole):
    return 100.0 * len(part) / len(whole) if whole else None


def _is_valid(row) -> bool:
    status, _, rating, rescheduled_by, _, engagement, response = row
    return (
        status in STATUSES
        and rescheduled_by in (None, "tutor", "student")
        and (rating is None or 1 <= rating <= 5)
        and (response is None or response >= 0)
        and (engagement is None or 0 <= engagement <= 100)
    )


def seed_shaped_tutor(cur, tutor_id: str, start: dt.datetime) -> None:
    """The seed's per-tutor work: for each window, fetch the sessions, compute in Python, save one row."""
    for days, window in ((7, "7day"), (30, "30day"), (90, "90day")):
        rows = cur.execute(SESSIONS_SQL, (tutor_id, start - dt.timedelta(days=days), start)).fetchall()
        valid = [r for r in rows if _is_valid(r)]
        completed = [r for r in valid if r[0] == "completed"]
        firsts = [r for r in completed if r[1]]
        metrics = {
            "sessions_completed": len(completed),
            "avg_rating": _mean([r[2] for r in completed]),
            "first_session_success_rate": _pct([r for r in firsts if (r[2] or 0) >= 4], firsts),
            "reschedule_rate": _pct([r for r in valid if r[0] == "rescheduled" and r[3] == "tutor"], valid),
            "no_show_count": sum(1 for r in valid if r[0] == "no_show"),
            "engagement_score": _mean([r[5] for r in completed]),
            "learning_objectives_met_pct": _pct([r for r in completed if r[4]], completed),
            "response_time_avg_minutes": _mean([r[6] for r in valid]),
            "valid_sessions": len(valid),
        }
        cur.execute(
            INSERT_SQL,
            (
                f"{tutor_id}:{start.date()}:{window}",
                tutor_id,
                start,
                window,
                *(metrics[k] for k in list(metrics)[:8]),
                performance_tier(composite_score(metrics)),
                len(rows) - len(valid),
            ),
        )


def differing_rows(conn) -> int:
    """Rows in one result and not the other (0 = both computed the same metrics and tiers)."""
    live, copy = "tutoring.tutor_performance_metrics", "bench_baseline.tutor_performance_metrics"
    (count,) = conn.execute(
        f"SELECT count(*) FROM ((SELECT {COMPARED} FROM {live} EXCEPT ALL SELECT {COMPARED} FROM {copy})"
        f" UNION ALL (SELECT {COMPARED} FROM {copy} EXCEPT ALL SELECT {COMPARED} FROM {live})) d"
    ).fetchone()
    return count


def run(ctx) -> list[Workload]:
    tutors = TUTORS * ctx.scale
    with ctx.connect() as conn:
        generate(conn, tutors=tutors, sessions_per_tutor=SESSIONS, days=90)
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        conn.execute(
            "CREATE TABLE bench_baseline.tutor_performance_metrics"
            " (LIKE tutoring.tutor_performance_metrics INCLUDING ALL)"
        )
        conn.commit()
        conn.execute("ANALYZE tutoring.sessions")
        tutor_ids = [r[0] for r in conn.execute("SELECT tutor_id FROM tutoring.tutors ORDER BY tutor_id")]
    context = {
        "params": {"date": R.isoformat()},
        "data_interval_end": dt.datetime(2026, 3, 15, 2, tzinfo=dt.UTC),
    }
    start = dt.datetime.combine(R, dt.time(), tzinfo=dt.UTC)

    def clear_metrics():
        with ctx.connect() as conn:
            conn.execute("TRUNCATE tutoring.tutor_performance_metrics")

    def almanac_run():
        return [tasks.compute_batch(context, b) for b in batches(tutor_ids, automatic_batch_size(len(tutor_ids)))]

    def baseline():
        with ctx.connect() as conn, conn.cursor() as cur:
            cur.execute("TRUNCATE bench_baseline.tutor_performance_metrics")
            for n, tutor_id in enumerate(tutor_ids, start=1):
                seed_shaped_tutor(cur, tutor_id, start)
                if n % 50 == 0:  # the seed commits every batch_size=50 tutors
                    conn.commit()

    results, timings = measure(ctx, almanac_run, baseline, reset=clear_metrics)
    saved = sum(r["metrics_saved"] for r in results)
    # The floor: one scan of the 90 days of sessions (the widest window holds the other two), one COPY
    # of the metric rows.
    scan = (
        "SELECT count(tutor_id), count(status), count(is_first_session), count(student_rating),"
        " count(rescheduled_by), count(objectives_met), count(engagement_score), count(response_time_minutes)"
        " FROM tutoring.sessions WHERE scheduled_start >= %(s)s AND scheduled_start < %(e)s",
        {"s": start - dt.timedelta(days=90), "e": start},
    )
    floor = floor_seconds(ctx.connect, [scan], [("tutoring.tutor_performance_metrics", "true", None)])
    with ctx.connect() as conn:
        same = ""
        if ctx.baselines:
            differences = differing_rows(conn)
            same = "; same rows" if not differences else f"; DIFFERENT rows: {differences}"
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
        conn.commit()
    return [
        Workload(
            "tutoring: metrics, 3 windows, upsert",
            f"{tutors} tutors × {SESSIONS} sessions",
            **timings,
            floor_seconds=floor,
            note=f"{saved} rows saved; baseline = per-tutor/window queries, commit per 50 tutors{same}",
        )
    ]
