"""discourse at the seed's scale: 45 courses × 3 trimesters, 3,200 users, ~1M actions on the fake server.

With ``make bench SCALE=N`` the reset still fetches the seed's 1M actions; the version's actions and
engagement are then copied N - 1 times for new users (:func:`multiply_actions`), so the metrics and the
daily refresh run over N × 1M stored actions.

almanac: a full reset through dag.test() (HTTP to the fake server, COPY into a new version, metrics,
publish), the metric computation alone, and a daily refresh after ~2% new actions (two days of activity) — with the rows the
fake server returned for each, so "the refresh fetches ~1% of what the reset fetches" can be read off.
The fake answers as Data Explorer bundled in Discourse core (at most 10,000 rows per call, which the client
pages through) without a rate limit; the reset's line prints the API calls it made beside the fewest any
client could make for this data (every window's rows in full pages of 10,000) and the minutes those calls
need at Discourse's default 60 admin API requests per minute.
baseline: the seed computes metrics per course and trimester in pandas after fetching; here the
per-(course, trimester) loop of metric queries stands in for it on the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from almanac.demo.discourse_fake_server import FakeDiscourse
from almanac.discourse import tasks
from almanac.discourse.client import page_limit
from almanac.discourse.transform import irrelevant_categories, relevant_courses
from benchmarks.harness import Workload, floor_seconds, measure, timed

COURSES, USERS = 45, 3200
START, HORIZON = dt.date(2025, 5, 1), dt.date(2026, 3, 10)
RATE = 1_000_000 / ((HORIZON - START).days * (COURSES + 4))  # actions per category and day


def run(ctx) -> list[Workload]:
    from airflow.dag_processing.dagbag import DagBag

    from almanac.demo.embedded import PROJECT_ROOT

    (server, generate_seconds) = timed(
        lambda: FakeDiscourse(
            courses=COURSES,
            users=USERS,
            start=START,
            horizon=HORIZON,
            actions_per_course_day=RATE,
            generation="core",
            rate_limit=None,
        )
    )
    server.start()
    os.environ["AIRFLOW_CONN_DISCOURSE_API"] = json.dumps(server.connection())
    os.environ["ALMANAC_DISCOURSE_RETRY_BASE_SECONDS"] = "0.2"
    total_actions = sum(len(v) for v in server.actions.values())
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    try:
        reset_at = dt.datetime(2026, 3, 10, 3, 30, tzinfo=dt.UTC)
        dag_run, reset_seconds = timed(
            lambda: bag.get_dag("discourse_trimester_reset").test(
                logical_date=reset_at, run_conf={"reset_date": "2026-03-10"}
            )
        )
        reset_rows = sum(r["rows"] for r in server.requests if r["query_id"] == 103)
        reset_calls, fewest = len(server.calls), fewest_calls(server, dt.date(2026, 3, 10))
        status = tasks._status()
        version = status["live_version_id"]
        trimesters = [t.id for t, _, _ in tasks.fetch_windows(dt.date(2026, 3, 10))]

        from almanac.db import transaction

        if ctx.scale > 1:
            multiply_actions(ctx, version, ctx.scale)
        with ctx.connect() as conn:
            (stored_actions,) = conn.execute(
                "SELECT count(*) FROM discourse.v_user_actions WHERE version_id = %s", (version,)
            ).fetchone()

        def metrics_only():
            with transaction("discourse_viz_db") as conn:
                tasks._compute_metrics(conn, version, trimesters)

        def per_course_loop():
            with ctx.connect() as conn:
                for category_id in [c["category_id"] for c in server.categories]:
                    for trimester_id in trimesters:
                        conn.execute(
                            "SELECT user_id, action_type, count(*), count(DISTINCT created_at::date)"
                            " FROM discourse.v_user_actions WHERE version_id = %s AND category_id = %s"
                            " AND trimester_id = %s GROUP BY 1, 2",
                            (version, category_id, trimester_id),
                        ).fetchall()

        _, metric_timings = measure(ctx, metrics_only)
        loop_seconds = timed(per_course_loop)[1] if ctx.baselines else None
        in_version = ("version_id = %(v)s", {"v": version})
        metric_floor = floor_seconds(
            ctx.connect,
            [
                (
                    "SELECT count(trimester_id), count(category_id), count(user_id), count(action_type),"
                    " count(created_at) FROM discourse.v_user_actions WHERE version_id = %(v)s",
                    {"v": version},
                ),
                (
                    "SELECT count(user_id), count(posts_read), count(days_visited) FROM discourse.v_engagement"
                    " WHERE version_id = %(v)s",
                    {"v": version},
                ),
            ],
            [("discourse.v_user_metrics", *in_version), ("discourse.v_platform_scores", *in_version)],
        )

        added = server.add_activity(dt.date(2026, 3, 10), RATE * 0.01 * 300) + server.add_activity(
            dt.date(2026, 3, 11), RATE * 0.01 * 300
        )
        server.clear_records()
        refresh_at = dt.datetime(2026, 3, 12, 3, 15, tzinfo=dt.UTC)
        _, refresh_seconds = timed(lambda: bag.get_dag("discourse_daily_refresh").test(logical_date=refresh_at))
        refresh_rows = sum(r["rows"] for r in server.requests if r["query_id"] == 103)
    finally:
        server.stop()
    size = f"{COURSES} courses, {USERS} users, {total_actions / 1e6:.2f}M actions"
    scaled_size = f"{COURSES} courses, {USERS * ctx.scale} users, {stored_actions / 1e6:.2f}M actions stored"
    seed_scale = " (fetched at N = 1)" if ctx.scale > 1 else ""
    loop = f"per-course/trimester aggregate loop (not a full baseline): {loop_seconds:.2f}s" if loop_seconds else ""
    return [
        Workload(
            "discourse: full reset via dag.test()",
            size + seed_scale,
            reset_seconds,
            note=f"no RTT view or floor: the fetch over HTTP is most of it; state {dag_run.state}; #103 rows fetched {reset_rows}; API calls {reset_calls} (fewest possible"
            f" {fewest}; {reset_calls / 60:.1f} min of a 60/min admin API budget); data generation {generate_seconds:.1f}s",
        ),
        Workload(
            "discourse: metrics (3 trimesters)",
            scaled_size,
            **metric_timings,
            floor_seconds=metric_floor,
            note=loop,
        ),
        Workload(
            "discourse: daily refresh, ~2% new actions",
            scaled_size,
            refresh_seconds,
            note=f"#103 rows fetched {refresh_rows} = {100 * refresh_rows / max(reset_rows, 1):.2f}% of the reset's;"
            f" {added} actions added",
        ),
    ]


def fewest_calls(server: FakeDiscourse, reset_date: dt.date) -> int:
    """The fewest Data Explorer calls any client could make to fetch what a reset on ``reset_date`` needs,
    knowing the data: one per full or partial page of each query and window (at least one)."""
    limit = page_limit()

    def pages(rows: int) -> int:
        return max(1, -(-rows // limit))

    windows = [(start, end) for _, start, end in tasks.fetch_windows(reset_date)]
    courses = relevant_courses(server.categories, irrelevant_categories())
    return (
        pages(len(server.categories))
        + pages(len(server.users))
        + sum(pages(server.count_actions(c.category_id, start, end)) for c in courses for start, end in windows)
        + sum(pages(server.engagement_users(start, end)) for start, end in windows)
    )


def multiply_actions(ctx, version: int, scale: int) -> None:
    """``make bench SCALE=N``: N - 1 more copies of the version's actions and engagement, each for its own
    users (user_id + k × 10⁷), as N times the users would give. Written straight into the database: the
    fake server holds its actions in Python and serves them over HTTP, which at 10M would measure the fake."""
    with ctx.connect() as conn:
        for table, columns in (
            (
                "v_user_actions",
                "trimester_id, category_id, {user}, action_type, target_post_id, target_topic_id, created_at",
            ),
            ("v_engagement", "trimester_id, {user}, days_visited, posts_read, time_read_minutes"),
        ):
            select = columns.format(user="user_id + k * 10000000")
            conn.execute(
                f"INSERT INTO discourse.{table} SELECT version_id, {select} FROM discourse.{table},"
                f" generate_series(1, %s) k WHERE version_id = %s",
                (scale - 1, version),
            )
        conn.commit()
        conn.execute("ANALYZE discourse.v_user_actions, discourse.v_engagement")
