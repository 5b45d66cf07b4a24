"""Synthetic learning data for ``make run`` / ``make demo`` and the benchmark: hundreds of students,
several courses, weeks of progress, quiz attempts and a few impossible rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from almanac.db import execute_script, read_sql

DEMO_END = dt.datetime(2026, 3, 16, tzinfo=dt.UTC)  # a Monday

DEMO_RUNS = [
    ("learning_daily_snapshots", DEMO_END, {}),  # snapshots 2026-03-15
    ("learning_weekly_recommendations", DEMO_END.replace(hour=6), {}),  # week of 2026-03-16
]
OUTPUT_TABLES = ["learning.performance_snapshots", "learning.adaptive_recommendations"]


def generate(
    conn: Any,
    *,
    students: int = 400,
    courses: int = 5,
    lessons: int = 20,
    days: int = 35,
    end_date: dt.datetime = DEMO_END,
    seed: float = 0.17,
) -> dict[str, int]:
    """Replace the learning sources with synthetic data, deterministic for a seed."""
    with conn.cursor() as cur:
        cur.execute(
            "TRUNCATE learning.quiz_attempts, learning.lesson_progress, learning.enrollments, learning.lessons,"
            " learning.courses, learning.students"
        )
        execute_script(
            cur,
            read_sql("almanac.demo", "learning_demo.sql"),
            {
                "students": students,
                "courses": courses,
                "lessons": lessons,
                "days": days,
                "end_date": end_date,
                "seed": seed,
            },
        )
        (progress,) = cur.execute("SELECT count(*) FROM learning.lesson_progress").fetchone()
        (attempts,) = cur.execute("SELECT count(*) FROM learning.quiz_attempts").fetchone()
    return {"students": students, "lesson_progress": progress, "quiz_attempts": attempts}


def load(conn: Any) -> dict[str, int]:
    return generate(conn)
