"""tutoring at the seed's scale: 5,000 tutors × 50 sessions, three windows.

almanac: window_metrics.sql over each batch of 1,000 tutors + tier + upsert (what compute_batch does).
baseline: the seed's shape — per tutor and window, fetch the sessions, compute the metrics in Python and
insert one row, committing every 50 tutors; timed on a sample of 500 tutors and extrapolated to 5,000
(the note says so).
"""

from __future__ import annotations

import datetime as dt

from almanac.demo.tutoring_data import generate
from almanac.tutoring import tasks
from almanac.tutoring.transform import batches
from benchmarks.harness import Workload, timed

TUTORS = 5000
SESSIONS = 50
SAMPLE = 500
R = dt.date(2026, 3, 15)

SESSIONS_SQL = """
SELECT status, is_first_session, student_rating, rescheduled_by, objectives_met, engagement_score,
       response_time_minutes
FROM tutoring.sessions
WHERE tutor_id = %s AND scheduled_start >= %s AND scheduled_start < %s
"""

INSERT_SQL = """
INSERT INTO tutoring.tutor_performance_metrics (metric_id, tutor_id, calculation_date, metric_window,
    sessions_completed, avg_rating, first_session_success_rate, reschedule_rate, no_show_count, engagement_score,
    learning_objectives_met_pct, response_time_avg_minutes, performance_tier, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), now())
ON CONFLICT (metric_id) DO UPDATE SET sessions_completed = EXCLUDED.sessions_completed, updated_at = now()
"""


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _pct(part, whole):
    return 100.0 * len(part) / len(whole) if whole else None


def seed_shaped_tutor(cur, tutor_id: str, start: dt.datetime) -> None:
    """The seed's per-tutor work: for each window, fetch the sessions, compute in Python, save one row."""
    for days, window in ((7, "7day"), (30, "30day"), (90, "90day")):
        rows = cur.execute(SESSIONS_SQL, (tutor_id, start - dt.timedelta(days=days), start)).fetchall()
        completed = [r for r in rows if r[0] == "completed"]
        firsts = [r for r in completed if r[1]]
        cur.execute(
            INSERT_SQL,
            (
                f"{tutor_id}:{start.date()}:{window}",
                tutor_id,
                start,
                window,
                len(completed),
                _mean([r[2] for r in completed]),
                _pct([r for r in firsts if (r[2] or 0) >= 4], firsts),
                _pct([r for r in rows if r[0] == "rescheduled" and r[3] == "tutor"], rows),
                sum(1 for r in rows if r[0] == "no_show"),
                _mean([r[5] for r in completed]),
                _pct([r for r in completed if r[4]], completed),
                _mean([r[6] for r in rows]),
                None,
            ),
        )


def run(ctx) -> list[Workload]:
    with ctx.connect() as conn:
        generate(conn, tutors=TUTORS, sessions_per_tutor=SESSIONS, days=90)
        conn.execute("ANALYZE tutoring.sessions")
        tutor_ids = [r[0] for r in conn.execute("SELECT tutor_id FROM tutoring.tutors ORDER BY tutor_id")]
    context = {
        "params": {"date": R.isoformat()},
        "data_interval_end": dt.datetime(2026, 3, 15, 2, tzinfo=dt.UTC),
    }

    def almanac_run():
        return [tasks.compute_batch(context, b) for b in batches(tutor_ids, tasks.DEFAULT_BATCH_SIZE)]

    results, almanac_seconds = timed(almanac_run)
    saved = sum(r["metrics_saved"] for r in results)

    start = dt.datetime.combine(R, dt.time(), tzinfo=dt.UTC)

    def baseline_sample():
        with ctx.connect() as conn, conn.cursor() as cur:
            for n, tutor_id in enumerate(tutor_ids[:SAMPLE], start=1):
                seed_shaped_tutor(cur, tutor_id, start)
                if n % 50 == 0:  # the seed commits every batch_size=50 tutors
                    conn.commit()

    _, sample_seconds = timed(baseline_sample)
    return [
        Workload(
            "tutoring: metrics, 3 windows, upsert",
            f"{TUTORS} tutors × {SESSIONS} sessions",
            almanac_seconds,
            sample_seconds * TUTORS / SAMPLE,
            note=f"{saved} rows saved; baseline = per-tutor/window queries on {SAMPLE} tutors × {TUTORS // SAMPLE}",
        )
    ]
