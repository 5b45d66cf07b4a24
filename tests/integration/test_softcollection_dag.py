"""softcollection_daily_distribution through real dag.test() runs on the embedded Postgres."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from almanac.demo.softcollection_data import generate, synthetic_iins
from almanac.softcollection.transform import GROUPS, build_distribution_plan, group_theory_id

pytestmark = [pytest.mark.integration, pytest.mark.dates]

DAG_ID = "softcollection_daily_distribution"
RUN = dt.datetime(2026, 3, 16, 4, tzinfo=dt.UTC)  # 09:00 Almaty, D = 2026-03-16
D = dt.date(2026, 3, 16)
TABLES = ("dssb_app.sc_local_control", "dssb_app.sc_local_target", "spss.sc_theory_users")
IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture
def sc(warehouse):
    with warehouse.connect() as conn:
        generate(conn, eligible=1000, others=300)
        conn.execute(
            "TRUNCATE dssb_app.almanac_distribution_days, dssb_app.almanac_distribution_plan,"
            " dssb_app.almanac_distribution_candidates"
        )
    return warehouse


def table_rows(warehouse):
    return {t: warehouse.query(f"SELECT * FROM {t} ORDER BY iin, theory_id") for t in TABLES}


def test_full_run_places_every_eligible_iin_exactly_once(sc, airflow_runner, slack, capfd):
    result = airflow_runner.run(DAG_ID, logical_date=RUN)
    assert result.state == "success", result.task_states
    assert result.task_states["notify_no_campaigns"] == "skipped"
    eligible = {r[0] for r in sc.query("SELECT DISTINCT iin FROM spss_user_dracrm.sc_1_120 WHERE count_day = 5")}
    control = sc.query("SELECT iin, theory_id, date_start, date_end FROM dssb_app.sc_local_control")
    target = sc.query("SELECT iin, theory_id, date_start, date_end FROM dssb_app.sc_local_target")
    spss = sc.query("SELECT iin, theory_id, date_start, date_end FROM spss.sc_theory_users")
    placed = [r[0] for r in control + target]
    assert sorted(placed) == sorted(eligible)  # every eligible IIN once, over all campaigns and groups
    assert sorted(target) == sorted(spss)  # B–E mirrored in SPSS
    assert {r[1].rsplit(".", 1)[1] for r in control} == {"1"}  # A only in control
    assert {r[1].rsplit(".", 1)[1] for r in target} == {"2", "3", "4", "5"}
    assert {r[1].split(".")[0] for r in control + target} == {"SC00000001", "SC00000002", "SC00000003"}
    assert {r[2] for r in control + target} == {D}
    ends = dict(sc.query("SELECT theory_id, theory_end_date FROM dssb_app.softcollection_theories"))
    assert all(r[3] == ends[r[1].split(".")[0]] for r in control + target)
    # 1000 users over 3 campaigns: 333, 333, 334; campaign 1: 66 × 4 + 69
    c1 = sc.query("SELECT count(*) FROM dssb_app.sc_local_control WHERE theory_id = 'SC00000001.1'")[0]
    assert c1 == (66,)
    summary = next(t for t in slack.texts if "3 campaign(s)" in t)
    assert "users distributed: 1000" in summary
    assert "SC00000003: A 66, B 66, C 66, D 66, E 70" in summary

    # no IIN in Slack, XCom or the task logs
    captured = capfd.readouterr()
    assert not IIN.search(json.dumps(slack.payloads))
    for task_id in ("find_active_campaigns", "build_plan", "report_success"):
        assert not IIN.search(json.dumps(airflow_runner.xcom(DAG_ID, result.run_id, task_id), default=str))
    for i in range(3):
        assert not IIN.search(json.dumps(airflow_runner.xcom(DAG_ID, result.run_id, "write_campaign", i)))
    assert "write_campaign" in captured.out + captured.err  # the logs were captured at all
    # the real IINs, not any 12 digits: a UUID's last group (ti_id=…) is 12 digits about once in 300
    logs = captured.out + captured.err
    assert not [iin for iin in eligible if iin in logs]


def placed_on(sc, day) -> set[tuple[str, str]]:
    return set(
        sc.query(
            "SELECT iin, theory_id FROM dssb_app.sc_local_control WHERE date_start = %(d)s"
            " UNION ALL SELECT iin, theory_id FROM dssb_app.sc_local_target WHERE date_start = %(d)s",
            {"d": day},
        )
    )


def reference_plan(iins, campaigns, day) -> set[tuple[str, str]]:
    plans = build_distribution_plan(iins, campaigns, day)
    return {(iin, group_theory_id(p.theory_id, g)) for p in plans for g in GROUPS for iin in p.groups[g]}


def test_rows_without_a_valid_iin_are_left_out_and_counted(sc, airflow_runner):
    bad = ["ABC", "12345", "12345678901X", " 12345678901"]  # letters, short, a letter, a space
    with sc.connect() as conn:
        conn.cursor().executemany("INSERT INTO spss_user_dracrm.sc_1_120 VALUES (%s, 5)", [(b,) for b in bad])
    result = airflow_runner.run(DAG_ID, logical_date=RUN)
    assert result.state == "success", result.task_states
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "build_plan")
    assert summary["invalid_iins_excluded"] == 4
    assert summary["eligible_users"] == 1000
    placed = sc.query("SELECT iin FROM dssb_app.sc_local_control UNION ALL SELECT iin FROM dssb_app.sc_local_target")
    assert len(placed) == 1000
    assert not set(bad) & {r[0] for r in placed}
    rerun = airflow_runner.run(DAG_ID, logical_date=RUN)  # the stored plan keeps its count
    assert airflow_runner.xcom(DAG_ID, rerun.run_id, "build_plan")["invalid_iins_excluded"] == 4


def test_the_database_plans_as_the_python_rules_do(sc, airflow_runner):
    """The plan is one INSERT … SELECT in DSSB_APP; the rules in Python (transform) must give the same
    people in the same groups: on D, and on D+1 when part of SC_1_120 is already in a running campaign."""
    campaigns = ["SC00000001", "SC00000002", "SC00000003"]
    eligible = [r[0] for r in sc.query("SELECT DISTINCT iin FROM spss_user_dracrm.sc_1_120 WHERE count_day = 5")]
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    assert placed_on(sc, D) == reference_plan(eligible, campaigns, D)

    newcomers = synthetic_iins(437, seed=404)  # 437 = 3 × 145 + 2: remainders in campaigns and groups
    _counters_move_on(sc, seed=404, n=437)
    sc.execute("INSERT INTO spss_user_dracrm.sc_1_120 SELECT unnest(%s::text[]), 5", (eligible[:100],))
    next_day = D + dt.timedelta(days=1)
    result = airflow_runner.run(DAG_ID, logical_date=RUN + dt.timedelta(days=1))
    assert result.state == "success"
    assert placed_on(sc, next_day) == reference_plan(newcomers, campaigns, next_day)
    summary = airflow_runner.xcom(DAG_ID, result.run_id, "build_plan")
    assert summary["eligible_users"] == 537
    assert summary["already_assigned"] == 100


def test_rerun_gives_identical_tables(sc, airflow_runner):
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    first = table_rows(sc)
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    assert table_rows(sc) == first


def test_next_day_leaves_out_users_already_in_a_running_campaign(sc, airflow_runner):
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    with sc.connect() as conn:  # 50 new eligible users arrive
        conn.execute(
            "INSERT INTO spss_user_dracrm.sc_1_120 SELECT unnest(%s::text[]), 5", (synthetic_iins(50, seed=99),)
        )
    assert airflow_runner.run(DAG_ID, logical_date=RUN + dt.timedelta(days=1)).state == "success"
    next_day = D + dt.timedelta(days=1)
    placed = sc.query(
        "SELECT count(*) FROM (SELECT iin FROM dssb_app.sc_local_control WHERE date_start = %(d)s"
        " UNION ALL SELECT iin FROM dssb_app.sc_local_target WHERE date_start = %(d)s) x",
        {"d": next_day},
    )
    assert placed == [(50,)]  # only the newcomers: yesterday's users are in running campaigns
    twice = sc.query(
        "SELECT iin FROM (SELECT iin FROM dssb_app.sc_local_control UNION ALL SELECT iin FROM dssb_app.sc_local_target)"
        " x GROUP BY iin HAVING count(*) > 1"
    )
    assert twice == []


def test_a_crash_between_dssb_and_spss_is_healed_by_the_rerun(sc, airflow_runner, slack):
    sc.execute(
        """
        CREATE FUNCTION spss.refuse_writes() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'SPSS unavailable for %', NEW.iin; END $$;
        CREATE TRIGGER refuse_writes BEFORE INSERT ON spss.sc_theory_users
        FOR EACH ROW EXECUTE FUNCTION spss.refuse_writes();
        """
    )
    try:
        result = airflow_runner.run(DAG_ID, logical_date=RUN)
        assert result.state == "failed"
        assert sc.query("SELECT count(*) FROM dssb_app.sc_local_target")[0][0] > 0  # DSSB written …
        assert sc.query("SELECT count(*) FROM spss.sc_theory_users") == [(0,)]  # … SPSS not
        alert = next(t for t in slack.texts if "write_campaign" in t)
        assert "write_spss: SPSS unavailable for **********" in alert  # the stage, and the IIN masked
        assert not IIN.search(json.dumps(slack.payloads))
    finally:
        sc.execute("DROP TRIGGER refuse_writes ON spss.sc_theory_users")
    resumed = airflow_runner.clear_and_resume(DAG_ID, result.run_id, ["write_campaign"])
    assert resumed.state == "success", resumed.task_states
    rows = table_rows(sc)
    assert sorted(r[:4] for r in rows["dssb_app.sc_local_target"]) == sorted(
        r[:4] for r in rows["spss.sc_theory_users"]
    )
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    assert table_rows(sc) == rows  # and the same tables as a clean run


def test_no_campaigns_and_no_users_skip_with_a_notice(sc, airflow_runner, slack):
    idle_day = dt.datetime(2026, 9, 5, 4, tzinfo=dt.UTC)  # every demo campaign has ended or not begun
    preview = airflow_runner.run(DAG_ID, logical_date=idle_day, conf={"dry_run": True})
    assert preview.task_states["notify_no_campaigns"] == "success"
    assert slack.texts == []  # a dry run notifies nobody, also when it would skip
    result = airflow_runner.run(DAG_ID, logical_date=idle_day)
    assert result.state == "success", result.task_states
    assert result.task_states["notify_no_campaigns"] == "success"
    assert result.task_states["write_campaign"] == "skipped"
    assert any("skipped — no active campaigns" in t for t in slack.texts)

    sc.execute("DELETE FROM spss_user_dracrm.sc_1_120 WHERE count_day = 5")
    result = airflow_runner.run(DAG_ID, logical_date=RUN)
    assert result.task_states["notify_no_users"] == "success"
    assert any("no eligible users" in t for t in slack.texts)
    assert all(rows == [] for rows in table_rows(sc).values())


def test_dry_run_writes_nothing_and_reports_the_plan(sc, airflow_runner):
    result = airflow_runner.run(DAG_ID, logical_date=RUN, conf={"dry_run": True})
    assert result.state == "success"
    assert result.task_states["report_dry_run"] == "success"
    assert all(rows == [] for rows in table_rows(sc).values())
    plan = airflow_runner.xcom(DAG_ID, result.run_id, "report_dry_run")
    assert plan["users_to_distribute"] == 1000
    assert plan["per_campaign"]["SC00000001"] == {"A": 66, "B": 66, "C": 66, "D": 66, "E": 69}
    for table in ("almanac_distribution_days", "almanac_distribution_plan", "almanac_distribution_candidates"):
        assert sc.query(f"SELECT count(*) FROM dssb_app.{table}") == [(0,)], table  # planned, rolled back


def _counters_move_on(sc, seed: int, n: int = 400) -> None:
    """SC_1_120 is a counter without a date: the next day it lists other people."""
    with sc.connect() as conn:
        conn.execute("DELETE FROM spss_user_dracrm.sc_1_120")
        conn.execute("INSERT INTO spss_user_dracrm.sc_1_120 SELECT unnest(%s::text[]), 5", (synthetic_iins(n, seed),))


def day_rows(sc, day):
    return {t: sc.query(f"SELECT * FROM {t} WHERE date_start = %s ORDER BY iin, theory_id", (day,)) for t in TABLES}


def test_a_rerun_of_an_old_day_after_the_counters_moved_on_writes_that_days_first_plan(sc, airflow_runner):
    day1, day2 = RUN - dt.timedelta(days=1), RUN
    first = airflow_runner.run(DAG_ID, logical_date=day1)
    assert first.state == "success"
    d1 = day_rows(sc, D - dt.timedelta(days=1))
    assert sum(len(rows) for rows in d1.values()) > 0

    _counters_move_on(sc, seed=101)
    second = airflow_runner.run(DAG_ID, logical_date=day2)
    assert second.state == "success"
    d2 = day_rows(sc, D)

    _counters_move_on(sc, seed=202)
    again = airflow_runner.run(DAG_ID, logical_date=day1)  # a new run of day 1, days later
    assert again.state == "success"
    resumed = airflow_runner.clear_and_resume(DAG_ID, second.run_id, ["write_campaign"], map_index=1)
    assert resumed.state == "success", resumed.task_states

    assert day_rows(sc, D - dt.timedelta(days=1)) == d1  # the same people, rows and INSERT_DATETIME
    assert day_rows(sc, D) == d2
    twice = sc.query(
        "SELECT iin FROM (SELECT iin FROM dssb_app.sc_local_control UNION ALL SELECT iin FROM dssb_app.sc_local_target)"
        " x GROUP BY iin HAVING count(*) > 1"
    )
    assert twice == []
    summary = airflow_runner.xcom(DAG_ID, again.run_id, "build_plan")
    assert summary["planned_by"] == first.run_id


def test_a_day_never_planned_is_refused_once_a_later_day_was_planned(sc, airflow_runner, slack):
    """D failed before its plan was stored, D+1 ran, then D is cleared: SC_1_120 holds D+1's users by then."""
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    before = table_rows(sc)
    late = airflow_runner.run(DAG_ID, logical_date=RUN - dt.timedelta(days=1))
    assert late.state == "failed"
    assert late.task_states["build_plan"] == "failed"
    assert table_rows(sc) == before  # nobody placed a second time under the earlier day
    assert sc.query("SELECT run_date FROM dssb_app.almanac_distribution_days") == [(D,)]
    alert = next(t for t in slack.texts if "build_plan" in t)
    assert f"{D - dt.timedelta(days=1)} was never planned and {D} has been planned since" in alert
    assert "try 1" in alert  # no retry can bring the day's users back
    assert not IIN.search(alert)


def test_a_dry_run_of_a_planned_day_reports_the_stored_plan_and_stores_nothing(sc, airflow_runner):
    assert airflow_runner.run(DAG_ID, logical_date=RUN).state == "success"
    before = table_rows(sc)
    _counters_move_on(sc, seed=303)
    result = airflow_runner.run(DAG_ID, logical_date=RUN, conf={"dry_run": True})
    plan = airflow_runner.xcom(DAG_ID, result.run_id, "report_dry_run")
    assert plan["users_to_distribute"] == 1000  # D's stored plan, not today's 400 counters
    assert table_rows(sc) == before
    tomorrow = RUN + dt.timedelta(days=1)
    dry = airflow_runner.run(DAG_ID, logical_date=tomorrow, conf={"dry_run": True})
    assert airflow_runner.xcom(DAG_ID, dry.run_id, "report_dry_run")["users_to_distribute"] == 400
    assert sc.query(
        "SELECT count(*) FROM dssb_app.almanac_distribution_days WHERE run_date = %s", (D + dt.timedelta(days=1),)
    ) == [(0,)]
