"""Run DAGs in-process with ``dag.test()``, and clear/rerun tasks the way the UI does.

``dag.test()`` clears and reruns a whole run for its logical date. An operator more often clears one
failed task (with its downstream tasks) and lets the run go on: :meth:`AirflowRunner.clear_and_resume`
does that on the same DagRun, with the same task runner ``dag.test()`` uses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from almanac.demo.embedded import PROJECT_ROOT

_NOT_SET = object()


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]  # "task_id" or "task_id[map_index]" → state
    tries: dict[str, int]  # same keys → try_number of the last try

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(k for k, v in self.task_states.items() if v in ("failed", "upstream_failed"))


class AirflowRunner:
    def __init__(self) -> None:
        from airflow.dag_processing.dagbag import DagBag

        self.dagbag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
        if self.dagbag.import_errors:
            raise RuntimeError(f"DAG import errors: {self.dagbag.import_errors}")

    def dag(self, dag_id: str):
        return self.dagbag.get_dag(dag_id)

    def _fresh_dag(self, dag_id: str):
        """A newly parsed copy of the DAG: in-process task runs update task params in place with the
        run's conf, so reusing one DAG object would leak one run's conf into the next (each task runs
        in a fresh process in production)."""
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(dag_folder=self.dag(dag_id).fileloc).get_dag(dag_id)

    def run(
        self,
        dag_id: str,
        logical_date: dt.datetime | object | None = _NOT_SET,
        conf: dict[str, Any] | None = None,
        run_after: dt.datetime | None = None,
    ) -> RunResult:
        """Trigger ``dag_id`` once and run it to the end; ``logical_date=None`` makes a run without one.

        Like a new trigger for that date, each call starts a fresh DagRun with ``conf`` (``dag.test()``
        alone would reuse an earlier run of the same logical date, with that run's conf).
        """
        kwargs: dict[str, Any] = {"run_conf": conf, "run_after": run_after}
        if logical_date is not _NOT_SET:
            kwargs["logical_date"] = logical_date
            if logical_date is not None:
                self._delete_runs(dag_id, logical_date)
        dag_run = self._fresh_dag(dag_id).test(**kwargs)
        return self.result(dag_id, dag_run.run_id)

    @staticmethod
    def _delete_runs(dag_id: str, logical_date: dt.datetime) -> None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session

        with create_session() as session:
            for dr in session.query(DagRun).filter_by(dag_id=dag_id, logical_date=logical_date):
                session.delete(dr)

    def result(self, dag_id: str, run_id: str) -> RunResult:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session

        with create_session() as session:
            dr = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one()
            states, tries = {}, {}
            for ti in dr.get_task_instances(session=session):
                key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
                states[key] = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
                tries[key] = ti.try_number
            state = str(dr.state.value if hasattr(dr.state, "value") else dr.state)
            return RunResult(dag_id, run_id, state, states, tries)

    def xcom(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1, key: str = "return_value"):
        from airflow.models.xcom import XComModel
        from airflow.sdk.serde import deserialize
        from airflow.utils.session import create_session

        with create_session() as session:
            row = (
                session.query(XComModel)
                .filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index, key=key)
                .one_or_none()
            )
            return None if row is None else deserialize(XComModel.deserialize_value(row))

    def clear_and_resume(
        self, dag_id: str, run_id: str, task_ids: list[str], map_index: int | None = None
    ) -> RunResult:
        """Clear ``task_ids`` (one mapped index if given) and everything downstream, then finish the run.

        The same as the UI's "Clear" with "Downstream" ticked, followed by the scheduler running the run.
        """
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import clear_task_instances
        from airflow.sdk.definitions.dag import _run_task
        from airflow.utils.session import create_session
        from airflow.utils.state import DagRunState, TaskInstanceState

        dag = self.dag(dag_id)
        wanted = set(task_ids)
        for task_id in task_ids:
            wanted |= {t.task_id for t in dag.get_task(task_id).get_flat_relatives(upstream=False)}
        with create_session() as session:
            dr = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one()
            tis = [
                ti
                for ti in dr.get_task_instances(session=session)
                if ti.task_id in wanted
                and (map_index is None or ti.task_id not in task_ids or ti.map_index == map_index)
            ]
            clear_task_instances(tis, session, dag_run_state=DagRunState.RUNNING)
            session.commit()

        with create_session() as session:
            dr = session.query(DagRun).filter_by(dag_id=dag_id, run_id=run_id).one()
            dr.dag = _scheduler_dag(dag)
            deadline = time.monotonic() + 600
            while dr.state == DagRunState.RUNNING and time.monotonic() < deadline:
                session.expire_all()
                schedulable, _ = dr.update_state(session=session)
                for ti in schedulable:
                    if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                        ti.try_number += 1
                    ti.state = TaskInstanceState.SCHEDULED
                session.commit()
                scheduled = [
                    ti for ti in dr.get_task_instances(session=session) if ti.state == TaskInstanceState.SCHEDULED
                ]
                if not scheduled:
                    time.sleep(0.2)
                for ti in scheduled:
                    # a failing task records its state, as in dag.test(); the loop goes on
                    with contextlib.suppress(Exception):
                        _run_task(ti=ti, task=dag.task_dict[ti.task_id])
        return self.result(dag_id, run_id)


def _scheduler_dag(dag):
    """The scheduler's view of ``dag``, as ``dag.test()`` builds it, without deadline alerts: they need
    the triggerer, and the in-memory copy trips Airflow 3.3.2 at the run's end (see AlmanacDAG)."""
    from airflow.serialization.serialized_objects import DagSerialization

    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    scheduler_dag.deadline = None
    scheduler_dag.on_success_callback = dag.on_success_callback
    scheduler_dag.on_failure_callback = dag.on_failure_callback
    return scheduler_dag
