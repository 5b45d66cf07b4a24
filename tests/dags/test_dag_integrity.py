"""DAG integrity, in the style of Airflow's own example-DAG tests.

Every DAG: imports cleanly; carries a domain tag, the almanac owner and a doc_md for operators;
every task has retries >= 2 with exponential backoff, an execution_timeout and the Slack failure
notifier; the DAG has the DAG-level failure callback, max_active_runs=1 and catchup=False. The
DAG ids and schedules are those of docs/contracts.md#dags-and-schedules. Parsing dags/ touches no connection or Variable and
issues no metadata-DB query.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from almanac.dag_defaults import DOMAIN_TAGS, OWNER
from almanac.demo.embedded import PROJECT_ROOT
from almanac.notify import TaskFailureNotifier, on_dag_failure

#: docs/contracts.md#dags-and-schedules: dag_id → (cron, timezone). None = manual only.
EXPECTED_SCHEDULES = {
    "discourse_daily_refresh": ("15 3 * * *", "UTC"),
    "discourse_trimester_reset": ("30 3 1 1,5,9 *", "UTC"),
    "learning_daily_snapshots": ("0 0 * * *", "UTC"),
    "learning_weekly_recommendations": ("0 6 * * 1", "UTC"),
    "softcollection_daily_distribution": ("0 9 * * *", "Asia/Almaty"),
    "productivity_recalculation": ("0 6 * * *", "America/Chicago"),
    "tutoring_daily_metrics": ("0 2 * * *", "UTC"),
    "almanac_connection_check": (None, None),
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


@pytest.fixture(scope="module")
def parse_report():
    """Parse dags/ in a fresh interpreter with connection and Variable look-ups made to raise."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.parse_dags"],
        cwd=PROJECT_ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _dags(dagbag):
    return [dagbag.get_dag(dag_id) for dag_id in sorted(dagbag.dag_ids)]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_the_designed_dags_exist(dagbag):
    assert set(dagbag.dag_ids) == set(EXPECTED_SCHEDULES)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_SCHEDULES))
def test_schedule_and_timezone_match_design(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    if dag is None:
        pytest.fail(f"{dag_id} is missing")
    cron, tz = EXPECTED_SCHEDULES[dag_id]
    timetable = dag.timetable
    if cron is None:
        assert dag.schedule is None
        return
    assert timetable.expression == cron
    assert str(getattr(timetable.timezone, "name", timetable.timezone)) == tz


def test_dag_level_settings(dagbag):
    for dag in _dags(dagbag):
        assert DOMAIN_TAGS.intersection(dag.tags), f"{dag.dag_id}: no domain tag in {dag.tags}"
        assert dag.doc_md, f"{dag.dag_id}: no doc_md"
        assert len(dag.doc_md.strip()) > 80, f"{dag.dag_id}: doc_md too thin for an operator"
        assert dag.max_active_runs == 1, dag.dag_id
        assert dag.catchup is False, dag.dag_id
        callbacks = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
        assert on_dag_failure in callbacks, f"{dag.dag_id}: no DAG-level Slack failure callback"


def test_every_task_has_retries_timeout_owner_and_slack_callback(dagbag):
    problems = []
    for dag in _dags(dagbag):
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            if task.owner != OWNER:
                problems.append(f"{where}: owner {task.owner!r}")
            if task.retries < 2:
                problems.append(f"{where}: retries {task.retries}")
            if not task.retry_exponential_backoff:
                problems.append(f"{where}: no exponential backoff")
            if task.execution_timeout is None:
                problems.append(f"{where}: no execution_timeout")
            callbacks = task.on_failure_callback or []
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            if not any(isinstance(cb, TaskFailureNotifier) for cb in callbacks):
                problems.append(f"{where}: no Slack failure notifier")
    assert problems == []


def test_task_ids_are_snake_case(dagbag):
    for dag in _dags(dagbag):
        for task_id in dag.task_ids:
            leaf = task_id.split(".")[-1]
            assert re.fullmatch(r"[a-z][a-z0-9_]*", leaf), f"{dag.dag_id}.{task_id}"


def test_parsing_touches_no_connection_variable_or_metadata_db(parse_report, capsys):
    # The parse time is a figure to read in the output (make test prints it), not a timed assert.
    with capsys.disabled():
        print(
            f"\n[dag integrity] dags/ parsed in {parse_report['parse_seconds']:.3f} s "
            f"({len(parse_report['dag_ids'])} DAGs)"
        )
    assert parse_report["import_errors"] == {}
    assert parse_report["get_connection"] == 0
    assert parse_report["variable_get"] == 0
    assert parse_report["metadata_queries"] == []
    assert set(parse_report["dag_ids"]) == set(EXPECTED_SCHEDULES)


@pytest.mark.parametrize("dag_file", ["discourse_daily_refresh", "softcollection_daily_distribution"])
def test_branch_targets_are_the_branch_tasks_own_downstream_tasks(dagbag, dag_file):
    """A renamed task must fail here, not in a run: every decision the domain code can return maps to a
    task that exists and follows the branch directly, and every such task is reachable."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_{dag_file}", PROJECT_ROOT / "dags" / f"{dag_file}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = dagbag.get_dag(dag_file)
    branch = dag.get_task("choose_path")
    assert set(module.BRANCH_TARGETS.values()) == branch.downstream_task_ids
    decisions = {type(k) for k in module.BRANCH_TARGETS}
    if decisions == {bool}:
        assert set(module.BRANCH_TARGETS) == {True, False}
    else:
        (enum_type,) = decisions
        assert set(module.BRANCH_TARGETS) == set(enum_type)
