"""Synthetic productivity data for ``make run`` / ``make demo`` and the benchmark: ~50 employees, three
roles with different thresholds, 30 days of shifts and 3-minute activity windows with realistic gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from almanac.db import execute_script, read_sql

DEMO_END = dt.date(2026, 3, 16)

DEMO_RUNS = [
    (
        "productivity_recalculation",
        dt.datetime(2026, 3, 16, 11, tzinfo=dt.UTC),  # 06:00 Chicago: recalculates 2026-03-15 …
        {"start_date": "2026-02-14", "end_date": "2026-03-15"},  # … or, as here, the whole month
    ),
]
OUTPUT_TABLES = [
    "productivity.daily_scores",
    "productivity.idle_periods",
    "productivity.alerts",
    "productivity.employee_hourly_costs",
    "productivity.employee_current_status",
]


def generate(
    conn: Any,
    *,
    employees: int = 50,
    days: int = 30,
    shift_hours: int = 8,
    end_date: dt.date = DEMO_END,
    seed: float = 0.3,
) -> dict:
    """Replace the productivity sources with synthetic data (deterministic for a seed).

    A shift holds ``shift_hours × 20`` three-minute windows less its break and random gaps: 8-hour
    shifts give ~185K logs for 50 employees × 30 days, 10-hour shifts the seed's ~240K."""
    with conn.cursor() as cur:
        cur.execute(
            "TRUNCATE productivity.activity_logs, productivity.clock_times, productivity.pay_rates, productivity.employees, productivity.role_configs"
            " RESTART IDENTITY CASCADE"
        )
        execute_script(
            cur,
            read_sql("almanac.demo", "productivity_demo.sql"),
            {"employees": employees, "days": days, "shift_hours": shift_hours, "end_date": end_date, "seed": seed},
        )
        (logs,) = cur.execute("SELECT count(*) FROM productivity.activity_logs").fetchone()
        (shifts,) = cur.execute("SELECT count(*) FROM productivity.clock_times").fetchone()
    return {"employees": employees, "shifts": shifts, "activity_logs": logs}


def load(conn: Any) -> dict:
    return generate(conn)
