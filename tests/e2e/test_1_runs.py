"""Phase 1: every DAG unpaused, triggered once without and once with a logical date, and successful.

The domains run side by side (one thread each, as several operators would); inside a domain the runs
go in the order of ``plan.domain_scripts()``. The domain's tables are snapshotted after its last run:
later phases compare against these snapshots.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e import plan
from tests.e2e.conftest import sql_seconds, statement_durations

pytestmark = pytest.mark.e2e


def test_every_dag_is_parsed_and_unpaused(suite):
    expected = {t.dag_id for script in plan.domain_scripts().values() for t in script}
    found = set(suite.op.wait_for_dags(len(expected)))
    assert expected <= found, f"not parsed by the dag-processor: {sorted(expected - found)}"
    for dag_id in sorted(found):
        suite.op.unpause(dag_id)
        tags = suite.op.tags(dag_id)
        suite.domain_of[dag_id] = next(t for t in tags if t in {*plan.warehouse.DOMAINS, "platform"})
    assert all(not d.is_paused for d in suite.op.dags.get_dags(limit=100).dags)


def _run_script(suite, domain: str, script: list[plan.Trigger]) -> list[tuple]:
    done = []
    for trigger in script:
        run_id = suite.trigger(trigger.dag_id, trigger.logical_date, trigger.conf)
        info = suite.op.wait(trigger.dag_id, run_id, timeout=300)
        done.append((trigger, run_id, info))
        if info.state != "success":
            break  # the next runs of the domain depend on this one
        if trigger.logical_date is not None:
            suite.runs_by_date[(trigger.dag_id, trigger.logical_date)] = run_id
            suite.dated_runs[trigger.dag_id] = run_id
        if trigger.snapshot:
            suite.snapshots[f"{domain}:{trigger.snapshot}"] = suite.snapshot(domain)
    return done


def test_every_dag_succeeds_with_and_without_a_logical_date(suite):
    started = time.monotonic()
    with suite.connect() as conn:
        (active_before,) = conn.execute(
            "SELECT active_time FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    scripts = plan.domain_scripts()
    with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
        results = dict(zip(scripts, pool.map(lambda item: _run_script(suite, *item), scripts.items()), strict=True))
    failures = []
    statements = statement_durations(suite.runtime.warehouse_pg.log_file)
    for domain, done in results.items():
        for trigger, _run_id, info in done:
            when = trigger.logical_date.isoformat() if trigger.logical_date else "no logical date"
            if info.state != "success":
                failures.append(f"{trigger.dag_id} ({when}) {info.state}: {suite.op.task_states(info)}")
            suite.figures.run_times.append(
                (
                    trigger.dag_id,
                    trigger.logical_date,
                    info.wall_seconds or 0.0,
                    suite.task_seconds(info.dag_id, info.run_id),
                    sql_seconds(statements, domain, info.start_date, info.end_date),
                )
            )
        suite.snapshots[domain] = suite.snapshot(domain) if domain != "platform" else {}
    with suite.connect() as conn:
        (active_after,) = conn.execute(
            "SELECT active_time FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    suite.figures.warehouse_sql_seconds = (active_after - active_before) / 1000
    suite.figures.phase_seconds["1 trigger every DAG twice"] = time.monotonic() - started
    assert not failures, "\n".join(failures)


def test_runs_without_a_logical_date_have_none(suite):
    for dag_id in sorted(suite.dated_runs):
        runs = suite.op.list_runs(dag_id)
        assert any(r.logical_date is None for r in runs), f"{dag_id}: no run without a logical date"
        assert any(r.logical_date is not None for r in runs), f"{dag_id}: no run with a logical date"


@pytest.mark.parametrize(
    ("domain", "table"),
    [
        ("discourse", "discourse.user_metrics"),
        ("learning", "learning.performance_snapshots"),
        ("learning", "learning.adaptive_recommendations"),
        ("softcollection", "dssb_app.sc_local_target"),
        ("productivity", "productivity.daily_scores"),
        ("tutoring", "tutoring.tutor_performance_metrics"),
    ],
)
def test_the_dated_runs_wrote_rows(suite, domain, table):
    """A snapshot of empty tables would make every later comparison vacuous."""
    assert suite.snapshots[domain][table].count > 0, f"{table} is empty after the dated run"
