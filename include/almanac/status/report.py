"""The system status: per domain, its DAGs' last runs (Airflow's metadata), its data freshness (the
domain's own tables) and a stale flag (the DAG's schedule), plus the discourse reset flag on top.

:func:`system_status` builds the answer of ``GET /almanac/api/system-status`` (and of the status page)
from an Airflow metadata session. It never returns a personal identifier: run ids, dates, counts of
nothing, and reasons that pass through :func:`almanac.notify.redact`.

Statuses, worst first (the domain takes the worst of its DAGs and its database; ``unknown`` comes
first because while the database does not answer nothing else about the data can be told):

| status | colour | meaning |
|---|---|---|
| ``unknown`` | red | the domain's database did not answer (the reason says why) |
| ``failed`` | red | the DAG's latest run failed, or the discourse trimester reset failed (users see old data) |
| ``late`` | amber | a scheduled run is due (schedule + grace) and has not succeeded: see :mod:`.schedule` |
| ``never_run`` | amber | the DAG has never succeeded (and nothing was due yet), or Airflow has not parsed it |
| ``no_data`` | amber | the DAGs are fine but the domain's tables hold nothing yet |
| ``fresh`` | green | everything due has succeeded |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from almanac.notify import redact
from almanac.status import schedule
from almanac.status.freshness import PROBES, Freshness, as_json, start_probes

DOMAIN_DAGS = {
    "discourse": ("discourse_daily_refresh", "discourse_trimester_reset"),
    "learning": ("learning_daily_snapshots", "learning_weekly_recommendations"),
    "softcollection": ("softcollection_daily_distribution",),
    "productivity": ("productivity_recalculation",),
    "tutoring": ("tutoring_daily_metrics",),
}
SEVERITY = ("fresh", "no_data", "never_run", "late", "failed", "unknown")
COLOUR = {
    "fresh": "green",
    "no_data": "amber",
    "never_run": "amber",
    "late": "amber",
    "unknown": "red",
    "failed": "red",
}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def readable(value: dt.datetime) -> str:
    """A moment as people read it in a reason: ``2026-03-10 03:15 UTC``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; Airflow stores UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def latest_runs(session: Any, dag_ids: list[str], *, state: str | None = None) -> dict[str, dict[str, Any]]:
    """The latest run (by ``run_after``) of each DAG, optionally only runs in ``state``."""
    import sqlalchemy as sa
    from airflow.models.dagrun import DagRun

    rank = (
        sa.func.row_number()
        .over(partition_by=DagRun.dag_id, order_by=(DagRun.run_after.desc(), DagRun.id.desc()))
        .label("rank")
    )
    query = sa.select(
        DagRun.dag_id,
        DagRun.run_id,
        DagRun.run_type,
        DagRun.state,
        DagRun.logical_date,
        DagRun.run_after,
        DagRun.end_date,
        rank,
    ).where(DagRun.dag_id.in_(dag_ids))
    if state is not None:
        query = query.where(DagRun.state == state)
    ranked = query.subquery()
    rows = session.execute(sa.select(ranked).where(ranked.c.rank == 1)).mappings()
    return {
        row["dag_id"]: {
            "run_id": row["run_id"],
            "run_type": str(row["run_type"]),
            "state": str(row["state"]),
            "logical_date": _aware(row["logical_date"]),
            "run_after": _aware(row["run_after"]),
            "end_date": _aware(row["end_date"]),
        }
        for row in rows
    }


def dag_schedules(session: Any, dag_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Cron expression, time zone, start date and paused flag of each DAG Airflow has parsed."""
    import sqlalchemy as sa
    from airflow.models.dag import DagModel
    from airflow.models.serialized_dag import SerializedDagModel

    paused_rows = session.execute(sa.select(DagModel.dag_id, DagModel.is_paused).where(DagModel.dag_id.in_(dag_ids)))
    paused = dict(paused_rows.tuples().all())
    found = {}
    for serialized in SerializedDagModel.get_latest_serialized_dags(dag_ids=dag_ids, session=session):
        dag = serialized.dag
        timetable = dag.timetable.serialize()  # cron timetables: {"expression": …, "timezone": …, …}
        found[dag.dag_id] = {
            "expression": timetable.get("expression"),
            "timezone": timetable.get("timezone", "UTC"),
            "start_date": _aware(dag.start_date),
            "is_paused": bool(paused.get(dag.dag_id, True)),
        }
    return found


def _run_json(run: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    if run is None:
        return None
    return {k: _iso(run[k]) if isinstance(run[k], dt.datetime) else run[k] for k in keys}


def dag_status(
    dag_id: str,
    now: dt.datetime,
    spec: Mapping[str, Any] | None,
    last_success: Mapping[str, Any] | None,
    last_run: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """One DAG's entry: its status, stale flag, schedule and last runs."""
    grace = schedule.grace_for(dag_id)
    due = None
    if spec and spec["expression"]:
        due = schedule.due_fire_time(spec["expression"], spec["timezone"], now, grace, spec["start_date"])
    stale = schedule.is_stale(due, last_success["run_after"] if last_success else None)
    if spec is None:
        status, reason = "never_run", "not in Airflow's metadata yet (the dag-processor has not parsed it)"
    elif last_run is not None and last_run["state"] == "failed":
        status, reason = "failed", f"latest run {last_run['run_id']} failed"
    elif stale:
        status, reason = "late", f"the run due at {readable(due)} has not succeeded"
    elif last_success is None:
        status, reason = "never_run", "no successful run yet"
    else:
        status, reason = "fresh", None
    if reason and spec and spec["is_paused"]:
        reason += " (the DAG is paused)"
    return {
        "status": status,
        "colour": COLOUR[status],
        "stale": stale,
        "reason": reason,
        "schedule": spec["expression"] if spec else None,
        "timezone": spec["timezone"] if spec else None,
        "is_paused": spec["is_paused"] if spec else None,
        "due": _iso(due),
        "grace_minutes": int(grace.total_seconds() // 60),
        "last_success": _run_json(last_success, ("run_id", "logical_date", "run_after", "end_date")),
        "last_run": _run_json(last_run, ("run_id", "run_type", "state", "run_after", "end_date")),
        "grid_path": f"dags/{dag_id}",
    }


def domain_status(domain: str, dags: dict[str, dict[str, Any]], freshness: Freshness) -> dict[str, Any]:
    """One domain's entry: the worst of its DAGs and its database, with the reasons in words."""
    reasons = [f"{dag_id}: {d['reason']}" for dag_id, d in dags.items() if d["status"] != "fresh"]
    statuses = [d["status"] for d in dags.values()]
    if not freshness.reachable:
        statuses.append("unknown")
        reasons.insert(0, f"database unreachable: {freshness.error}")
    else:
        if freshness.values.get("reset_failed"):
            statuses.append("failed")
            reasons.insert(0, f"trimester reset failed: {freshness.values.get('reset_failure_reason')}")
        if all(v in (None, False) for v in freshness.values.values()):
            statuses.append("no_data")
            missing = f" (tables not created yet: {', '.join(freshness.missing_tables)})"
            reasons.append("no data yet" + (missing if freshness.missing_tables else ""))
    status = max(statuses, key=SEVERITY.index)
    return {
        "status": status,
        "colour": COLOUR[status],
        "stale": any(d["stale"] for d in dags.values()),
        "reason": redact("; ".join(reasons)) if reasons else None,
        "freshness": as_json(freshness.values) if freshness.reachable else None,
        "missing_tables": freshness.missing_tables,
        "probe_seconds": round(freshness.seconds, 3),
        "dags": dags,
    }


def system_status(session: Any, now: dt.datetime) -> dict[str, Any]:
    """The whole answer. Domain probes run concurrently while the metadata is read."""
    collect = start_probes(PROBES)
    dag_ids = [dag_id for ids in DOMAIN_DAGS.values() for dag_id in ids]
    specs = dag_schedules(session, dag_ids)
    successes = latest_runs(session, dag_ids, state="success")
    latest = latest_runs(session, dag_ids)
    freshness = collect()
    domains = {
        domain: domain_status(
            domain,
            {d: dag_status(d, now, specs.get(d), successes.get(d), latest.get(d)) for d in dag_ids_},
            freshness[domain],
        )
        for domain, dag_ids_ in DOMAIN_DAGS.items()
    }
    discourse = freshness["discourse"]
    reset_failed = bool(discourse.reachable and discourse.values.get("reset_failed"))
    return {
        "reset_failed": reset_failed,
        "failure_reason": discourse.values.get("reset_failure_reason") if reset_failed else None,
        "generated_at": now.isoformat(),
        "status": max((d["status"] for d in domains.values()), key=SEVERITY.index),
        "domains": domains,
    }
