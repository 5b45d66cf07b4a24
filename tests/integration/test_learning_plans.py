"""The plan of the weekly recommendations' INSERT when the statistics call its own table empty.

Each written row is active unless the student already has a later week. Written as a NOT EXISTS per row,
that check became, with statistics from an ANALYZE of the still-empty table (a database-wide ANALYZE
before the first week, as after a restore or an upgrade), a sequential scan of
``adaptive_recommendations`` per written row, over the pages the statement itself was filling:
quadratic in the rows (91 s instead of 6 s for 100,000 students). The students with later weeks are now
a set the statement reads once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from almanac.calendar import start_of_day
from almanac.db import read_sql, split_statements
from almanac.learning import tasks
from tests.support.plans import explain, plan_nodes

pytestmark = pytest.mark.integration

W = dt.date(2026, 3, 16)  # a Monday


def table_reads(plan: dict, table: str) -> list[tuple[str, int]]:
    """(node type, actual loops) of every node of a JSON plan that reads ``table``."""
    return [
        (node["Node Type"], node["Actual Loops"]) for node in plan_nodes(plan) if node.get("Relation Name") == table
    ]


def test_the_first_week_reads_its_own_table_once_when_statistics_call_it_empty(warehouse):
    from almanac.demo.learning_data import generate

    day = W - dt.timedelta(days=1)
    day_start, day_end = tasks.day_bounds(day)
    snapshot = {"day": day, "day_start": day_start, "day_end": day_end, "created_at": day_end}
    week_end = start_of_day(W)
    week = {"week_start": W, "window_start": week_end - dt.timedelta(days=7), "window_end": week_end}
    delete, insert, _ = split_statements(read_sql("almanac.learning", "recommendations.sql"))
    with warehouse.connect() as conn:  # one transaction, rolled back: the other tests' tables stay as they were
        conn.execute("TRUNCATE learning.adaptive_recommendations, learning.performance_snapshots")
        generate(conn, students=300, days=30)
        conn.execute(read_sql("almanac.learning", "snapshot_excluded.sql"), snapshot)
        conn.execute(read_sql("almanac.learning", "snapshot_insert.sql"), snapshot)
        conn.execute("ANALYZE learning.performance_snapshots, learning.adaptive_recommendations")
        conn.execute(delete, week)
        plan = explain(conn, insert, {**week, "created_at": week_end}, analyze=True)
        conn.rollback()
    written = plan["Plans"][0]["Actual Rows"]
    assert written > 100  # enough rows that a per-row read would show
    reads = table_reads(plan, "adaptive_recommendations")
    assert reads, "the statement reads its own table for the later weeks"
    assert all(loops == 1 for _, loops in reads), reads
