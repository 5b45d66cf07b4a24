"""productivity at the seed's scale: 50 employees (× N with ``make bench SCALE=N``) × 30 days of 10-hour shifts, ~240K activity logs.

almanac: the range stages over 7-day chunks, one chunk after another (what the mapped tasks run; on a
worker pool they would also run side by side), each opening its own connection as a task does.
baseline: the seed's shape for its stage 2 — for each date, the employees who worked it, then
``process_employee_day`` per employee: fetch the day's shifts and their activity windows, compute the
day role, points, gaps, idle time and efficiency in Python, write the score, idle periods and alerts
row by row and commit (the seed's per-employee transaction). It writes to a ``bench_baseline`` copy of
the tables, and the benchmark checks both give the same rows, so the two time the same results.
Both run over all 30 days; nothing is extrapolated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from almanac.calendar import start_of_day
from almanac.connections import PRODUCTIVITY_DB
from almanac.db import transaction
from almanac.demo.productivity_data import DEMO_END, generate
from almanac.productivity import tasks
from almanac.productivity.transform import chunk_range, resolve_request
from benchmarks.harness import Workload, floor_seconds, measure

EMPLOYEES = 50
DAYS = 30
SHIFT_HOURS = 10
SEED_STAGE = ("daily_scores", "idle_periods", "alerts")
HISTORY_DAYS = 360  # the daily run again over a year of sources (N = 1 only)
COMPARED = {
    "daily_scores": "employee_id, score_date, items_processed, points, clocked_minutes, active_minutes, idle_minutes,"
    " efficiency_pct",
    "idle_periods": "employee_id, work_date, start_time, end_time, duration_minutes",
    "alerts": "employee_id, alert_type, created_at, work_date",
}

EMPLOYEES_OF_DATE = """
SELECT DISTINCT e.id FROM productivity.employees e
JOIN productivity.clock_times ct ON ct.employee_id = e.id
WHERE (ct.clock_in AT TIME ZONE 'America/Chicago')::date = %s AND e.is_active
"""
SHIFTS_OF_DAY = """
SELECT clock_in, clock_out FROM productivity.clock_times
WHERE employee_id = %s AND (clock_in AT TIME ZONE 'America/Chicago')::date = %s
  AND clock_out > clock_in AND clock_out - clock_in <= interval '24 hours'
"""
WINDOWS_OF_SHIFT = """
SELECT role_id, window_start, window_end, items_count FROM productivity.activity_logs
WHERE employee_id = %s AND window_start < %s AND window_end > %s AND window_start > %s - interval '1 day'
  AND window_end >= window_start AND window_end <= window_start + interval '24 hours' AND items_count >= 0
ORDER BY window_start
"""

ROLE_BEFORE_DAY = """
SELECT a.role_id FROM productivity.v_shifts s
JOIN productivity.activity_logs a
  ON a.employee_id = s.employee_id AND a.window_start < s.clock_out AND a.window_end > s.clock_in
 AND a.window_start > s.clock_in - interval '24 hours'
WHERE s.employee_id = %(employee)s AND s.is_valid AND s.work_date BETWEEN %(day)s::date - 30 AND %(day)s::date - 1
  AND a.window_end >= a.window_start AND a.window_end <= a.window_start + interval '24 hours' AND a.items_count >= 0
  AND a.role_id IN (SELECT role_id FROM productivity.role_configs)
GROUP BY a.role_id ORDER BY sum(a.items_count) DESC, a.role_id LIMIT 1
"""


def _minutes(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000) / 60


def _round(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def process_employee_day(conn, employee_id: int, day: dt.date, roles: dict, primary_role: int) -> None:
    """One employee-day the seed's way, with the rules of docs/productivity.md#contract as almanac applies them."""
    cur = conn.cursor()
    shifts = cur.execute(SHIFTS_OF_DAY, (employee_id, day)).fetchall()
    if not shifts:
        return
    per_shift = []
    items_by_role: dict[int, int] = defaultdict(int)
    clocked = active = Decimal(0)
    for clock_in, clock_out in shifts:
        clocked += _minutes(clock_out - clock_in)
        windows = []
        for role_id, start, end, count in cur.execute(WINDOWS_OF_SHIFT, (employee_id, clock_out, clock_in, clock_in)):
            start, end = max(start, clock_in), min(end, clock_out)
            windows.append((start, end))  # working time, whatever its role
            if role_id in roles:  # a role missing from role_configs counts toward no score or role
                items_by_role[role_id] += count
                active += _minutes(end - start)
        per_shift.append((clock_in, clock_out, windows))
    if items_by_role:
        role = min(items_by_role, key=lambda r: (-items_by_role[r], r))
    else:  # the primary role as the daily run of that day found it: the 30 work days before it
        before = cur.execute(ROLE_BEFORE_DAY, {"employee": employee_id, "day": day}).fetchone()
        role = before[0] if before else primary_role
    _, idle_threshold, alert_threshold, expected_per_hour = roles[role]
    idle = Decimal(0)
    for clock_in, clock_out, windows in per_shift:
        points_in_time = sorted([(clock_in, clock_in), *windows, (clock_out, clock_out)])
        latest_end = None
        for start, end in points_in_time:
            if (
                latest_end is not None
                and start > latest_end
                and start - latest_end >= dt.timedelta(minutes=idle_threshold)
            ):
                gap = _round(_minutes(start - latest_end))
                idle += gap
                cur.execute(
                    "INSERT INTO bench_baseline.idle_periods (employee_id, work_date, start_time, end_time,"
                    " duration_minutes, role_id) VALUES (%s, %s, %s, %s, %s, %s)",
                    (employee_id, day, latest_end, start, gap, role),
                )
                if gap >= alert_threshold:
                    details = {
                        "start_time": latest_end.isoformat(),
                        "end_time": start.isoformat(),
                        "duration_minutes": str(gap),
                    }
                    cur.execute(
                        "INSERT INTO bench_baseline.alerts (employee_id, alert_type, created_at, work_date, details)"
                        " VALUES (%s, 'idle_detected', %s, %s, %s)",
                        (employee_id, start, day, json.dumps(details)),
                    )
            latest_end = end if latest_end is None else max(latest_end, end)
    items = sum(items_by_role.values())
    points = sum(Decimal(count) * roles[r][0] for r, count in items_by_role.items())
    efficiency = _round(100 * Decimal(items) / (clocked / 60 * expected_per_hour)) if clocked else None
    cur.execute(
        "INSERT INTO bench_baseline.daily_scores VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (employee_id, day, items, points, _round(clocked), _round(active), idle, efficiency),
    )
    conn.commit()


def seed_stage_loop(ctx, first: dt.date, last: dt.date) -> int:
    employee_days = 0
    with ctx.connect() as conn:
        roles = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT role_id, multiplier, idle_threshold_minutes, alert_threshold_minutes, expected_items_per_hour"
                " FROM productivity.role_configs"
            )
        }
        primary = dict(conn.execute("SELECT id, primary_role_id FROM productivity.employees").fetchall())
        day = first
        while day <= last:
            for (employee_id,) in conn.execute(EMPLOYEES_OF_DATE, (day,)).fetchall():
                process_employee_day(conn, employee_id, day, roles, primary[employee_id])
                employee_days += 1
            day += dt.timedelta(days=1)
    return employee_days


def differing_rows(ctx, first: dt.date, last: dt.date) -> dict[str, int]:
    """Rows in one result and not the other, per table (0 everywhere = both computed the same)."""
    date_column = {"daily_scores": "score_date", "idle_periods": "work_date", "alerts": "work_date"}
    differences = {}
    with ctx.connect() as conn:
        for table, columns in COMPARED.items():
            where = f"WHERE {date_column[table]} BETWEEN %(first)s AND %(last)s"
            query = (
                f"SELECT count(*) FROM ((SELECT {columns} FROM productivity.{table} {where}"
                f" EXCEPT ALL SELECT {columns} FROM bench_baseline.{table} {where})"
                f" UNION ALL (SELECT {columns} FROM bench_baseline.{table} {where}"
                f" EXCEPT ALL SELECT {columns} FROM productivity.{table} {where})) d"
            )
            (differences[table],) = conn.execute(query, {"first": first, "last": last}).fetchone()
    return differences


TZ = "America/Chicago"  # the employees' work days
DATE_COLUMN = {"daily_scores": "score_date", "idle_periods": "work_date", "alerts": "work_date"}


def run(ctx) -> list[Workload]:
    employees = EMPLOYEES * ctx.scale
    with ctx.connect() as conn:
        loaded = generate(conn, employees=employees, days=DAYS, shift_hours=SHIFT_HOURS)
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        for table in SEED_STAGE:
            conn.execute(f"CREATE TABLE bench_baseline.{table} (LIKE productivity.{table} INCLUDING ALL)")
        conn.commit()
        conn.execute("ANALYZE")
    last = DEMO_END - dt.timedelta(days=1)
    first = DEMO_END - dt.timedelta(days=DAYS)
    request = resolve_request({"start_date": first.isoformat(), "end_date": last.isoformat()}, last).to_xcom()
    chunks = chunk_range(first, last)
    size = f"{employees} employees × {DAYS} days, {loaded['activity_logs'] // 1000}K logs"
    in_range = {"first": first, "last": last}

    # Import the Airflow hook and open one connection outside the timings: a worker has both already.
    with transaction(PRODUCTIVITY_DB) as conn:
        conn.execute("SELECT 1")

    def clear_output(schema="productivity"):
        with ctx.connect() as conn:
            for table in SEED_STAGE:
                conn.execute(
                    f"DELETE FROM {schema}.{table} WHERE {DATE_COLUMN[table]} BETWEEN %(first)s AND %(last)s", in_range
                )

    def stages(names):
        for stage in names:
            for chunk in chunks:
                tasks.recalculate_range_stage(stage, request, chunk)

    def baseline():
        clear_output("bench_baseline")
        return seed_stage_loop(ctx, first, last)

    _, seed_timings = measure(ctx, lambda: stages(SEED_STAGE), baseline, reset=clear_output)
    # The floor: one scan of the range's shifts and activity windows, one COPY of the three tables' rows.
    window = {"s": start_of_day(first, TZ), "e": start_of_day(last + dt.timedelta(days=1), TZ)}
    scans = [
        (
            "SELECT count(employee_id), count(clock_in), count(clock_out) FROM productivity.clock_times"
            " WHERE clock_in >= %(s)s AND clock_in < %(e)s",
            window,
        ),
        (
            "SELECT count(employee_id), count(role_id), count(window_start), count(window_end), count(items_count)"
            " FROM productivity.activity_logs WHERE window_start >= %(s)s AND window_start < %(e)s",
            window,
        ),
    ]
    outputs = [(f"productivity.{t}", f"{DATE_COLUMN[t]} BETWEEN %(first)s AND %(last)s", in_range) for t in SEED_STAGE]
    seed_floor = floor_seconds(ctx.connect, scans, outputs)
    same = ""
    if ctx.baselines:
        differences = differing_rows(ctx, first, last)
        same = "; same rows" if not any(differences.values()) else f"; DIFFERENT rows {differences}"

    _, all_timings = measure(ctx, lambda: every_stage(request, chunks), reset=clear_output)
    with ctx.connect() as conn:
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
        conn.commit()
    history = []
    if ctx.scale == 1:  # a year of history at N = 10 would take minutes to generate
        history.append(daily_run(ctx, employees, DAYS))
        with ctx.connect() as conn:
            generate(conn, employees=employees, days=HISTORY_DAYS, shift_hours=SHIFT_HOURS)
            conn.commit()
        history.append(daily_run(ctx, employees, HISTORY_DAYS))
    return [
        Workload(
            "productivity: scores, idle periods, alerts",
            size,
            **seed_timings,
            floor_seconds=seed_floor,
            note=f"baseline = process_employee_day per employee-day, 1 commit each{same}",
        ),
        Workload(
            "productivity: all stages over the range",
            size,
            **all_timings,
            note=f"{len(chunks)} chunks × 4 range stages, then roles, status, cache; no floor (the first row's"
            " floor covers its three tables)",
        ),
        *history,
    ]


def every_stage(request: dict, chunks: list[dict]) -> None:
    """What a run of the DAG does: each range stage over every chunk, then primary roles, current status
    and the cache."""
    for stage in tasks.RANGE_STAGES:
        for chunk in chunks:
            tasks.recalculate_range_stage(stage, request, chunk)
    tasks.update_primary_roles(request)
    tasks.update_current_status(request)
    tasks.refresh_cache(request)


def daily_run(ctx, employees: int, history_days: int) -> Workload:
    """The scheduled run's work (every stage for yesterday) with ``history_days`` of sources behind it:
    its cost should follow the day, not the years of activity_logs a warehouse keeps."""
    last = DEMO_END - dt.timedelta(days=1)
    request = resolve_request({"start_date": last.isoformat(), "end_date": last.isoformat()}, last).to_xcom()
    one_day = chunk_range(last, last)
    with ctx.connect(autocommit=True) as conn:  # as autovacuum leaves a warehouse's older rows
        conn.execute("VACUUM ANALYZE productivity.activity_logs, productivity.clock_times")

    every_stage(request, one_day)  # untimed: reads the day's pages into the cache, so both lengths are timed warm
    _, timings = measure(ctx, lambda: every_stage(request, one_day))
    with ctx.connect() as conn:
        (logs,) = conn.execute("SELECT count(*) FROM productivity.activity_logs").fetchone()
    return Workload(
        f"productivity: daily run, {history_days} days behind",
        f"{employees} employees, {logs // 1000}K logs in all",
        **timings,
        note="every stage for yesterday, as the scheduled run; compare the two history lengths",
    )
