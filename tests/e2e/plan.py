"""What the end-to-end suite runs, in one place: dated runs, mapped tasks, tables per domain.

When a DAG changes (a new first task, a renamed mapped task, a new output table), this file is the one
to edit. Task ids are otherwise looked up from the REST API (a run's task instances).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from almanac.demo import learning_data, productivity_data, softcollection_data, tutoring_data, warehouse

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Trigger:
    dag_id: str
    logical_date: dt.datetime | None  # None: "trigger now" ("logical_date": null)
    conf: dict = field(default_factory=dict)
    snapshot: str | None = None  # name a snapshot of the domain's tables taken after this run


def this_monday() -> dt.datetime:
    today = dt.datetime.now(UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(monday, dt.time(), tzinfo=UTC)


#: Dated runs inside the demo data (include/almanac/demo/*_data.py).
RESET_AT = at(2026, 1, 1, 3, 30)  # discourse reset of t1-2026, t3-2025, t2-2025
REFRESH_AT = at(2026, 1, 2, 3, 15)  # the first daily refresh after it
LEARNING_DAILY_AT = learning_data.DEMO_END  # 2026-03-16 00:00: snapshots 2026-03-15
LEARNING_WEEKLY_AT = learning_data.DEMO_END.replace(hour=6)  # Monday 2026-03-16: week of 2026-03-16
SOFTCOLLECTION_AT = softcollection_data.DEMO_RUN  # 09:00 Almaty on 2026-03-16
PRODUCTIVITY_AT = productivity_data.DEMO_RUNS[0][1]  # 06:00 Chicago on 2026-03-16: recalculates 2026-03-15
TUTORING_AT = tutoring_data.DEMO_END.replace(hour=2)  # R = 2026-03-15
#: 300 demo tutors in batches of 100: three mapped compute_batch instances to clear one of.
TUTORING_CONF = {"batch_size": 100}


def domain_scripts() -> dict[str, list[Trigger]]:
    """Per domain, the runs of the first phase in order: each DAG once without and once with a logical
    date. Runs without a logical date go first, so the dated runs' results are the ones snapshotted."""
    return {
        # discourse state only moves forward: the dated runs first, then "trigger now" (today) brings the
        # data up to date; clearing the dated runs afterwards must leave today's state as it is.
        "discourse": [
            Trigger("discourse_trimester_reset", RESET_AT),
            Trigger("discourse_daily_refresh", REFRESH_AT),
            Trigger("discourse_trimester_reset", None),
            Trigger("discourse_daily_refresh", None),
        ],
        "learning": [
            Trigger("learning_daily_snapshots", None),
            # the weekly run without a logical date waits for the snapshot of the Sunday before this Monday
            Trigger("learning_daily_snapshots", this_monday()),
            Trigger("learning_weekly_recommendations", None),
            Trigger("learning_daily_snapshots", LEARNING_DAILY_AT),
            Trigger("learning_weekly_recommendations", LEARNING_WEEKLY_AT),
        ],
        "softcollection": [
            Trigger("softcollection_daily_distribution", None),
            Trigger("softcollection_daily_distribution", SOFTCOLLECTION_AT),
        ],
        "productivity": [
            Trigger("productivity_recalculation", None),
            Trigger("productivity_recalculation", PRODUCTIVITY_AT),
        ],
        "tutoring": [
            Trigger("tutoring_daily_metrics", None, TUTORING_CONF),
            Trigger("tutoring_daily_metrics", TUTORING_AT, TUTORING_CONF),
        ],
        "platform": [
            Trigger("almanac_connection_check", None),
            Trigger("almanac_connection_check", at(2026, 3, 16)),
        ],
    }


#: The task whose one mapped instance the suite clears, per DAG that maps (name constants in one place).
MAPPED_TASKS = {
    "discourse_daily_refresh": "fetch_course_delta",
    "discourse_trimester_reset": "load_course_actions",
    "softcollection_daily_distribution": "write_campaign",
    "productivity_recalculation": "daily_scores",
    "tutoring_daily_metrics": "compute_batch",
    "almanac_connection_check": "check_connection",
}

#: State tables the suite compares besides each domain's output tables (queries, so volatile columns
#: such as the discourse live version id, a new one for every reset, are left out).
EXTRA_QUERIES: dict[str, dict[str, str]] = {
    "discourse": {
        "discourse.system_status": "SELECT last_refresh_date, user_actions_loaded, reset_failed,"
        " reset_failure_reason, last_reset_at FROM discourse.system_status",
    },
    "learning": {"learning.snapshot_runs": "SELECT * FROM learning.snapshot_runs"},
    "softcollection": {
        "dssb_app.almanac_distribution_plan": "SELECT * FROM dssb_app.almanac_distribution_plan",
        "dssb_app.almanac_distribution_days": "SELECT run_date, campaigns, eligible_users, already_assigned,"
        " users_distributed, planned_at FROM dssb_app.almanac_distribution_days",
    },
}


def output_tables(domain: str) -> dict[str, str]:
    """``{name: query}`` of what the suite snapshots for a domain: the demo module's OUTPUT_TABLES
    (each domain lists its outputs there once) plus :data:`EXTRA_QUERIES`."""
    queries = {}
    for name, module in warehouse.demo_modules():
        if name == domain:
            queries = {table: f"SELECT * FROM {table}" for table in getattr(module, "OUTPUT_TABLES", [])}
    queries.update(EXTRA_QUERIES.get(domain, {}))
    return queries


#: Backfills: (dag_id, first logical date, last logical date, conf) — each day also run alone to compare.
LEARNING_BACKFILL = ("learning_daily_snapshots", at(2026, 3, 9), at(2026, 3, 15), {})
TUTORING_BACKFILL = ("tutoring_daily_metrics", at(2026, 3, 12, 2), at(2026, 3, 14, 2), {})
#: What a backfill day writes, to compare with the same day run alone: (table, date column, date offset).
BACKFILL_ROWS = {
    "learning_daily_snapshots": ("learning.performance_snapshots", "snapshot_date", -1),
    "tutoring_daily_metrics": ("tutoring.tutor_performance_metrics", "calculation_date::date", 0),
}
