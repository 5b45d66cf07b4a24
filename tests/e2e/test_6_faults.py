"""Phase 6: injected faults, each checked against a clean run ("nothing lost").

(a) SIGKILL of a writing task's process in the middle of its transaction → Airflow's retry.
(b) ``pg_terminate_backend`` of a writing task's warehouse session mid-transaction → Airflow's retry.
(c) the fake Discourse failing during a trimester reset → previous data served, ``reset_failed`` and
    its reason set, Slack alert; the fake fixed, the failed tasks cleared through REST → reset done.
(d) the Slack receiver down during a failing run → same outcome as with Slack up, a warning logged.
(e) the warehouse PostgreSQL restarted between two runs → the next run succeeds.

To catch a writer in the middle of its transaction, a session holds a lock on a table the writer
touches *after* it has changed its rows (``EXCLUSIVE`` mode: readers still read, writers wait). Then
(a)/(b) check twice: right after the fault, before the retry can finish, the tables must still equal the
clean run (readers never see half a write); after the retry, again.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e import plan
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


@contextmanager
def writers_blocked(suite, table: str):
    """Hold ``LOCK TABLE … IN EXCLUSIVE MODE`` on ``table`` until the block ends (rolled back)."""
    lock = suite.connect(autocommit=False)
    try:
        lock.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield lock
    finally:
        lock.rollback()
        lock.close()


def waiting_backend(suite, pattern: str, timeout: float = 120) -> int:
    """The pid of the warehouse session that waits for our lock running a statement like ``pattern``."""

    def find():
        with suite.connect() as conn:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s"
                " AND pid <> pg_backend_pid()",
                (pattern,),
            ).fetchone()
        return row and row[0]

    return wait_until(find, timeout=timeout, interval=0.3, what=f"a session waiting on a lock for {pattern!r}")


def ti_of(suite, dag_id: str, run_id: str, task_id: str, map_index: int = -1):
    return suite.op.task_instance(dag_id, run_id, task_id, map_index)


def state(ti) -> str | None:
    return getattr(ti.state, "value", ti.state)


def wait_for_retry(suite, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> None:
    """Until the try that was hit is over: the instance is up for retry or already on a later try."""
    wait_until(
        lambda: (
            (ti := ti_of(suite, dag_id, run_id, task_id, map_index)).try_number > try_number
            or state(ti) in ("up_for_retry", "failed")
        ),
        timeout=120,
        what=f"{task_id} try {try_number} to end",
    )


def process_title(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()


def assert_healed_by_one_retry(suite, fault: str, domain: str, clean, during: list[str], ti, started: float) -> None:
    """The hit try left the tables as the clean run had them (``during``), and one retry finished the run
    with the same tables."""
    info = suite.op.wait(ti.dag_id, ti.dag_run_id)
    after = suite.differences(clean, suite.snapshot(domain))
    final = ti_of(suite, ti.dag_id, ti.dag_run_id, ti.task_id, ti.map_index)
    suite.figures.phase_seconds[f"6{fault}"] = time.monotonic() - started
    assert not during, "half a write was visible after the fault:\n" + "\n".join(during)
    assert info.state == "success", suite.op.task_states(info)
    assert final.try_number == ti.try_number + 1, "healed by exactly one Airflow retry"
    assert not after, "\n".join(after)
    suite.figures.faults[fault] = "healed"


def test_a_sigkill_of_the_task_process_mid_write_is_healed_by_the_retry(suite):
    started = time.monotonic()
    dag_id, task_id = "learning_daily_snapshots", "create_daily_snapshots"
    run_id = suite.dated_runs[dag_id]
    for other in suite.op.list_runs(dag_id):  # the only learning writer while the lock is held
        suite.op.wait(dag_id, other.run_id)
    clean = suite.snapshot("learning")
    suite.figures.faults["a SIGKILL task process"] = "NOT healed"
    # The snapshot transaction replaces the day's rows, then records the day in snapshot_runs: blocked there.
    with writers_blocked(suite, "learning.snapshot_runs"):
        suite.op.clear_run(dag_id, run_id)
        wait_until(lambda: state(ti_of(suite, dag_id, run_id, task_id)) == "running", 120, what="the task to run")
        waiting_backend(suite, "%snapshot_runs%")
        ti = ti_of(suite, dag_id, run_id, task_id)
        assert state(ti) == "running", f"{task_id}: {state(ti)}"
        assert ti.pid, "the API reports no pid for the running task"
        title = process_title(ti.pid)
        assert str(ti.id) in title, f"pid {ti.pid} is not the task process of {ti.id}: {title!r}"
        os.kill(ti.pid, signal.SIGKILL)
        wait_for_retry(suite, dag_id, run_id, task_id, -1, ti.try_number)
        during = suite.differences(clean, suite.snapshot("learning"))
    assert_healed_by_one_retry(suite, "a SIGKILL task process", "learning", clean, during, ti, started)


def test_b_a_terminated_warehouse_session_mid_transaction_is_healed_by_the_retry(suite):
    started = time.monotonic()
    dag_id = "softcollection_daily_distribution"
    task_id = plan.MAPPED_TASKS[dag_id]
    run_id = suite.dated_runs[dag_id]
    index = suite.map_indexes(dag_id, run_id, task_id)[0]
    clean = suite.snapshot("softcollection")
    suite.figures.faults["b pg_terminate_backend"] = "NOT healed"
    # write_campaign commits DSSB_APP, then replaces the campaign's SPSS rows: its SPSS session waits there.
    with writers_blocked(suite, "spss.sc_theory_users"):
        suite.op.clear_task(dag_id, run_id, task_id, index)
        backend = waiting_backend(suite, "%sc_theory_users%")
        ti = ti_of(suite, dag_id, run_id, task_id, index)
        with suite.connect() as conn:
            (terminated,) = conn.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone()
        assert terminated
        wait_for_retry(suite, dag_id, run_id, task_id, index, ti.try_number)
        during = suite.differences(clean, suite.snapshot("softcollection"))
    assert_healed_by_one_retry(suite, "b pg_terminate_backend", "softcollection", clean, during, ti, started)


STATUS = "discourse.system_status"


def system_status(suite) -> dict:
    with suite.connect() as conn:
        cur = conn.execute("SELECT reset_failed, reset_failure_reason, last_refresh_date FROM discourse.system_status")
        return dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))


def test_c_a_failing_discourse_during_a_reset_serves_the_previous_data_until_cleared(suite):
    started = time.monotonic()
    dag_id = "discourse_trimester_reset"
    fake = suite.runtime.services["discourse"]
    served = suite.snapshot("discourse")
    served_status = system_status(suite)
    first_course = fake.categories[0]["category_id"]
    suite.figures.faults["c Discourse failing in a reset"] = "NOT healed"
    texts_before = len(suite.slack_texts())
    fake.fail(103, "500", category_id=first_course)  # user actions of one course: HTTP 500 every time
    try:
        run_id = suite.trigger(dag_id, plan.RESET_AT.replace(hour=4, minute=0))  # the same reset date, later
        failed = suite.op.wait(dag_id, run_id, timeout=300)
        now = suite.snapshot("discourse")
        # what readers read: the views; the status row is checked on its own below
        during = suite.differences(
            {k: v for k, v in served.items() if k != STATUS}, {k: v for k, v in now.items() if k != STATUS}
        )
        status = system_status(suite)
        alerts = [t for t in suite.slack_texts()[texts_before:] if "previous data" in t and run_id in t]
    finally:
        fake.heal()
    assert failed.state == "failed", suite.op.task_states(failed)
    assert not during, "readers did not keep the previous data:\n" + "\n".join(during)
    assert status["reset_failed"] is True
    assert status["last_refresh_date"] == served_status["last_refresh_date"]
    assert "load_course_actions" in (status["reset_failure_reason"] or ""), status["reset_failure_reason"]
    assert alerts, "no 'reset failed, users are served the previous data' alert in Slack"

    cleared = suite.op.clear_failed(dag_id, run_id)
    healed = suite.op.wait(dag_id, run_id, timeout=300)
    suite.figures.cleared["failed"] += len(cleared)
    status = system_status(suite)
    now = suite.snapshot("discourse")
    # the live data was already refreshed past RESET_AT, so the reset rebuilds as of that later date
    # (state never moves back): the same data readers were served before the fault
    after = suite.differences(
        {k: v for k, v in served.items() if k != STATUS}, {k: v for k, v in now.items() if k != STATUS}
    )
    suite.figures.phase_seconds["6c Discourse failing"] = time.monotonic() - started
    assert healed.state == "success", suite.op.task_states(healed)
    assert status["reset_failed"] is False, status
    assert status["reset_failure_reason"] is None, status
    assert status["last_refresh_date"] == served_status["last_refresh_date"], status
    assert not after, "the healed reset differs from the data served before:\n" + "\n".join(after)
    suite.figures.faults["c Discourse failing in a reset"] = "healed"


BAD_RANGE = {"start_date": "2026-03-15", "end_date": "2026-03-01"}  # passes the schema; check_request refuses it


def slack_warnings_in_dag_processor_logs(suite) -> int:
    """How often the DAG-level failure callback logged that Slack could not be reached (it runs in the
    dag-processor, whose log names no run: the count before and after the run tells)."""
    logs = Path(suite.runtime.logs_dir) / "dag_processor"
    return sum(
        p.read_text(errors="replace").count("could not post to Slack connection")
        for p in logs.rglob("*")
        if p.is_file()
    )


def test_d_slack_down_during_a_failing_run_changes_nothing_but_a_logged_warning(suite):
    started = time.monotonic()
    dag_id = "productivity_recalculation"
    suite.figures.faults["d Slack down"] = "NOT healed"
    texts_before = len(suite.slack_texts())
    reference_id = suite.trigger(dag_id, None, BAD_RANGE)
    with_slack = suite.op.wait(dag_id, reference_id)
    wait_until(  # the task's alert and the run's (DAG-level callback, a moment after the run ends)
        lambda: any("DAG run failed" in t and reference_id in t for t in suite.slack_texts()[texts_before:]),
        timeout=60,
        what="the reference run's DAG-level alert",
    )
    alerts_with_slack = len(suite.slack_texts()) - texts_before
    warnings_before = slack_warnings_in_dag_processor_logs(suite)
    suite.runtime.receiver.go_down()
    try:
        run_id = suite.trigger(dag_id, None, BAD_RANGE)
        without_slack = suite.op.wait(dag_id, run_id)
        wait_until(
            lambda: slack_warnings_in_dag_processor_logs(suite) > warnings_before,
            timeout=60,
            what="the warning of the DAG-level callback",
        )
    finally:
        suite.runtime.receiver.come_back()
    run_dir = next(Path(suite.runtime.logs_dir).glob(f"dag_id={dag_id}/run_id={run_id}"))
    task_log = "\n".join(p.read_text(errors="replace") for p in run_dir.rglob("*.log"))
    suite.figures.phase_seconds["6d Slack down"] = time.monotonic() - started
    assert with_slack.state == without_slack.state == "failed"
    assert suite.op.task_states(with_slack) == suite.op.task_states(without_slack)
    assert alerts_with_slack >= 2, "the reference run sent no task and run alert: nothing was at stake"
    assert "Failed to run task callback" in task_log, "the task's failed Slack notifier is not in its log"
    suite.figures.faults["d Slack down"] = "healed"


def test_e_the_next_run_after_a_warehouse_restart_succeeds(suite):
    started = time.monotonic()
    suite.figures.faults["e warehouse restarted"] = "NOT healed"
    suite.wait_success("almanac_connection_check", suite.trigger("almanac_connection_check", None))
    clean = suite.snapshot("tutoring")
    suite.runtime.restart_warehouse()
    checked = suite.op.wait("almanac_connection_check", suite.trigger("almanac_connection_check", None))
    dag_id = "tutoring_daily_metrics"
    suite.op.clear_run(dag_id, suite.dated_runs[dag_id])
    rerun = suite.op.wait(dag_id, suite.dated_runs[dag_id])
    suite.figures.phase_seconds["6e warehouse restart"] = time.monotonic() - started
    assert checked.state == "success", suite.op.task_states(checked)
    assert rerun.state == "success", suite.op.task_states(rerun)
    suite.figures.faults["e warehouse restarted"] = "healed"  # both runs after the restart succeeded
    suite.assert_same(clean, suite.snapshot("tutoring"), "tutoring rerun after the warehouse restart")
