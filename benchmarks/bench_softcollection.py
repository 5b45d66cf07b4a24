"""softcollection at the issue's scale: 50,000 eligible users over 10 campaigns.

almanac: build_plan (stream the eligible IINs into DSSB_APP with COPY, place them there with one
INSERT … SELECT) and every campaign's write_campaign (INSERT … SELECT from the stored plan in DSSB_APP,
COPY into SPSS), the DAG's own task functions.
baseline: the seed's shape — both sets of IINs fetched into Python and the same plan computed there
(``transform.build_distribution_plan``), then one INSERT and commit per row into ``bench_baseline``
copies of the three tables, for every row; the benchmark then compares both results row by row and
prints "same rows" or how many differ. Through the RTT proxy the baseline writes one campaign of ten
and its time is scaled by rows (the whole loop would take ~2 minutes there); almanac writes all ten.
Users × N with ``make bench SCALE=N``.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from almanac.demo.softcollection_data import generate
from almanac.softcollection import tasks
from almanac.softcollection.transform import GROUPS, build_distribution_plan, group_theory_id
from benchmarks.harness import Workload, floor_seconds, measure, timed

USERS = 50_000
CAMPAIGNS = [(f"SC{i:08d}", f"Campaign {i}", dt.date(2026, 3, 1), dt.date(2026, 5, 31)) for i in range(1, 11)]
RUN = dt.datetime(2026, 3, 16, 4, tzinfo=dt.UTC)
TABLES = ("dssb_app.sc_local_control", "dssb_app.sc_local_target", "spss.sc_theory_users")
COLUMNS = "iin, theory_id, date_start, date_end, insert_datetime"
SAMPLE_CAMPAIGNS = 1  # campaigns the baseline writes through the RTT proxy


def run(ctx) -> list[Workload]:
    users = USERS * ctx.scale
    with ctx.connect() as conn:
        generate(conn, eligible=users, others=5_000 * ctx.scale, campaigns=CAMPAIGNS)
        conn.commit()
    context = {"data_interval_end": RUN, "params": {}, "dag_run": SimpleNamespace(run_id="bench")}
    day = tasks.run_date(context)

    def clear_output():
        """No stored plan for D, no rows of D: the next run plans and writes from scratch."""
        with ctx.connect() as conn:
            conn.execute(
                "TRUNCATE dssb_app.almanac_distribution_days, dssb_app.almanac_distribution_plan,"
                " dssb_app.almanac_distribution_candidates"
            )
            for table in TABLES:
                conn.execute(f"DELETE FROM {table} WHERE date_start = %s", (day,))

    def almanac_distribution():
        """What the DAG's tasks do: plan once (stored in DSSB_APP), then each campaign's writer."""
        summary = tasks.build_plan(context, tasks.find_active_campaigns(context))
        results = [tasks.write_campaign(context, c) for c in summary["campaigns_to_write"]]
        return sum(r["control"] + 2 * r["target"] for r in results)

    def row_by_row(campaign_count=None) -> int:
        """The seed's loop over the first ``campaign_count`` campaigns (all by default), replacing their rows."""
        campaigns = tasks.find_active_campaigns(context)
        with ctx.connect() as conn:  # the seed's shape: both sets into Python, subtract, shuffle, split
            eligible = {
                r[0] for r in conn.execute("SELECT DISTINCT iin FROM spss_user_dracrm.sc_1_120 WHERE count_day = 5")
            }
            assigned = {
                r[0]
                for t in TABLES[:2]
                for r in conn.execute(f"SELECT iin FROM {t} WHERE date_start < %(d)s AND date_end >= %(d)s", {"d": day})
            }
        plans = build_distribution_plan(sorted(eligible - assigned), [c["theory_id"] for c in campaigns], day)
        planned = list(zip(campaigns, plans, strict=True))[:campaign_count]
        written = 0
        with ctx.connect() as conn:
            theory_ids = [group_theory_id(plan.theory_id, g) for _, plan in planned for g in GROUPS]
            for table in TABLES:
                conn.execute(
                    f"DELETE FROM bench_baseline.{table.split('.')[1]} WHERE theory_id = ANY(%s)", (theory_ids,)
                )
            conn.commit()
            for campaign, plan in planned:
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
                            written += 1
        return written

    def sampled_rtt_baseline() -> float:
        """The full loop through the proxy would take ~2 minutes (2 round trips a row). Instead: the plan
        alone (the loop over no campaign), plus one campaign of ten's rows scaled to all rows (every row
        costs the same two round trips)."""
        with ctx.connect() as conn:  # all rows, as the local run of the loop wrote them
            total = sum(
                conn.execute(f"SELECT count(*) FROM bench_baseline.{t.split('.')[1]}").fetchone()[0] for t in TABLES
            )
        _, plan_seconds = timed(lambda: row_by_row(0))
        sample_rows, seconds = timed(lambda: row_by_row(SAMPLE_CAMPAIGNS))
        return plan_seconds + (seconds - plan_seconds) * total / sample_rows

    with ctx.connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_baseline CASCADE")
        conn.execute("CREATE SCHEMA bench_baseline")
        for table in TABLES:
            conn.execute(f"CREATE TABLE bench_baseline.{table.split('.')[1]} (LIKE {table} INCLUDING ALL)")
        conn.commit()
    written, timings = measure(
        ctx, almanac_distribution, row_by_row, reset=clear_output, rtt_baseline=sampled_rtt_baseline
    )
    scans = [
        ("SELECT count(DISTINCT iin) FROM spss_user_dracrm.sc_1_120 WHERE count_day = 5", None),
        *(
            (f"SELECT count(iin) FROM {t} WHERE date_start < %(d)s AND date_end >= %(d)s", {"d": day})
            for t in TABLES[:2]
        ),
    ]
    floor = floor_seconds(ctx.connect, scans, [(t, "date_start = %(d)s", {"d": day}) for t in TABLES])
    with ctx.connect() as conn:
        same = ""
        if ctx.baselines:  # the local run's rows, the sampled campaign rewritten through the proxy
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
            same = "; same rows" if not differences else f"; DIFFERENT rows: {differences}"
        conn.execute("DROP SCHEMA bench_baseline CASCADE")
        conn.commit()
    return [
        Workload(
            "softcollection: plan + three tables",
            f"{users} users, {len(CAMPAIGNS)} campaigns",
            **timings,
            floor_seconds=floor,
            note=f"{written} rows; baseline = same plan, INSERT + commit per row (RTT view: {SAMPLE_CAMPAIGNS} of"
            f" {len(CAMPAIGNS)} campaigns, scaled by rows){same}",
        )
    ]
