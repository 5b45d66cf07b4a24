"""The plans of productivity's per-employee lookups into activity_logs, on logs stored the way a warehouse
stores them: in time order, appended as people work.

With the table in time order, the (window_start) index is perfectly correlated with the heap and the
(employee_id, window_start) index is not, so the planner once read each shift's windows from the first
one, filtering ~15K other employees' rows per shift (`employee_primary_roles` 1.6 s instead of 0.16 s
over a year of logs). The lookups now state their range as row comparisons, which only the
(employee_id, window_start) index can serve.
"""

from __future__ import annotations

import datetime as dt

import pytest

from almanac.calendar import start_of_day
from almanac.db import read_sql
from tests.support.plans import explain, plan_nodes

pytestmark = pytest.mark.integration

END_DATE = dt.date(2026, 3, 15)
LOOKUPS = ("primary_roles.sql", "current_status.sql")


@pytest.fixture(scope="module")
def time_ordered_logs(warehouse):
    from almanac.demo.productivity_data import generate

    with warehouse.connect() as conn:
        generate(conn, employees=20, days=30, end_date=END_DATE + dt.timedelta(days=1))
        (correlation,) = conn.execute(
            "SELECT corr(ordinality, extract(epoch FROM window_start)) FROM ("
            " SELECT window_start, row_number() OVER (ORDER BY ctid) AS ordinality FROM productivity.activity_logs) t"
        ).fetchone()
        conn.commit()
    with warehouse.connect(autocommit=True) as conn:
        conn.execute("ANALYZE productivity.activity_logs, productivity.clock_times, productivity.employees")
    return correlation


def activity_log_scans(plan: dict) -> list[str]:
    """How a JSON plan reaches activity_logs: each index it scans, or "Seq Scan"."""
    scans = []
    for node in plan_nodes(plan):
        if node.get("Index Name", "").startswith("activity_logs"):
            scans.append(node["Index Name"])
        elif node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "activity_logs":
            scans.append("Seq Scan")
    return scans


@pytest.mark.parametrize("statement", LOOKUPS)
def test_per_employee_lookups_use_the_employee_index_on_time_ordered_logs(warehouse, time_ordered_logs, statement):
    assert time_ordered_logs > 0.99  # the demo stores its logs in time order, as a warehouse does
    params = {"end_date": END_DATE, "as_of": start_of_day(END_DATE + dt.timedelta(days=1), "America/Chicago")}
    with warehouse.connect() as conn:
        plan = explain(conn, read_sql("almanac.productivity", statement), params)
        conn.rollback()
    scans = activity_log_scans(plan)
    assert scans, "the statement reads activity_logs"
    assert set(scans) == {"activity_logs_employee_start_idx"}, scans
