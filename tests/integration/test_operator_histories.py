"""Randomized operator histories: clears and reruns in any order leave what a clean in-order history leaves.

For each domain a seeded generator plays what operators do: the domain's runs over several dates in order,
then clears of random past tasks, of single mapped instances and of whole runs, in random order, days
"later" — with the sources moving on between steps where the domain's sources do (softcollection's
SC_1_120 lists other people every day). Then the same schedule is replayed cleanly, in order, on a fresh
database with the same sources, and every output table must be equal.

Time-stamped sources (sessions, lesson progress, shifts, forum actions) hold data beyond the run dates from
the start — what a backfill or a late rerun sees — so a run that read past its own date would show up.

``ALMANAC_OPERATOR_HISTORIES`` (default 1) histories per domain, ``ALMANAC_OPERATOR_SEED`` the first seed
(default: fixed). A failure names the seed and the steps, so ``ALMANAC_OPERATOR_SEED=<seed>`` replays it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
from collections.abc import Callable

import pytest

from almanac.demo import learning_data, productivity_data, softcollection_data, tutoring_data
from almanac.demo import warehouse as layout
from almanac.demo.discourse_fake_server import FakeDiscourse
from almanac.demo.embedded import connection_env
from tests.conftest import DB_TIMEZONE

pytestmark = pytest.mark.integration

UTC = dt.UTC
HISTORIES = int(os.environ.get("ALMANAC_OPERATOR_HISTORIES", "1"))
FIRST_SEED = int(os.environ.get("ALMANAC_OPERATOR_SEED", "20261124"))
CLEARS_PER_HISTORY = 5
CHECKED: dict[str, list[int]] = {}


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


@dataclasses.dataclass
class Scenario:
    """One domain: its runs in order, its sources, the tables compared and how the sources move on."""

    name: str
    schedule: list[tuple[str, dt.datetime, dict]]  # (dag_id, logical_date, conf), in order
    load_sources: Callable  # (psycopg conn) -> None
    tables: dict[str, str]  # label -> SELECT (ordered) of what must be equal
    move_on: Callable | None = None  # (psycopg conn, step: int) -> None: the sources' next day
    forum: dict | None = None  # FakeDiscourse kwargs when the domain reads the forum


def _softcollection_counters(conn, step: int) -> None:
    conn.execute("DELETE FROM spss_user_dracrm.sc_1_120")
    iins = softcollection_data.synthetic_iins(300 + 40 * step, seed=1000 + step)
    conn.execute("INSERT INTO spss_user_dracrm.sc_1_120 SELECT unnest(%s::text[]), 5", (iins,))


SCENARIOS = [
    Scenario(
        "tutoring",
        [("tutoring_daily_metrics", at(2026, 3, d, 2), {}) for d in (10, 11, 12, 13)],
        lambda conn: tutoring_data.generate(conn, tutors=30, sessions_per_tutor=40, end_date=at(2026, 3, 20)),
        {"metrics": "SELECT * FROM tutoring.tutor_performance_metrics ORDER BY metric_id"},
    ),
    Scenario(
        "learning",
        [("learning_daily_snapshots", at(2026, 3, d), {}) for d in (7, 8, 9, 10)]
        + [("learning_weekly_recommendations", at(2026, 3, 9, 6), {})]
        + [("learning_daily_snapshots", at(2026, 3, d), {}) for d in (15, 16, 17)]
        + [("learning_weekly_recommendations", at(2026, 3, 16, 6), {})],
        lambda conn: learning_data.generate(conn, students=60, days=40, end_date=at(2026, 3, 25)),
        {
            "snapshots": "SELECT * FROM learning.performance_snapshots ORDER BY user_id, snapshot_date",
            "snapshot_runs": "SELECT * FROM learning.snapshot_runs ORDER BY snapshot_date",
            "recommendations": "SELECT * FROM learning.adaptive_recommendations ORDER BY id",
        },
    ),
    Scenario(
        "productivity",
        [("productivity_recalculation", at(2026, 3, d, 12), {}) for d in (10, 11, 12)]
        + [("productivity_recalculation", at(2026, 3, 12, 18), {"start_date": "2026-03-05", "end_date": "2026-03-09"})]
        + [("productivity_recalculation", at(2026, 3, 13, 12), {})],
        lambda conn: productivity_data.generate(conn, employees=8, days=14, end_date=dt.date(2026, 3, 16)),
        {
            "daily_scores": "SELECT * FROM productivity.daily_scores ORDER BY 1, 2",
            "idle_periods": "SELECT * FROM productivity.idle_periods ORDER BY 1, 3",
            "alerts": "SELECT employee_id, alert_type, created_at, work_date, details::text"
            " FROM productivity.alerts ORDER BY 1, 2, 3",
            "hourly_costs": "SELECT * FROM productivity.employee_hourly_costs ORDER BY 1, 2",
            "current_status": "SELECT * FROM productivity.employee_current_status ORDER BY 1",
            "primary_roles": "SELECT id, primary_role_id FROM productivity.employees ORDER BY 1",
        },
    ),
    Scenario(
        "softcollection",
        [("softcollection_daily_distribution", at(2026, 3, d, 4), {}) for d in (14, 15, 16, 17)],
        lambda conn: softcollection_data.generate(conn, eligible=400, others=50),
        {
            table: f"SELECT * FROM {table} ORDER BY iin, theory_id, date_start"
            for table in ("dssb_app.sc_local_control", "dssb_app.sc_local_target", "spss.sc_theory_users")
        }
        | {
            "plan": "SELECT * FROM dssb_app.almanac_distribution_plan ORDER BY run_date, iin",
            "plan_days": "SELECT run_date, campaigns, eligible_users, already_assigned, users_distributed, planned_at"
            " FROM dssb_app.almanac_distribution_days ORDER BY run_date",
        },
        move_on=_softcollection_counters,
    ),
    Scenario(
        "discourse",
        [
            ("discourse_trimester_reset", at(2026, 4, 29, 3, 30), {"reset_date": "2026-04-29"}),
            ("discourse_daily_refresh", at(2026, 4, 30, 3, 15), {}),
            ("discourse_trimester_reset", at(2026, 5, 1, 3, 30), {}),
            ("discourse_daily_refresh", at(2026, 5, 2, 3, 15), {}),
        ],
        lambda conn: None,
        {
            "courses": "SELECT * FROM discourse.courses ORDER BY category_id",
            "users": "SELECT * FROM discourse.users ORDER BY user_id",
            "user_metrics": "SELECT * FROM discourse.user_metrics ORDER BY trimester_id, category_id, user_id",
            "platform_scores": "SELECT * FROM discourse.platform_scores ORDER BY trimester_id, user_id",
            "status": "SELECT last_refresh_date, user_actions_loaded, reset_failed, reset_failure_reason, last_reset_at"
            " FROM discourse.system_status",
        },
        forum={"courses": 2, "users": 30, "start": dt.date(2025, 9, 1), "horizon": dt.date(2026, 5, 6)},
    ),
]


class Database:
    """A fresh database holding the scenario's sources, with every connection pointed at it."""

    def __init__(self, pg, name: str, scenario: Scenario) -> None:
        self.pg, self.name = pg, name
        pg.create_database(name, drop_existing=True, timezone=DB_TIMEZONE)
        with pg.connect(name) as conn:
            layout.create_source_tables(conn)
            scenario.load_sources(conn)
            if scenario.move_on:
                scenario.move_on(conn, 0)
        os.environ.update(connection_env(pg, name))
        self.forum = FakeDiscourse(**scenario.forum).start() if scenario.forum else None
        if self.forum:
            os.environ["AIRFLOW_CONN_DISCOURSE_API"] = json.dumps(self.forum.connection())

    def snapshot(self, scenario: Scenario) -> dict[str, list[tuple]]:
        with self.pg.connect(self.name) as conn:
            return {label: conn.execute(query).fetchall() for label, query in scenario.tables.items()}

    def move_on(self, scenario: Scenario, step: int) -> None:
        if scenario.move_on:
            with self.pg.connect(self.name) as conn:
                scenario.move_on(conn, step)

    def drop(self) -> None:
        if self.forum:
            self.forum.stop()
        self.pg.drop_database(self.name)


@pytest.fixture
def isolated_env(warehouse, _slack_receiver, monkeypatch):
    """Connections are switched per database; put them back afterwards."""
    saved = dict(os.environ)
    monkeypatch.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
    yield
    os.environ.clear()
    os.environ.update(saved)


def play_history(runner, db: Database, scenario: Scenario, rng: random.Random, steps: list[str]) -> None:
    """The schedule in order, then random clears of past tasks, mapped instances and whole runs."""
    runs = []
    for index, (dag_id, logical_date, conf) in enumerate(scenario.schedule):
        if index:
            db.move_on(scenario, index)
        result = runner.run(dag_id, logical_date=logical_date, conf=conf or None)
        steps.append(f"run {dag_id} {logical_date:%Y-%m-%d %H:%M} → {result.state}")
        assert result.state == "success", (steps, result.task_states)
        runs.append(result)
    moved = len(scenario.schedule)
    for _ in range(CLEARS_PER_HISTORY):
        moved += 1
        db.move_on(scenario, moved)  # time passes: the sources move on before the operator acts
        victim = rng.randrange(len(runs))
        run = runs[victim]
        ran = sorted(key for key, state in run.task_states.items() if state != "skipped")
        mapped = [key for key in ran if "[" in key]
        kind = rng.choice(["task", "mapped", "run"]) if mapped else rng.choice(["task", "run"])
        dag = runner.dag(run.dag_id)
        if kind == "run":
            roots = [t.task_id for t in dag.roots]
            result = runner.clear_and_resume(run.dag_id, run.run_id, roots)
            what = "the whole run"
        elif kind == "mapped":
            key = rng.choice(mapped)
            task_id, index = key[:-1].split("[")
            result = runner.clear_and_resume(run.dag_id, run.run_id, [task_id], map_index=int(index))
            what = key
        else:
            task_id = rng.choice(sorted({key.split("[")[0] for key in ran}))
            result = runner.clear_and_resume(run.dag_id, run.run_id, [task_id])
            what = task_id
        steps.append(f"clear {what} of {run.dag_id} run #{victim + 1} → {result.state}")
        assert result.state == "success", (steps, result.task_states)
        runs[victim] = result


def clean_replay(runner, db: Database, scenario: Scenario, moves: int) -> None:
    """The same schedule once, in order, with the sources moving on the same way; then the same later moves."""
    for index, (dag_id, logical_date, conf) in enumerate(scenario.schedule):
        if index:
            db.move_on(scenario, index)
        assert runner.run(dag_id, logical_date=logical_date, conf=conf or None).state == "success"
    for step in range(len(scenario.schedule), moves + 1):
        db.move_on(scenario, step)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_random_clears_in_any_order_leave_a_clean_in_order_history(
    scenario, embedded_pg, airflow_runner, isolated_env, slack
):
    for seed in range(FIRST_SEED, FIRST_SEED + HISTORIES):
        rng = random.Random(seed)
        steps: list[str] = []
        history = Database(embedded_pg, f"almanac_history_{os.getpid()}", scenario)
        try:
            play_history(airflow_runner, history, scenario, rng, steps)
            played = history.snapshot(scenario)
        finally:
            history.drop()
        clean = Database(embedded_pg, f"almanac_clean_{os.getpid()}", scenario)
        try:
            clean_replay(airflow_runner, clean, scenario, len(scenario.schedule) + CLEARS_PER_HISTORY)
            expected = clean.snapshot(scenario)
        finally:
            clean.drop()
        assert any(expected.values()), f"{scenario.name}: the clean history wrote nothing"
        differing = [label for label in expected if played[label] != expected[label]]
        assert not differing, (
            f"{scenario.name}, seed {seed} (replay with ALMANAC_OPERATOR_SEED={seed}): {differing} differ from a clean"
            " in-order history after:\n  " + "\n  ".join(steps)
        )
        CHECKED.setdefault(scenario.name, []).append(len(steps))
    print(
        f"\n[operator histories] {scenario.name}: {len(CHECKED[scenario.name])} history(ies),"
        f" {sum(CHECKED[scenario.name])} steps (runs and clears), seeds {FIRST_SEED}..{FIRST_SEED + HISTORIES - 1}"
    )
