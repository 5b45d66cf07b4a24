"""productivity_recalculation through real dag.test() runs on hand-built shifts.

Roles: 1 picker (×1, idle ≥ 10 min, alert ≥ 30 min, 60 items/h), 2 packer (×2, idle ≥ 20, alert ≥ 40, 30/h).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.dates]

DAG_ID = "productivity_recalculation"
UTC = dt.UTC
DERIVED = (
    "productivity.daily_scores ORDER BY employee_id, score_date",
    "productivity.idle_periods ORDER BY employee_id, start_time",
    "productivity.alerts ORDER BY employee_id, created_at",
    "productivity.employee_hourly_costs ORDER BY employee_id, score_date",
    "productivity.employee_current_status ORDER BY employee_id",
    "productivity.employees ORDER BY id",
)


def utc(d, hh, mm=0):
    return dt.datetime(2026, 3, d, hh, mm, tzinfo=UTC)


def run_at(day):
    """A run at 06:00 Chicago (CST, UTC−6) on 2026-03-<day>: it recalculates the day before."""
    return utc(day, 12)


@pytest.fixture
def shifts(warehouse):
    with warehouse.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "TRUNCATE productivity.alerts, productivity.idle_periods, productivity.daily_scores,"
            " productivity.employee_hourly_costs, productivity.employee_current_status, productivity.activity_logs,"
            " productivity.clock_times, productivity.pay_rates, productivity.employees, productivity.role_configs"
            " RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "INSERT INTO productivity.role_configs VALUES (1, 'picker', 1, 10, 30, 60), (2, 'packer', 2, 20, 40, 30)"
        )
        cur.execute("INSERT INTO productivity.employees VALUES (1, 'a', true, 1), (2, 'b', true, 2), (3, 'c', true, 1)")
        cur.execute("INSERT INTO productivity.pay_rates VALUES (1, 20, '2026-01-01'), (2, 18, '2026-01-01')")
        clock = [
            (1, utc(2, 14), utc(2, 22)),  # 08:00–16:00 CST on Mar 2: 480 min
            (2, utc(3, 4, 30), utc(3, 10, 30)),  # Mar 2 22:30 CST → Mar 3 04:30 CST: work date Mar 2
            (3, utc(2, 14), None),  # never clocked out: a data error
            (1, utc(3, 14), utc(3, 16)),  # Mar 3, 2 h
            (1, utc(4, 14), utc(4, 16)),  # Mar 4, 2 h
        ]
        cur.executemany(
            "INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out) VALUES (%s, %s, %s)", clock
        )
        activity = [
            # employee 1, Mar 2: gap 14:00–14:15 at shift start (15 ≥ 10: idle, < 30: no alert)
            (1, 1, utc(2, 14, 15), utc(2, 15), 30),
            (1, 1, utc(2, 15, 5), utc(2, 17), 100),  # 5-minute gap: not idle
            (
                1,
                1,
                utc(2, 17, 45),
                utc(2, 21, 30),
                200,
            ),  # 45-minute gap in the middle: idle + alert; 30 at the end: idle + alert
            # employee 2 across midnight in Chicago
            (2, 2, utc(3, 4, 30), utc(3, 6), 50),
            (2, 2, utc(3, 6, 15), utc(3, 9), 60),  # 15-minute gap < 20 for packers; 90 min at the end: idle + alert
            (3, 1, utc(2, 14), utc(2, 15), 10),
            (1, 1, utc(3, 14), utc(3, 16), 120),
            (1, 1, utc(4, 14), utc(4, 15), 60),  # last hour of Mar 4 idle: idle + alert
        ]
        cur.executemany(
            "INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)"
            " VALUES (%s, %s, %s, %s, %s)",
            activity,
        )
    return warehouse


def derived(warehouse):
    return {q: warehouse.query(f"SELECT * FROM {q}") for q in DERIVED}


def test_idle_periods_alerts_and_scores_on_hand_built_shifts(shifts, airflow_runner):
    result = airflow_runner.run(
        DAG_ID, logical_date=run_at(3), conf={"start_date": "2026-03-02", "end_date": "2026-03-02"}
    )
    assert result.state == "success", result.task_states
    idle = shifts.query(
        "SELECT employee_id, start_time, end_time, duration_minutes FROM productivity.idle_periods ORDER BY 1, 2"
    )
    assert idle == [
        (1, utc(2, 14), utc(2, 14, 15), Decimal("15.00")),
        (1, utc(2, 17), utc(2, 17, 45), Decimal("45.00")),
        (1, utc(2, 21, 30), utc(2, 22), Decimal("30.00")),
        (2, utc(3, 9), utc(3, 10, 30), Decimal("90.00")),
    ]
    alerts = shifts.query(
        "SELECT employee_id, alert_type, created_at, work_date FROM productivity.alerts ORDER BY 1, 3"
    )
    assert alerts == [
        (1, "idle_detected", utc(2, 17, 45), dt.date(2026, 3, 2)),
        (1, "idle_detected", utc(2, 22), dt.date(2026, 3, 2)),
        (2, "idle_detected", utc(3, 10, 30), dt.date(2026, 3, 2)),
    ]
    scores = shifts.query(
        "SELECT employee_id, score_date, items_processed, points, clocked_minutes, active_minutes, idle_minutes,"
        " efficiency_pct FROM productivity.daily_scores ORDER BY 1, 2"
    )
    assert scores == [
        (
            1,
            dt.date(2026, 3, 2),
            330,
            Decimal("330"),
            Decimal("480.00"),
            Decimal("385.00"),
            Decimal("90.00"),
            Decimal("68.75"),
        ),
        (
            2,
            dt.date(2026, 3, 2),
            110,
            Decimal("220"),
            Decimal("360.00"),
            Decimal("255.00"),
            Decimal("90.00"),
            Decimal("61.11"),
        ),
    ]
    costs = shifts.query(
        "SELECT employee_id, hourly_rate, labor_cost, cost_per_item FROM productivity.employee_hourly_costs ORDER BY 1"
    )
    assert costs == [
        (1, Decimal("20"), Decimal("160.00"), Decimal("0.4848")),
        (2, Decimal("18"), Decimal("108.00"), Decimal("0.9818")),
    ]
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
    assert summary["invalid_shifts"] == 1
    assert summary["employees_with_errors"] == 1
    assert summary["rows_written"] == {"daily_scores": 2, "idle_periods": 4, "alerts": 3, "employee_hourly_costs": 2}


def test_a_range_equals_the_daily_runs_and_a_rerun_is_identical(shifts, airflow_runner):
    for day in (3, 4, 5):  # the scheduled shape: each run recalculates yesterday (Mar 2, 3, 4)
        assert airflow_runner.run(DAG_ID, logical_date=run_at(day)).state == "success"
    daily = derived(shifts)
    assert len(daily["productivity.daily_scores ORDER BY employee_id, score_date"]) == 4
    for table in ("alerts", "idle_periods", "daily_scores", "employee_hourly_costs", "employee_current_status"):
        shifts.execute(f"TRUNCATE productivity.{table}")
    conf = {"start_date": "2026-03-02", "end_date": "2026-03-04"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=conf).state == "success"
    assert derived(shifts) == daily
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=conf).state == "success"
    assert derived(shifts) == daily


def test_a_rerun_after_an_employee_left_keeps_the_rows_of_when_they_worked(shifts, airflow_runner):
    day = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day).state == "success"
    first = derived(shifts)
    assert [r[0] for r in first[DERIVED[0]]] == [1, 2]
    shifts.execute("UPDATE productivity.employees SET is_active = false WHERE id = 2")  # weeks later
    # and their idle periods from before idle_periods.role_id existed: they must not block the alerts
    shifts.execute("UPDATE productivity.idle_periods SET role_id = NULL WHERE employee_id = 2")
    first = derived(shifts)
    result = airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day)
    assert result.state == "success", result.task_states
    again = derived(shifts)
    for table in DERIVED[:4]:  # scores, idle periods, alerts, costs: as the daily run of Mar 2 left them
        assert again[table] == first[table], table


def test_bad_activity_windows_are_left_out_counted_and_never_the_last_activity(shifts, airflow_runner):
    insert = (
        "INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)"
        " VALUES (%s, %s, %s, %s, %s)"
    )
    # employee 2's latest window to start (05:00) ends before an earlier one (04:30–06:00) does
    shifts.execute(insert, (2, 2, utc(3, 5), utc(3, 5, 10), 0))
    day = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day).state == "success"
    clean = derived(shifts)
    last_activity = "SELECT employee_id, last_activity_at FROM productivity.employee_current_status ORDER BY 1"
    # as of the end of Mar 2 in Chicago (Mar 3 06:00 UTC)
    assert shifts.query(last_activity) == [(1, utc(2, 21, 30)), (2, utc(3, 6)), (3, utc(2, 15))]

    bad_windows = [
        (1, 1, utc(2, 16), utc(2, 15, 30), 10),  # ends before it starts, inside employee 1's shift
        (1, 1, utc(2, 14), utc(2, 13, 50), 1),  # the same, starting at the range's first clock_in
        (1, 1, utc(2, 21, 40), utc(2, 21, 50), -5),  # negative items, ending after employee 1's last good window
        (1, 1, utc(2, 21, 45), utc(3, 22), 50),  # 24 h 15 min long: would shorten employee 1's last idle period
        (3, 1, utc(2, 15), utc(2, 16), -1),  # in employee 3's open shift (itself a data error)
        (3, 1, utc(3, 13), utc(3, 12), 1),  # in that open shift too, after every clock_out of the range
        (1, 1, utc(5, 14), utc(5, 13), 1),  # bad, but in no shift of the range: not this run's to report
        # a role missing from role_configs, with the most items of employee 2's day: as that day's role it
        # would drop the day's idle periods (no thresholds) and become the primary role
        (2, 9, utc(3, 5, 20), utc(3, 5, 30), 500),
    ]
    with shifts.connect() as conn:
        conn.cursor().executemany(insert, bad_windows)

    result = airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day)
    assert result.state == "success"
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
    assert summary["invalid_activity_windows"] == 7
    assert summary["employees_with_errors"] == 3  # 3's open shift, 1's and 2's windows
    assert derived(shifts) == clean  # every table as without them, last_activity_at included


def test_a_window_of_an_unconfigured_role_is_working_time_but_no_score_or_role(shifts, airflow_runner):
    day = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day).state == "success"
    clean = derived(shifts)
    idle = "SELECT start_time, end_time, role_id FROM productivity.idle_periods WHERE employee_id = 1 ORDER BY 1"
    periods = shifts.query(idle)
    assert (utc(2, 17), utc(2, 17, 45), 1) in periods  # the 45-minute gap
    # role 9 has no role_configs row; its 500 items would make it employee 1's day role
    shifts.execute(
        "INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)"
        " VALUES (1, 9, %s, %s, 500)",
        (utc(2, 17), utc(2, 17, 45)),
    )
    result = airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=day)
    assert result.state == "success", result.task_states
    # working time: that gap is gone, the others stay, still under role 1's thresholds
    assert shifts.query(idle) == [p for p in periods if p[0] != utc(2, 17)]
    scores = "productivity.daily_scores ORDER BY employee_id, score_date"
    assert derived(shifts)[scores] == [
        (*row[:6], row[6] - Decimal("45.00"), row[7]) if row[0] == 1 else row for row in clean[scores]
    ]  # no items, points or active minutes from it: only the idle minutes drop
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "summarize")
    assert summary["invalid_activity_windows"] == 1
    assert summary["employees_with_errors"] == 2  # employee 3's open shift, employee 1's window


def test_a_zero_length_window_splits_an_idle_gap_and_touching_windows_leave_none(shifts, airflow_runner):
    """Employee 1's Mar 4 shift (14:00–16:00 UTC) is active 14:00–15:00, then idle to the end."""
    shifts.execute(
        "INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)"
        " VALUES (1, 1, %s, %s, 0), (1, 1, %s, %s, 0)",
        (utc(4, 15, 30), utc(4, 15, 30), utc(4, 15), utc(4, 15, 10)),  # a point; a window touching 15:00
    )
    conf = {"start_date": "2026-03-04", "end_date": "2026-03-04"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=conf).state == "success"
    assert shifts.query(
        "SELECT start_time, end_time, duration_minutes FROM productivity.idle_periods"
        " WHERE employee_id = 1 AND work_date = '2026-03-04' ORDER BY start_time"
    ) == [(utc(4, 15, 10), utc(4, 15, 30), Decimal("20.00")), (utc(4, 15, 30), utc(4, 16), Decimal("30.00"))]


def test_the_primary_role_is_the_role_with_most_valid_items_over_the_30_work_days(shifts, airflow_runner):
    """Employee 1 works mostly as a picker (510 items from Mar 2 to 4), employee 2 as a packer (110 items)
    and employee 3 only in an open shift. Each added row would change a primary role if it were counted."""
    shifts.execute("TRUNCATE productivity.almanac_stage_watermarks")
    with shifts.connect() as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out) VALUES (%s, %s, %s)",
            [
                (1, dt.datetime(2026, 2, 2, 14, tzinfo=UTC), dt.datetime(2026, 2, 2, 16, tzinfo=UTC)),  # 30 days before
                (3, utc(4, 14), utc(5, 16)),  # 26 hours: an invalid shift
            ],
        )
        cur.executemany(
            "INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (1, 2, utc(4, 14), utc(4, 15), 300),  # packer, counted: 300 < 510
                (1, 2, utc(3, 14), utc(4, 15), 1000),  # 25 hours long: a data error
                (1, 2, dt.datetime(2026, 2, 2, 14, tzinfo=UTC), dt.datetime(2026, 2, 2, 15, tzinfo=UTC), 1000),
                (2, 1, utc(3, 5), utc(3, 6), 110),  # picker 110 = packer 110: the tie goes to the lower role id
                (3, 2, utc(4, 15), utc(4, 16), 100),  # in the invalid shift
            ],
        )
    conf = {"start_date": "2026-03-04", "end_date": "2026-03-04", "tables": ["employee_primary_roles"]}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=conf).state == "success"
    assert shifts.query("SELECT id, primary_role_id FROM productivity.employees ORDER BY id") == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]


def test_only_the_range_and_the_selected_tables_change(shifts, airflow_runner):
    assert (
        airflow_runner.run(
            DAG_ID, logical_date=run_at(5), conf={"start_date": "2026-03-02", "end_date": "2026-03-04"}
        ).state
        == "success"
    )
    before = derived(shifts)
    shifts.execute("UPDATE productivity.activity_logs SET items_count = items_count * 2")  # the sources change
    result = airflow_runner.run(
        DAG_ID,
        logical_date=run_at(5),
        conf={"start_date": "2026-03-03", "end_date": "2026-03-03", "tables": ["daily_scores"]},
    )
    assert result.state == "success"
    assert result.task_states["idle_periods[0]"] == "skipped"
    assert result.task_states["employee_current_status"] == "skipped"
    after = derived(shifts)
    scores_key = "productivity.daily_scores ORDER BY employee_id, score_date"
    changed = [r for r in after[scores_key] if r not in before[scores_key]]
    assert [(r[0], r[1], r[2]) for r in changed] == [(1, dt.date(2026, 3, 3), 240)]  # only Mar 3, doubled
    for key in DERIVED:
        if key != scores_key:
            assert after[key] == before[key], key


def test_alerts_refuse_idle_periods_stored_before_role_id_and_keep_their_alerts(shifts, airflow_runner):
    day = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=day).state == "success"
    before = derived(shifts)
    shifts.execute("UPDATE productivity.idle_periods SET role_id = NULL")  # rows from before the column existed

    result = airflow_runner.run(DAG_ID, logical_date=run_at(5), conf={**day, "tables": ["alerts"]})
    assert result.state == "failed"
    assert result.task_states["alerts[0]"] == "failed"
    assert derived(shifts)["productivity.alerts ORDER BY employee_id, created_at"] != []
    assert (
        derived(shifts)["productivity.alerts ORDER BY employee_id, created_at"]
        == before["productivity.alerts ORDER BY employee_id, created_at"]
    )

    conf = {**day, "tables": ["idle_periods", "alerts"]}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(5), conf=conf).state == "success"
    assert derived(shifts) == before


@pytest.mark.parametrize(
    ("conf", "field"),
    [
        ({"tables": ["bogus"]}, "tables"),
        ({"tables": ["all", "alerts"]}, "tables"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"clear_existing": "no"}, "clear_existing"),
    ],
)
def test_bad_params_are_rejected_at_trigger_time(airflow_runner, conf, field):
    from airflow.sdk.definitions.param import ParamValidationError

    # the param's own name, as Airflow names it (the schema text in the message mentions other fields)
    with pytest.raises(ParamValidationError, match=rf"^Invalid input for param {field}:"):
        airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=conf)


def test_a_day_without_activity_keeps_the_role_its_daily_run_used(shifts, airflow_runner):
    """The day role of a shift without activity is the primary role as of the day before (the 30 work days
    before it), not the stored primary_role_id, which later runs rewrite."""
    # employee 2 packed (role 2) on Mar 2; on Mar 5 a 2-hour shift without any activity: one idle period
    shifts.execute(
        "INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out) VALUES (2, %s, %s)",
        (utc(5, 14), utc(5, 16)),
    )
    day = {"start_date": "2026-03-05", "end_date": "2026-03-05"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(6), conf=day).state == "success"
    first = derived(shifts)
    assert shifts.query(
        "SELECT role_id, duration_minutes FROM productivity.idle_periods WHERE work_date = '2026-03-05'"
    ) == [(2, Decimal("120.00"))]
    # weeks later employee 2 picks: a later run's primary roles stage stored role 1
    shifts.execute("UPDATE productivity.employees SET primary_role_id = 1 WHERE id = 2")
    rerun = {**day, "tables": ["daily_scores", "idle_periods", "alerts"]}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(6), conf=rerun).state == "success"
    again = derived(shifts)
    for table in DERIVED[:3]:  # scores, idle periods, alerts: what the daily run of Mar 5 wrote
        assert again[table] == first[table], table


def test_a_day_without_any_role_is_reported(shifts, airflow_runner):
    """Employee 4 has no primary role and no activity at all: a shift without activity has no role to
    take an idle threshold or an expected rate from."""
    shifts.execute("INSERT INTO productivity.employees VALUES (4, 'd', true, NULL)")
    shifts.execute(
        "INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out) VALUES (4, %s, %s)",
        (utc(5, 14), utc(5, 16)),
    )
    day = {"start_date": "2026-03-05", "end_date": "2026-03-05"}
    result = airflow_runner.run(DAG_ID, logical_date=run_at(6), conf=day)
    assert result.state == "success", result.task_states
    assert airflow_runner.xcom(DAG_ID, result.run_id, "summarize")["days_without_role"] == 1
    assert shifts.query(
        "SELECT items_processed, idle_minutes, efficiency_pct FROM productivity.daily_scores WHERE employee_id = 4"
    ) == [(0, Decimal("0"), None)]


def test_the_role_of_a_day_without_activity_looks_back_30_work_days(shifts, airflow_runner):
    """Employee 2 packed (role 2) only on work date Mar 2; the stored primary role says picker (1)."""
    shifts.execute("UPDATE productivity.employees SET primary_role_id = 1 WHERE id = 2")
    for day in (1, 2):  # Apr 1: Mar 2 is D − 30, inside the 30 work days; Apr 2: D − 31, outside
        start = dt.datetime(2026, 4, day, 14, tzinfo=UTC)
        shifts.execute(
            "INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out) VALUES (2, %s, %s)",
            (start, start + dt.timedelta(hours=2)),
        )
    conf = {"start_date": "2026-04-01", "end_date": "2026-04-02", "tables": ["idle_periods"]}
    result = airflow_runner.run(DAG_ID, logical_date=dt.datetime(2026, 4, 3, 12, tzinfo=UTC), conf=conf)
    assert result.state == "success", result.task_states
    assert shifts.query(
        "SELECT work_date, role_id FROM productivity.idle_periods WHERE employee_id = 2 AND work_date > '2026-03-31'"
        " ORDER BY 1"
    ) == [(dt.date(2026, 4, 1), 2), (dt.date(2026, 4, 2), 1)]


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"start_date": "2026-03-04", "end_date": "2026-03-02"}, "end_date 2026-03-02 is before start_date 2026-03-04"),
        # the run of 2026-03-03 06:00 Chicago may recalculate up to its own date, not the day after
        ({"end_date": "2026-03-04"}, "end_date 2026-03-04 is after this run's own date 2026-03-03"),
    ],
)
def test_cross_field_rules_fail_the_first_task_naming_the_field(shifts, airflow_runner, slack, conf, message):
    watermarks = shifts.query("SELECT * FROM productivity.almanac_stage_watermarks")
    result = airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=conf)
    assert result.state == "failed"
    assert result.task_states["check_request"] == "failed"
    alert = next(t for t in slack.texts if "check_request" in t)
    assert message in alert
    assert "try 1" in alert  # AirflowFailException: no retries for a bad request
    assert shifts.query("SELECT count(*) FROM productivity.daily_scores") == [(0,)]
    assert shifts.query("SELECT * FROM productivity.almanac_stage_watermarks") == watermarks


def test_a_failure_mid_stage_keeps_the_previous_rows_and_clearing_completes(shifts, airflow_runner):
    conf = {"start_date": "2026-03-02", "end_date": "2026-03-02"}
    assert airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=conf).state == "success"
    before = derived(shifts)
    shifts.execute(
        "UPDATE productivity.activity_logs SET window_end = window_end - interval '10 minutes' WHERE employee_id = 1"
    )
    shifts.execute(
        """
        CREATE FUNCTION productivity.refuse_employee_2() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'simulated failure while writing idle periods'; END $$;
        CREATE TRIGGER refuse_employee_2 BEFORE INSERT ON productivity.idle_periods
        FOR EACH ROW WHEN (NEW.employee_id = 2) EXECUTE FUNCTION productivity.refuse_employee_2();
        """
    )
    try:
        result = airflow_runner.run(DAG_ID, logical_date=run_at(3), conf=conf)
        assert result.state == "failed"
        assert result.task_states["idle_periods[0]"] == "failed"
        idle_key = "productivity.idle_periods ORDER BY employee_id, start_time"
        assert derived(shifts)[idle_key] == before[idle_key]  # employee 1's deleted rows came back: one transaction
    finally:
        shifts.execute("DROP TRIGGER refuse_employee_2 ON productivity.idle_periods")
    resumed = airflow_runner.clear_and_resume(DAG_ID, result.run_id, ["idle_periods"])
    assert resumed.state == "success", resumed.task_states
    idle = shifts.query("SELECT employee_id, duration_minutes FROM productivity.idle_periods ORDER BY 1, start_time")
    # windows now end 10 minutes earlier: gaps 15 (start), 15, 55 and 40 (end) minutes
    assert idle == [
        (1, Decimal("15.00")),
        (1, Decimal("15.00")),
        (1, Decimal("55.00")),
        (1, Decimal("40.00")),
        (2, Decimal("90.00")),
    ]


def test_the_cooldown_spaces_manual_runs_by_when_they_were_triggered(shifts, airflow_runner, monkeypatch, slack):
    """Runs from the UI's "trigger now" have no logical date, so "the previous run" cannot be found by it:
    the cooldown compares trigger instants (run_after) of accepted manual runs, whatever their dates."""
    monkeypatch.setenv("ALMANAC_RECALC_COOLDOWN_MINUTES", "5")
    t0 = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)  # after every run the other tests triggered
    first = airflow_runner.run(DAG_ID, logical_date=None, run_after=t0)
    assert first.state == "success", first.task_states

    refused = airflow_runner.run(DAG_ID, logical_date=run_at(4), run_after=t0 + dt.timedelta(minutes=2))
    assert refused.state == "failed"
    assert refused.task_states["check_request"] == "failed"
    assert refused.tries["check_request"] == 1
    assert any("cooldown" in t and "wait 5 minutes" in t for t in slack.texts)

    cleared = airflow_runner.clear_and_resume(DAG_ID, refused.run_id, ["check_request"])
    assert cleared.task_states["check_request"] == "failed"  # the same decision on a rerun

    later = airflow_runner.run(DAG_ID, logical_date=None, run_after=t0 + dt.timedelta(minutes=6))
    assert later.state == "success", later.task_states
