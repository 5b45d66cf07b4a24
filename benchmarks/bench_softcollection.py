"""softcollection at the issue's scale: 50,000 eligible users over 10 campaigns.

almanac: plan (fetch, subtract, shuffle, split) + every campaign's writes to the three tables with
COPY (what build_plan and the mapped write_campaign instances do; the plan is computed once
here, as the bench measures the work, not the per-instance recomputation).
baseline: the seed's shape — the same plan, then one INSERT and commit per row (row by row), timed on
5,000 rows and extrapolated (the note says so).
"""

from __future__ import annotations

import datetime as dt

from almanac.demo.softcollection_data import generate
from almanac.softcollection import statements as st
from almanac.softcollection import tasks
from almanac.softcollection.transform import GROUPS, group_theory_id
from benchmarks.harness import Workload, timed

USERS = 50_000
CAMPAIGNS = [(f"SC{i:08d}", f"Campaign {i}", dt.date(2026, 3, 1), dt.date(2026, 5, 31)) for i in range(1, 11)]
RUN = dt.datetime(2026, 3, 16, 4, tzinfo=dt.UTC)
SAMPLE_ROWS = 5_000


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
            with tasks.engine_for("softcollection_dssb").begin() as conn:
                for table, rows in ((st.local_control, control), (st.local_target, target)):
                    conn.execute(st.delete_campaign_day(table, ids, day))
                    tasks.bulk_insert(conn, table, rows)
            with tasks.engine_for("softcollection_spss").begin() as conn:
                conn.execute(st.delete_campaign_day(st.theory_users, ids, day))
                tasks.bulk_insert(conn, st.theory_users, target)
            written += len(control) + 2 * len(target)
        return written

    written, almanac_seconds = timed(almanac_distribution)

    def row_by_row_sample():
        with ctx.connect() as conn:
            rows = conn.execute(
                "SELECT iin, theory_id, date_start, date_end, insert_datetime FROM dssb_app.sc_local_target LIMIT %s",
                (SAMPLE_ROWS,),
            ).fetchall()
            for row in rows:
                conn.execute(
                    "INSERT INTO spss.sc_theory_users (iin, theory_id, date_start, date_end, insert_datetime)"
                    " VALUES (%s, %s, %s - 1000, %s, %s)",
                    row,
                )
                conn.commit()

    _, sample_seconds = timed(row_by_row_sample)
    return [
        Workload(
            "softcollection: plan + three tables",
            f"{USERS} users, {len(CAMPAIGNS)} campaigns",
            almanac_seconds,
            sample_seconds * written / SAMPLE_ROWS,
            note=f"{written} rows written; baseline = INSERT + commit per row on {SAMPLE_ROWS} rows, extrapolated",
        )
    ]
