"""Phase 5: the learning slow-run deadline alert fires under the scheduler and triggerer.

The suite sets ``ALMANAC_SLOW_RUN_SECONDS`` (conftest) instead of 5 minutes. A session holds a lock on
``learning.performance_snapshots`` so the snapshot task waits inside its transaction: the run is slow.
The alert must land in the Slack receiver while the run is still running; released, the run succeeds.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e import plan
from tests.e2e.conftest import SLOW_RUN_SECONDS, wait_until

pytestmark = pytest.mark.e2e

SLOW_DAY = plan.at(2026, 3, 8)  # a day no other phase runs


def test_a_slow_learning_run_posts_the_deadline_alert_to_slack(suite):
    started = time.monotonic()
    dag_id = "learning_daily_snapshots"
    lock = suite.connect(autocommit=False)
    run_id = None
    try:
        lock.execute("LOCK TABLE learning.performance_snapshots IN EXCLUSIVE MODE")
        run_id = suite.trigger(dag_id, SLOW_DAY)
        text = wait_until(
            lambda: next((t for t in suite.slack_texts() if ":hourglass:" in t and run_id in t), None),
            timeout=SLOW_RUN_SECONDS + 90,
            interval=1,
            what="the slow-run alert in the Slack receiver",
        )
        alerted_after = time.monotonic() - started
        state_when_alerted = suite.op.run(dag_id, run_id).state
    finally:
        lock.rollback()
        lock.close()
        if run_id:  # never leave a run behind for the next phase, even when the alert did not come
            info = suite.op.wait(dag_id, run_id)
    assert info.state == "success", suite.op.task_states(info)
    suite.figures.phase_seconds["5 slow-run alert"] = time.monotonic() - started
    assert state_when_alerted == "running", "the alert must come while the run is still going"
    assert f"{SLOW_RUN_SECONDS} seconds after it was queued" in text
    assert alerted_after >= SLOW_RUN_SECONDS - 1, f"alert after {alerted_after:.0f}s, before the deadline"
