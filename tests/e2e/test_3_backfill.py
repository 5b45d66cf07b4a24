"""Phase 3: a backfill through the REST backfill endpoint writes what the same days' daily runs write.

For each backfill of ``plan``: first one dated run per day (REST triggers at the cron times, as the
scheduler would have made them); their rows are the reference. The runs are deleted (REST) and their
rows too, so the backfill has to create every run and every row itself; then the backfill, whose runs
(one per day, run type backfill) must all succeed and write exactly the reference rows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e import plan
from tests.e2e.conftest import Table, wait_until

pytestmark = pytest.mark.e2e

BACKFILLS = [plan.LEARNING_BACKFILL, plan.TUTORING_BACKFILL]


def days_of(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def rows_for(suite, dag_id: str, logical_dates: list[dt.datetime]) -> dict[str, Table]:
    table, column, offset = plan.BACKFILL_ROWS[dag_id]
    dates = [(d + dt.timedelta(days=offset)).date() for d in logical_dates]
    with suite.connect() as conn:
        cur = conn.execute(f"SELECT * FROM {table} WHERE {column} = ANY(%s)", (dates,))
        rows = Counter(tuple(str(v) for v in row) for row in cur.fetchall())
        return {table: Table(tuple(d.name for d in cur.description), rows)}


def delete_rows(suite, dag_id: str, logical_dates: list[dt.datetime]) -> None:
    table, column, offset = plan.BACKFILL_ROWS[dag_id]
    dates = [(d + dt.timedelta(days=offset)).date() for d in logical_dates]
    with suite.connect() as conn:
        conn.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (dates,))
        if dag_id == "learning_daily_snapshots":  # what the weekly DAG's sensor reads
            conn.execute("DELETE FROM learning.snapshot_runs WHERE snapshot_date = ANY(%s)", (dates,))


def backfill_and_compare(suite, dag_id: str, start: dt.datetime, end: dt.datetime, conf: dict) -> dict:
    days = days_of(start, end)
    daily = [suite.trigger(dag_id, day, conf) for day in days]
    for run_id in daily:
        suite.wait_success(dag_id, run_id, timeout=300)
    reference = rows_for(suite, dag_id, days)
    for run_id in daily:
        suite.op.runs.delete_dag_run(dag_id, run_id)
    delete_rows(suite, dag_id, days)
    backfill_id = suite.op.backfill(dag_id, start, end, conf)
    wait_until(lambda: suite.op.backfill_done(backfill_id), timeout=600, interval=2, what=f"backfill {backfill_id}")
    runs = [r for r in suite.op.list_runs(dag_id) if r.run_type == "backfill"]
    suite.figures.backfilled_days[dag_id] += sum(1 for r in runs if r.state == "success")
    return {"reference": reference, "backfilled": rows_for(suite, dag_id, days), "runs": runs, "days": days}


@pytest.fixture(scope="module")
def results(suite) -> dict[str, dict]:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(BACKFILLS)) as pool:
        done = {
            b[0]: r
            for b, r in zip(BACKFILLS, pool.map(lambda b: backfill_and_compare(suite, *b), BACKFILLS), strict=True)
        }
    suite.figures.phase_seconds["3 backfill vs daily runs"] = time.monotonic() - started
    return done


@pytest.mark.parametrize("dag_id", [b[0] for b in BACKFILLS])
def test_a_backfill_equals_the_daily_runs(suite, results, dag_id):
    result = results[dag_id]
    runs = result["runs"]
    assert sorted(r.logical_date for r in runs) == result["days"], "one backfill run per day, no more, no less"
    assert all(r.state == "success" for r in runs), [(r.run_id, r.state) for r in runs]
    assert all(t.count for t in result["reference"].values()), "the daily runs wrote nothing: a vacuous comparison"
    suite.assert_same(result["reference"], result["backfilled"], f"{dag_id}: the backfill differs from the daily runs")
