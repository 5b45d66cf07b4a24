"""productivity at the seed's scale: 50 employees × 30 days of shifts and 3-minute activity windows.

almanac: every range stage over 7-day chunks (what the mapped tasks run), then primary roles, current
status and the cache.
baseline: the seed's shape — ``process_employee_day`` for each employee and day: fetch the shift and its
activity, compute points, gaps and idle time in Python, write the score, idle periods and alerts row by
row and commit; timed on the last 5 days and extrapolated to 30 (the note says so).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from almanac.demo.productivity_data import DEMO_END, generate
from almanac.productivity import tasks
from almanac.productivity.transform import chunk_range, resolve_request
from benchmarks.harness import Workload, timed

DAYS = 30
SAMPLE_DAYS = 5
CHICAGO = ZoneInfo("America/Chicago")


def process_employee_day(conn, employee_id: int, day: dt.date, roles: dict) -> None:
    cur = conn.cursor()
    shifts = cur.execute(
        "SELECT clock_in, clock_out FROM productivity.clock_times WHERE employee_id = %s"
        " AND (clock_in AT TIME ZONE 'America/Chicago')::date = %s AND clock_out IS NOT NULL",
        (employee_id, day),
    ).fetchall()
    items = points = clocked = active = idle = 0.0
    for clock_in, clock_out in shifts:
        clocked += (clock_out - clock_in).total_seconds() / 60
        windows = cur.execute(
            "SELECT role_id, window_start, window_end, items_count FROM productivity.activity_logs"
            " WHERE employee_id = %s AND window_start >= %s AND window_start < %s ORDER BY window_start",
            (employee_id, clock_in, clock_out),
        ).fetchall()
        last_end = clock_in
        for role_id, start, end, count in [*windows, (None, clock_out, clock_out, 0)]:
            gap = (start - last_end).total_seconds() / 60
            if role_id is not None:
                items += count
                points += count * float(roles[role_id][0])
                active += (end - start).total_seconds() / 60
            if gap >= 10:
                idle += gap
                cur.execute(
                    "INSERT INTO productivity.idle_periods VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (employee_id, day - dt.timedelta(days=400), last_end, start, gap),
                )
                if gap >= 30:
                    cur.execute(
                        "INSERT INTO productivity.alerts VALUES (%s, 'baseline', %s, %s, '{}') ON CONFLICT DO NOTHING",
                        (employee_id, start, day),
                    )
            last_end = max(last_end, end)
    cur.execute(
        "INSERT INTO productivity.daily_scores VALUES (%s, %s, %s, %s, %s, %s, %s, NULL) ON CONFLICT DO NOTHING",
        (employee_id, day - dt.timedelta(days=400), items, points, clocked, active, idle),
    )
    conn.commit()


def run(ctx) -> list[Workload]:
    with ctx.connect() as conn:
        loaded = generate(conn, employees=50, days=DAYS)
        conn.commit()
        conn.execute("ANALYZE")
    last = DEMO_END - dt.timedelta(days=1)
    first = DEMO_END - dt.timedelta(days=DAYS)
    request = resolve_request({"start_date": first.isoformat(), "end_date": last.isoformat()}, last).to_xcom()

    def almanac_all_stages():
        for stage in tasks.RANGE_STAGES:
            for chunk in chunk_range(first, last):
                tasks.recalculate_range_stage(stage, request, chunk)
        tasks.update_primary_roles(request)
        tasks.update_current_status(request)
        tasks.refresh_cache(request)

    _, almanac_seconds = timed(almanac_all_stages)

    def baseline_sample():
        with ctx.connect() as conn:
            roles = {r[0]: r[1:] for r in conn.execute("SELECT role_id, multiplier FROM productivity.role_configs")}
            employees = [r[0] for r in conn.execute("SELECT id FROM productivity.employees WHERE is_active")]
            for offset in range(SAMPLE_DAYS):
                for employee_id in employees:
                    process_employee_day(conn, employee_id, last - dt.timedelta(days=offset), roles)

    _, sample_seconds = timed(baseline_sample)
    return [
        Workload(
            "productivity: all stages over the range",
            f"50 employees × {DAYS} days, {loaded['activity_logs']} logs",
            almanac_seconds,
            sample_seconds * DAYS / SAMPLE_DAYS,
            note=f"baseline = process_employee_day on {SAMPLE_DAYS} days × {DAYS // SAMPLE_DAYS}",
        )
    ]
