"""Synthetic tutoring data for ``make run`` / ``make demo`` and the benchmark.

A few hundred tutors whose quality is spread so every performance tier appears, 120 days of sessions,
and a handful of out-of-range rows (rating 7, negative minutes, an unknown status) that the metrics
must exclude and count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from almanac.db import execute_script, read_sql

DEMO_END = dt.datetime(2026, 3, 15, tzinfo=dt.UTC)

DEMO_RUNS = [("tutoring_daily_metrics", DEMO_END.replace(hour=2), {})]
OUTPUT_TABLES = ["tutoring.tutor_performance_metrics"]


def generate(
    conn: Any,
    *,
    tutors: int = 300,
    sessions_per_tutor: int = 120,
    days: int = 120,
    end_date: dt.datetime = DEMO_END,
    seed: float = 0.42,
) -> dict[str, int]:
    """Replace the tutoring sources with synthetic data (deterministic for a given seed)."""
    with conn.cursor() as cur:
        cur.execute("TRUNCATE tutoring.sessions, tutoring.tutors")
        execute_script(
            cur,
            read_sql("almanac.demo", "tutoring_demo.sql"),
            {
                "tutors": tutors,
                "sessions_per_tutor": sessions_per_tutor,
                "days": days,
                "end_date": end_date,
                "seed": seed,
            },
        )
        (sessions,) = cur.execute("SELECT count(*) FROM tutoring.sessions").fetchone()
    return {"tutors": tutors, "sessions": sessions}


def load(conn: Any) -> dict[str, int]:
    return generate(conn)
