"""softcollection at the issue's scale: 50,000 eligible users over 10 campaigns.

almanac: plan (fetch, subtract, shuffle, split) + every campaign's writes to the three tables with
COPY (what build_plan and the mapped write_campaign instances do; the plan is computed once
here, as the bench measures the work, not the per-instance recomputation).
baseline: the seed's shape — the same plan, then one INSERT and commit per row into ``bench_baseline``
copies of the three tables, for every row; the benchmark then compares both results row by row and
prints "same rows" or how many differ.
"""

from __future__ import annotations

import datetime as dt

from almanac.db import engine_for
from almanac.demo.softcollection_data import generate
from almanac.softcollection import statements as st
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
    context = {"data_interval_end": RUN, "params": {}}
    day = tasks.run_date(context)

    def almanac_distribution():
        campaigns = tasks.find_active_campaigns(context)
        plans, _, _ = tasks.compute_plan(day, campaigns)
        written = 0
        for campaign, plan in zip(campaigns, plans, strict=True):
            end = dt.date.fromisoformat(campaign["end_date"])
            control = tasks._rows(
                plan.groups["A"], group_theory_id(plan.theory_id, "A"), day, end, RUN.replace(tzinfo=None)
            )
            target = [
                r
                for g in GROUPS[1:]
                for r in tasks._rows(
                    plan.groups[g], group_theory_id(plan.theory_id, g), day, end, RUN.replace(tzinfo=None)
                )
            ]
            ids = [group_theory_id(plan.theory_id, g) for g in GROUPS]
            with engine_for("softcollection_dssb").begin() as conn:
                for table, rows in ((st.local_control, control), (st.local_target, target)):
                    conn.execute(st.delete_campaign_day(table, ids, day))
                    tasks.bulk_insert(conn, table, rows)
            with engine_for("softcollection_spss").begin() as conn:
                conn.execute(st.delete_campaign_day(st.theory_users, ids, day))
                tasks.bulk_insert(conn, st.theory_users, target)
            written += len(control) + 2 * len(target)
        return written

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
