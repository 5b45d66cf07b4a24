"""The status rules without databases: when a DAG is stale, and how a domain's status is decided."""

from __future__ import annotations

import datetime as dt

import pytest

from almanac.status.freshness import Freshness
from almanac.status.report import dag_status, domain_status
from almanac.status.schedule import DEFAULT_GRACE, due_fire_time, grace_for, is_stale

UTC = dt.UTC
H = dt.timedelta(hours=1)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "zone", "now", "due"),
    [
        # 03:15 UTC daily, 3 h grace: at 05:00 today's run may still be running → yesterday's is due
        ("15 3 * * *", "UTC", at(2026, 3, 10, 5, 0), at(2026, 3, 9, 3, 15)),
        # exactly fire time + grace: today's run is due
        ("15 3 * * *", "UTC", at(2026, 3, 10, 6, 15), at(2026, 3, 10, 3, 15)),
        # 09:00 Asia/Almaty (UTC+5) = 04:00 UTC
        ("0 9 * * *", "Asia/Almaty", at(2026, 3, 10, 8, 0), at(2026, 3, 10, 4, 0)),
        # 06:00 America/Chicago the day after DST began (CDT, UTC-5) = 11:00 UTC
        ("0 6 * * *", "America/Chicago", at(2026, 3, 9, 15, 0), at(2026, 3, 9, 11, 0)),
        # before DST (CST, UTC-6) the same local time is 12:00 UTC
        ("0 6 * * *", "America/Chicago", at(2026, 3, 6, 16, 0), at(2026, 3, 6, 12, 0)),
        # trimester reset: in March the Jan 1 reset is the one due
        ("30 3 1 1,5,9 *", "UTC", at(2026, 3, 10, 12, 0), at(2026, 1, 1, 3, 30)),
        # Mondays 06:00
        ("0 6 * * 1", "UTC", at(2026, 3, 12, 12, 0), at(2026, 3, 9, 6, 0)),
    ],
)
def test_due_fire_time_is_the_latest_fire_time_whose_grace_has_passed(expression, zone, now, due):
    assert due_fire_time(expression, zone, now, DEFAULT_GRACE) == due


def test_nothing_is_due_before_the_dags_start_date():
    start = at(2026, 1, 1)
    assert due_fire_time("15 3 * * *", "UTC", at(2026, 1, 1, 5, 0), DEFAULT_GRACE, start) is None
    assert due_fire_time("15 3 * * *", "UTC", at(2026, 1, 1, 7, 0), DEFAULT_GRACE, start) == at(2026, 1, 1, 3, 15)


def test_the_weekly_recommendations_get_a_longer_grace_for_their_sensor():
    assert grace_for("learning_weekly_recommendations") > 6 * H
    assert grace_for("tutoring_daily_metrics") == DEFAULT_GRACE


def test_stale_compares_what_the_last_success_stands_for_with_the_due_run():
    due = at(2026, 3, 10, 3, 15)
    assert not is_stale(due, due)  # the scheduled run itself
    assert not is_stale(due, at(2026, 3, 10, 14, 0))  # a "trigger now" run (run_after) after it
    assert is_stale(due, at(2026, 3, 9, 3, 15))  # yesterday's run only
    assert is_stale(due, at(2025, 5, 1, 3, 15))  # a backfill of an old date finished today: still stale
    assert is_stale(due, None)
    assert not is_stale(None, None)  # nothing due yet (or a manual-only DAG)


SPEC = {"expression": "0 2 * * *", "timezone": "UTC", "start_date": at(2026, 1, 1), "is_paused": False}


def run(run_after, state="success", run_id="scheduled__x"):
    return {
        "run_id": run_id,
        "run_type": "scheduled",
        "state": state,
        "logical_date": run_after,
        "run_after": run_after,
        "end_date": run_after + H,
    }


def test_dag_status_fresh_late_failed_never_run():
    now = at(2026, 3, 10, 12, 0)
    fresh = run(at(2026, 3, 10, 2, 0))
    assert dag_status("tutoring_daily_metrics", now, SPEC, fresh, fresh)["status"] == "fresh"
    old = run(at(2026, 3, 8, 2, 0))
    late = dag_status("tutoring_daily_metrics", now, SPEC, old, old)
    assert (late["status"], late["stale"], late["colour"]) == ("late", True, "amber")
    assert late["due"] == at(2026, 3, 10, 2, 0).isoformat()
    failed = run(at(2026, 3, 10, 2, 0), state="failed", run_id="scheduled__f")
    entry = dag_status("tutoring_daily_metrics", now, SPEC, old, failed)
    assert (entry["status"], entry["colour"]) == ("failed", "red")
    assert "scheduled__f failed" in entry["reason"]
    paused = dag_status("tutoring_daily_metrics", now, {**SPEC, "is_paused": True}, None, None)
    assert paused["status"] == "late"
    assert "paused" in paused["reason"]
    early = dag_status("tutoring_daily_metrics", at(2026, 1, 1, 1, 0), SPEC, None, None)
    assert (early["status"], early["stale"]) == ("never_run", False)
    unknown = dag_status("tutoring_daily_metrics", now, None, None, None)
    assert unknown["status"] == "never_run"
    assert "not in Airflow's metadata" in unknown["reason"]
    assert dag_status("tutoring_daily_metrics", now, SPEC, fresh, fresh)["grid_path"] == "dags/tutoring_daily_metrics"


def fresh_dags() -> dict:
    now = at(2026, 3, 10, 12, 0)
    fresh = run(at(2026, 3, 10, 2, 0))
    return {"tutoring_daily_metrics": dag_status("tutoring_daily_metrics", now, SPEC, fresh, fresh)}


def test_domain_status_takes_the_worst_of_its_dags_and_its_database():
    ok = domain_status("tutoring", fresh_dags(), Freshness(True, {"latest_calculation_date": dt.date(2026, 3, 10)}))
    assert (ok["status"], ok["colour"], ok["reason"]) == ("fresh", "green", None)
    assert ok["freshness"] == {"latest_calculation_date": "2026-03-10"}

    down = domain_status("tutoring", fresh_dags(), Freshness(False, error="tutoring_db: OperationalError: timeout"))
    assert (down["status"], down["colour"], down["freshness"]) == ("unknown", "red", None)
    assert down["reason"].startswith("database unreachable: tutoring_db")
    failed_run = run(at(2026, 3, 10, 2, 0), state="failed")
    failed_dag = {
        "tutoring_daily_metrics": dag_status("tutoring_daily_metrics", at(2026, 3, 10, 12, 0), SPEC, None, failed_run)
    }
    down_and_failed = domain_status("tutoring", failed_dag, Freshness(False, error="tutoring_db: timeout"))
    assert down_and_failed["status"] == "unknown"  # what the API promises for an unreachable database
    assert "latest run scheduled__x failed" in down_and_failed["reason"]

    empty = domain_status(
        "tutoring",
        fresh_dags(),
        Freshness(True, {"latest_calculation_date": None}, ["tutoring.tutor_performance_metrics"]),
    )
    assert (empty["status"], empty["colour"]) == ("no_data", "amber")
    assert "tables not created yet: tutoring.tutor_performance_metrics" in empty["reason"]


def test_a_failed_reset_makes_discourse_red_with_its_reason_redacted():
    values = {
        "last_refresh_date": dt.date(2026, 1, 1),
        "live_version_id": 3,
        "last_reset_at": None,
        "reset_failed": True,
        "reset_failure_reason": "HTTP 500 from https://system:secret@forum.example/ for someone@example.com",
    }
    entry = domain_status("discourse", fresh_dags(), Freshness(True, values))
    assert (entry["status"], entry["colour"]) == ("failed", "red")
    assert "secret" not in entry["reason"]
    assert "someone@example.com" not in entry["reason"]
