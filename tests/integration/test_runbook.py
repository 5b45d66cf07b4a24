"""docs/runbook.md's REST procedures, run as written against a real ``airflow api-server``.

Each ```bash block marked ``<!-- test: name -->`` in the runbook runs here with bash, with ``AIRFLOW``
pointing at the server (and ``DAG_ID`` / ``RUN_ID`` where the block names a run). The server has the
DAGs parsed into its metadata DB but no scheduler: this proves every call is accepted and creates or
changes the runs as the runbook says; running them to the end is what the DAGs' own tests do.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from almanac.demo.embedded import PROJECT_ROOT
from tests.support.api_server import ApiServer, sync_dags_to_metadata

pytestmark = pytest.mark.integration

RUNBOOK = PROJECT_ROOT / "docs" / "runbook.md"
_BLOCK = re.compile(r"<!-- test: (?P<name>\w+) -->\s*```bash\n(?P<code>.*?)```", re.S)


def blocks() -> dict[str, str]:
    return {m["name"]: m["code"] for m in _BLOCK.finditer(RUNBOOK.read_text())}


def test_every_marked_block_is_run_by_this_module():
    assert set(blocks()) == {
        "token",
        "status",
        "trigger_reset",
        "preview_distribution",
        "recalculate_range",
        "cancel_run",
        "resume_run",
        "backfill",
    }


@pytest.fixture(scope="module")
def api(warehouse, tmp_path_factory):
    sync_dags_to_metadata()
    server = ApiServer(tmp_path_factory.mktemp("runbook-api-server")).start()
    yield server
    server.stop()
    _forget_what_the_runbook_created()


def _forget_what_the_runbook_created() -> None:
    """The runs and the backfill stay queued (no scheduler); drop them so later DAG tests start clean."""
    from airflow.models.backfill import Backfill, BackfillDagRun
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        backfills = [b.id for b in session.query(Backfill).filter(Backfill.dag_id == "tutoring_daily_metrics")]
        session.query(BackfillDagRun).filter(BackfillDagRun.backfill_id.in_(backfills)).delete()
        for run in session.query(DagRun).filter(
            (DagRun.backfill_id.in_(backfills)) | (DagRun.triggered_by == "rest_api")
        ):
            session.delete(run)
        session.flush()
        session.query(Backfill).filter(Backfill.id.in_(backfills)).delete()
        session.query(DagModel).filter(DagModel.dag_id == "discourse_trimester_reset").update({"is_paused": True})


def run_block(api: ApiServer, name: str, **env: str) -> list:
    """Run the runbook's block ``name``; returns the JSON documents it printed, in order."""
    code = blocks()[name]
    if name == "token":
        code += '\necho "{\\"token\\": \\"$TOKEN\\"}"'
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        env={"PATH": "/usr/bin:/bin", "AIRFLOW": api.url, "TOKEN": env.pop("TOKEN", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, (name, result.stdout, result.stderr)
    decoder, text, documents = json.JSONDecoder(), result.stdout.strip(), []
    while text:
        document, end = decoder.raw_decode(text)
        documents.append(document)
        text = text[end:].strip()
    return documents


@pytest.fixture(scope="module")
def token(api):
    (answer,) = run_block(api, "token")
    assert answer["token"].count(".") == 2  # a JWT
    return answer["token"]


def test_status(api, token):
    (status,) = run_block(api, "status", TOKEN=token)
    assert set(status["domains"]) == {"discourse", "learning", "softcollection", "productivity", "tutoring"}
    assert isinstance(status["reset_failed"], bool)


def test_trigger_the_reset_now(api, token):
    dag, run = run_block(api, "trigger_reset", TOKEN=token)
    assert dag["is_paused"] is False
    assert (run["dag_id"], run["logical_date"], run["state"]) == ("discourse_trimester_reset", None, "queued")
    status, body = api.request(
        "POST",
        "/api/v2/dags/discourse_trimester_reset/dagRuns",
        token=token,
        body={"logical_date": None, "conf": {"reset_date": "not-a-date"}},
    )
    assert status == 400, body
    assert "reset_date" in json.dumps(body)


def test_preview_the_distribution(api, token):
    (run,) = run_block(api, "preview_distribution", TOKEN=token)
    assert run["dag_run_id"] == "preview__2026-03-10"
    assert run["conf"] == {"dry_run": True}
    assert run["logical_date"].startswith("2026-03-10T04:00:00")


def test_recalculate_a_range_then_cancel_and_resume_it(api, token):
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    (run,) = run_block(api, "recalculate_range", TOKEN=token)
    assert run["conf"]["start_date"] == "2026-03-01"
    assert run["state"] == "queued"
    names = {"DAG_ID": "productivity_recalculation", "RUN_ID": run["dag_run_id"], "TOKEN": token}

    (cancelled,) = run_block(api, "cancel_run", **names)
    assert cancelled["state"] == "failed"

    with create_session() as session:  # as if check_request had failed before the cancel
        session.query(TaskInstance).filter_by(
            dag_id="productivity_recalculation", run_id=run["dag_run_id"], task_id="check_request"
        ).update({"state": TaskInstanceState.FAILED})
    (cleared,) = run_block(api, "resume_run", **names)
    assert "check_request" in {ti["task_id"] for ti in cleared["task_instances"]}
    _, after = api.request("GET", f"/api/v2/dags/productivity_recalculation/dagRuns/{run['dag_run_id']}", token=token)
    assert after["state"] == "queued"  # back to the scheduler


def test_backfill_missed_days(api, token):
    (backfill,) = run_block(api, "backfill", TOKEN=token)
    assert backfill["dag_id"] == "tutoring_daily_metrics"
    status, runs = api.request("GET", "/api/v2/dags/tutoring_daily_metrics/dagRuns?run_type=backfill", token=token)
    assert status == 200
    dates = sorted(r["logical_date"][:10] for r in runs["dag_runs"] if r["run_type"] == "backfill")
    assert dates == ["2026-03-01", "2026-03-02", "2026-03-03"]
