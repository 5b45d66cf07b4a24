from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from almanac.calendar import (
    Trimester,
    business_date,
    is_trimester_start,
    reset_trimesters,
    run_reference_time,
    start_of_day,
    week_start,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 1), "t1-2026"),
        (dt.date(2026, 4, 30), "t1-2026"),
        (dt.date(2026, 5, 1), "t2-2026"),
        (dt.date(2026, 8, 31), "t2-2026"),
        (dt.date(2026, 9, 1), "t3-2026"),
        (dt.date(2026, 12, 31), "t3-2026"),
    ],
)
def test_trimester_containing(day, expected):
    assert Trimester.containing(day).id == expected


def test_trimester_bounds_are_half_open():
    t1 = Trimester(2026, 1)
    assert (t1.start, t1.end) == (dt.date(2026, 1, 1), dt.date(2026, 5, 1))
    t3 = Trimester(2025, 3)
    assert (t3.start, t3.end) == (dt.date(2025, 9, 1), dt.date(2026, 1, 1))


def test_reset_on_new_year_wraps_to_the_previous_year():
    assert [t.id for t in reset_trimesters(dt.date(2026, 1, 1))] == ["t1-2026", "t3-2025", "t2-2025"]
    assert [t.id for t in reset_trimesters(dt.date(2026, 5, 1))] == ["t2-2026", "t1-2026", "t3-2025"]
    assert [t.id for t in reset_trimesters(dt.date(2026, 9, 1))] == ["t3-2026", "t2-2026", "t1-2026"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 1), True),
        (dt.date(2026, 5, 1), True),
        (dt.date(2026, 9, 1), True),
        (dt.date(2026, 4, 30), False),
        (dt.date(2026, 12, 31), False),
        (dt.date(2026, 1, 2), False),
        (dt.date(2026, 3, 1), False),
    ],
)
def test_is_trimester_start(day, expected):
    assert is_trimester_start(day) is expected


def test_parse_is_the_inverse_of_id():
    for t in reset_trimesters(dt.date(2026, 1, 1)):
        assert Trimester.parse(t.id) == t
    with pytest.raises(ValueError, match="trimester number"):
        Trimester(2026, 4)


def test_business_date_uses_data_interval_end_in_the_given_timezone():
    # 2026-03-14 20:00 UTC is already 2026-03-15 in Almaty (UTC+5) and still the 14th in Chicago.
    context = {"data_interval_end": dt.datetime(2026, 3, 14, 20, 0, tzinfo=UTC)}
    assert business_date(context) == dt.date(2026, 3, 14)
    assert business_date(context, tz="Asia/Almaty") == dt.date(2026, 3, 15)
    assert business_date(context, tz="America/Chicago") == dt.date(2026, 3, 14)
    assert business_date(context, days_before=1) == dt.date(2026, 3, 13)


def test_runs_without_logical_date_fall_back_to_run_after():
    # Airflow 3 runs triggered with "logical_date": null have no data_interval_* keys at all.
    run_after = dt.datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    context = {"dag_run": SimpleNamespace(run_after=run_after)}
    assert run_reference_time(context) == run_after
    assert business_date(context) == dt.date(2026, 7, 1)


def test_week_start_is_monday():
    assert week_start(dt.date(2026, 11, 22)) == dt.date(2026, 11, 16)  # a Sunday
    assert week_start(dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)


def test_a_date_param_overrides_the_run_date_when_asked():
    context = {"data_interval_end": dt.datetime(2026, 3, 15, 2, tzinfo=UTC), "params": {"date": "2026-01-31"}}
    assert business_date(context, override_param="date") == dt.date(2026, 1, 31)
    assert business_date(context) == dt.date(2026, 3, 15)
    assert business_date({**context, "params": {"date": None}}, override_param="date") == dt.date(2026, 3, 15)


def test_a_date_param_after_the_runs_own_date_is_refused_naming_the_param():
    from airflow.sdk.exceptions import AirflowFailException

    # 2026-03-15 02:00 UTC: the run's own date is the 15th in UTC and still the 14th in Chicago
    context = {"data_interval_end": dt.datetime(2026, 3, 15, 2, tzinfo=UTC), "params": {"date": "2026-03-15"}}
    assert business_date(context, override_param="date") == dt.date(2026, 3, 15)  # its own date is fine
    with pytest.raises(AirflowFailException, match=r"^date: 2026-03-15 is after this run's own date 2026-03-14"):
        business_date(context, tz="America/Chicago", override_param="date")
    later = {**context, "params": {"reset_date": "2062-03-15"}}
    with pytest.raises(AirflowFailException, match=r"^reset_date: 2062-03-15 is after this run's own date 2026-03-15"):
        business_date(later, override_param="reset_date")


def test_start_of_day_is_local_midnight_across_a_dst_change():
    # 2026-03-08: Chicago moves from CST (-06:00) to CDT (-05:00) at 02:00, so that day has 23 hours
    start = start_of_day(dt.date(2026, 3, 8), "America/Chicago")
    end = start_of_day(dt.date(2026, 3, 9), "America/Chicago")
    assert start.astimezone(UTC) == dt.datetime(2026, 3, 8, 6, tzinfo=UTC)
    assert end.astimezone(UTC) == dt.datetime(2026, 3, 9, 5, tzinfo=UTC)
    assert start_of_day(dt.date(2026, 3, 8)) == dt.datetime(2026, 3, 8, tzinfo=UTC)
