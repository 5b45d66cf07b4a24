"""What an operator's script does with almanac, through Airflow's REST API and the official client only.

Every call goes through ``apache-airflow-client`` (pinned in requirements): unpause, trigger (with a
logical date, or without one as the UI's "trigger now" does), wait, list task instances, clear a task
instance or a whole run, backfill, read XCom. Nothing here touches Airflow's database or imports Airflow.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import airflow_client.client as af
from airflow_client.client.exceptions import ApiException

FINISHED = {"success", "failed"}


@dataclass
class RunInfo:
    dag_id: str
    run_id: str
    state: str
    logical_date: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    run_type: str

    @property
    def wall_seconds(self) -> float | None:
        if self.start_date and self.end_date:
            return (self.end_date - self.start_date).total_seconds()
        return None


def _state(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", str(value))


class Operator:
    """A logged-in REST client for one Airflow api-server."""

    def __init__(self, url: str, username: str = "admin", password: str = "admin") -> None:
        self.url = url
        request = urllib.request.Request(
            f"{url}/auth/token",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            token = json.load(resp)["access_token"]
        config = af.Configuration(host=url)
        config.access_token = token
        self.client = af.ApiClient(config)
        self.dags = af.DAGApi(self.client)
        self.runs = af.DagRunApi(self.client)
        self.tis = af.TaskInstanceApi(self.client)
        self.backfills = af.BackfillApi(self.client)
        self.xcoms = af.XComApi(self.client)

    # --- DAGs --------------------------------------------------------------------------------------

    def dag_ids(self) -> list[str]:
        return sorted(d.dag_id for d in self.dags.get_dags(limit=100).dags)

    def tags(self, dag_id: str) -> list[str]:
        return [t.name for t in self.dags.get_dag(dag_id).tags]

    def unpause(self, dag_id: str) -> None:
        self.dags.patch_dag(dag_id, af.DAGPatchBody(is_paused=False))

    def wait_for_dags(self, expected: int, timeout: float = 120) -> list[str]:
        """The DAG ids once the dag-processor has serialized at least ``expected`` DAGs."""
        deadline = time.monotonic() + timeout
        while True:
            ids = self.dag_ids()
            if len(ids) >= expected or time.monotonic() > deadline:
                return ids
            time.sleep(2)

    # --- runs --------------------------------------------------------------------------------------

    def trigger(
        self, dag_id: str, logical_date: dt.datetime | None, conf: dict | None = None, run_id: str | None = None
    ) -> str:
        """Trigger a run; ``logical_date=None`` sends ``"logical_date": null`` (the UI's "trigger now")."""
        body = af.TriggerDAGRunPostBody(logical_date=logical_date, conf=conf or {}, dag_run_id=run_id)
        return self.runs.trigger_dag_run(dag_id, body).dag_run_id

    def trigger_raw(self, dag_id: str, body: dict) -> tuple[int, str]:
        """POST a trigger body as given (for invalid conf): (HTTP status, response body)."""
        try:
            response = self.runs.trigger_dag_run_with_http_info(dag_id, af.TriggerDAGRunPostBody.from_dict(body))
            return response.status_code, ""
        except ApiException as exc:
            return exc.status, exc.body if isinstance(exc.body, str) else str(exc.body)

    def run(self, dag_id: str, run_id: str) -> RunInfo:
        r = self.runs.get_dag_run(dag_id, run_id)
        return RunInfo(
            dag_id, run_id, _state(r.state), r.logical_date, r.start_date, r.end_date, _state(r.run_type) or ""
        )

    def list_runs(self, dag_id: str) -> list[RunInfo]:
        runs = self.runs.get_dag_runs(dag_id, limit=100).dag_runs
        return [
            RunInfo(dag_id, r.dag_run_id, _state(r.state), r.logical_date, r.start_date, r.end_date, _state(r.run_type))
            for r in runs
        ]

    def wait(self, dag_id: str, run_id: str, timeout: float = 300, states: set[str] = FINISHED) -> RunInfo:
        """Poll until the run reaches one of ``states``; raises TimeoutError with the task states otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.run(dag_id, run_id)
            if info.state in states:
                return info
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} {run_id} still {info.state} after {timeout}s: {self.task_states(info)}")
            time.sleep(1)

    def task_instances(self, dag_id: str, run_id: str) -> list:
        return self.tis.get_task_instances(dag_id, run_id, limit=1000).task_instances

    def task_states(self, run: RunInfo) -> dict[str, str]:
        return {
            ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": _state(ti.state)
            for ti in self.task_instances(run.dag_id, run.run_id)
        }

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1):
        if map_index < 0:
            return self.tis.get_task_instance(dag_id, run_id, task_id)
        return self.tis.get_mapped_task_instance(dag_id, run_id, task_id, map_index)

    # --- clear -------------------------------------------------------------------------------------

    def clear_task(self, dag_id: str, run_id: str, task_id: str, map_index: int | None = None) -> list[str]:
        """Clear one task (one mapped index if given) and its downstream, as the UI's Clear does."""
        target = [task_id, map_index] if map_index is not None else task_id
        body = af.ClearTaskInstancesBody(
            dry_run=False,
            dag_run_id=run_id,
            task_ids=[af.ClearTaskInstancesBodyTaskIdsInner(target)],
            include_downstream=True,
            only_failed=False,
            reset_dag_runs=True,
        )
        cleared = self.tis.post_clear_task_instances(dag_id, body).task_instances
        return [ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]" for ti in cleared]

    def clear_failed(self, dag_id: str, run_id: str) -> list[str]:
        """Clear the failed (and upstream-failed) tasks of a run with their downstream: "resume"."""
        body = af.ClearTaskInstancesBody(
            dry_run=False, dag_run_id=run_id, include_downstream=True, only_failed=True, reset_dag_runs=True
        )
        cleared = self.tis.post_clear_task_instances(dag_id, body).task_instances
        return [ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]" for ti in cleared]

    def clear_run(self, dag_id: str, run_id: str) -> None:
        """Clear a whole run (the UI's "Clear run": every task instance, the run queued again).

        The answer is read as plain JSON: in apache-airflow-client 3.3.2 the response model of this
        endpoint (anyOf task instances / DAG run) fails to deserialize a valid answer."""
        body = af.DAGRunClearBody(dry_run=False, only_failed=False)
        response = self.runs.clear_dag_run_without_preload_content(dag_id, run_id, body)
        if response.status >= 300:
            raise ApiException(status=response.status, reason=response.data.decode(errors="replace"))

    # --- backfill ----------------------------------------------------------------------------------

    def backfill(self, dag_id: str, start: dt.datetime, end: dt.datetime, conf: dict | None = None) -> int:
        body = af.BackfillPostBody(
            dag_id=dag_id,
            from_date=start,
            to_date=end,
            dag_run_conf=conf or {},
            reprocess_behavior=af.ReprocessBehavior.COMPLETED,
            max_active_runs=1,
            run_backwards=False,
        )
        return self.backfills.create_backfill(body).id

    def backfill_done(self, backfill_id: int) -> bool:
        return self.backfills.get_backfill(backfill_id).completed_at is not None

    # --- XCom --------------------------------------------------------------------------------------

    def xcom_values(self, dag_id: str, run_id: str) -> list[str]:
        """Every XCom value of a run, as the API returns it (strings)."""
        entries = self.xcoms.get_xcom_entries(dag_id, run_id, "~", limit=1000).xcom_entries
        values = []
        for e in entries:
            entry = self.xcoms.get_xcom_entry(dag_id, e.task_id, run_id, e.key, map_index=e.map_index, stringify=True)
            value = getattr(entry, "actual_instance", entry).value
            values.append(value if isinstance(value, str) else json.dumps(value, default=str))
        return values
