"""softcollection at the issue's scale: 50,000 eligible users over 10 campaigns.

almanac: build_plan (fetch, subtract, shuffle, split, store the plan in DSSB_APP with COPY) and every
campaign's write_campaign (INSERT … SELECT from the stored plan in DSSB_APP, COPY into SPSS), the DAG's
own task functions.
baseline: the seed's shape — the same plan, then one INSERT and commit per row into ``bench_baseline``
copies of the three tables, for every row; the benchmark then compares both results row by row and
prints "same rows" or how many differ.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from almanac.demo.softcollection_data import generate
from almanac.softcollection import tasks
from almanac.softcollection.transform import GROUPS, group_theory_id
from benchmarks.harness import Workload, timed

USERS = 50_000
CAMPAIGNS = [(f"SC{i:08d}", f"Campaign {i}", dt.date(2026, 3, 1), dt.date(2026, 5, 31)) for i in range(1, 11)]
RUN = dt.datetime(2026, 3, 16, 4, tzinfo=dt.UTC)
TABLES = ("dssb_app.sc_local_control", "dssb_app.sc_local_target", "spss.sc_theory_users")
COLUMNS = "iin, theory_id, date_start, date_end, insert_datetime"


def run(ctx) -> list[Workload]:
    with ctx.connect() as conn:
        generate(conn, eligible=USERS, others=5_000, campaigns=CAMPAIGNS)
        conn.commit()
    context = {"data_interval_end": RUN, "params": {}, "dag_run": SimpleNamespace(run_id="bench")}
    day = tasks.run_date(context)

    def almanac_distribution():
        """What the DAG's tasks do: plan once (stored in DSSB_APP), then each campaign's writer."""
        with ctx.connect() as conn:
            conn.execute("TRUNCATE dssb_app.almanac_distribution_days, dssb_app.almanac_distribution_plan")
            conn.commit()
        summary = tasks.build_plan(context, tasks.find_active_campaigns(context))
        results = [tasks.write_campaign(context, c) for c in summary["campaigns_to_write"]]
        return sum(r["control"] + 2 * r["target"] for r in results)

    written, almanac_seconds = timed(almanac_distribution)

    def row_by_row():
        campaigns = tasks.find_active_campaigns(context)
        plans, _, _ = tasks.compute_plan(day, campaigns)
        with ctx.connect() as conn:
            for campaign, plan in zip(campaigns, plans, strict=True):
                end = dt.date.fromisoformat(campaign["end_date"])
                for group in GROUPS:
                    theory_id = group_theory_id(plan.theory_id, group)
                    tables = TABLES[:1] if group == "A" else TABLES[1:]
                    for iin in plan.groups[group]:
                        for table in tables:
                            conn.execute(
                                f"INSERT INTO bench_baseline.{table.split('.')[1]} ({COLUMNS})"
                                " VALUES (%s, %s, %s, %s, %s)",
                                (iin, theory_id, day, end, RUN.replace(tzinfo=None)),
                            )
                            conn.commit()

    with ctx.connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        for table in TABLES:
            conn.execute(f"CREATE TABLE bench_baseline.{table.split('.')[1]} (LIKE {table} INCLUDING ALL)")
        conn.commit()
    _, baseline_seconds = timed(row_by_row)
    with ctx.connect() as conn:
        differences = 0
        for table in TABLES:
            copy = f"bench_baseline.{table.split('.')[1]}"
            (n,) = conn.execute(
                f"SELECT count(*) FROM ((SELECT {COLUMNS} FROM {table} WHERE date_start = %(day)s"
                f" EXCEPT ALL SELECT {COLUMNS} FROM {copy}) UNION ALL (SELECT {COLUMNS} FROM {copy}"
                f" EXCEPT ALL SELECT {COLUMNS} FROM {table} WHERE date_start = %(day)s)) d",
                {"day": day},
            ).fetchone()
            differences += n
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
        conn.commit()
    same = "same rows" if not differences else f"DIFFERENT rows: {differences}"
    return [
        Workload(
            "softcollection: plan + three tables",
            f"{USERS} users, {len(CAMPAIGNS)} campaigns",
            almanac_seconds,
            baseline_seconds,
            note=f"{written} rows; baseline = same plan, INSERT + commit per row; {same}",
        )
    ]
