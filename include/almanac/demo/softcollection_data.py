"""Synthetic SoftCollection data for ``make run`` / ``make demo`` and the benchmark: a few campaigns (one
expired, one in the future), SC_1_120 rows with duplicates and other COUNT_DAY values. The IINs are
synthetic 12-digit strings from a seeded generator, not real people."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from almanac.db import copy_rows

DEMO_RUN = dt.datetime(2026, 3, 16, 4, tzinfo=dt.UTC)  # 09:00 in Asia/Almaty on 2026-03-16

DEMO_RUNS = [("softcollection_daily_distribution", DEMO_RUN, {})]
OUTPUT_TABLES = ["dssb_app.sc_local_control", "dssb_app.sc_local_target", "spss.sc_theory_users"]

CAMPAIGNS = [
    ("SC00000001", "Early reminder", dt.date(2026, 3, 1), dt.date(2026, 4, 30)),
    ("SC00000002", "Second notice", dt.date(2026, 2, 15), dt.date(2026, 3, 31)),
    ("SC00000003", "Soft call", dt.date(2026, 3, 10), dt.date(2026, 6, 30)),
    ("SC00000000", "Winter campaign (expired)", dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
    ("SC00000009", "Summer campaign (future)", dt.date(2026, 6, 1), dt.date(2026, 8, 31)),
]


def synthetic_iins(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(n)]


def generate(conn: Any, *, eligible: int = 3000, others: int = 1000, campaigns=CAMPAIGNS, seed: int = 7) -> dict:
    """Replace the SoftCollection tables' contents: ``eligible`` distinct COUNT_DAY = 5 IINs (some listed
    twice), ``others`` rows with other COUNT_DAY values."""
    rng = random.Random(seed)
    iins = synthetic_iins(eligible + others, seed)
    rows = [(iin, 5) for iin in iins[:eligible]]
    rows += [(iin, 5) for iin in rng.sample(iins[:eligible], eligible // 20)]  # duplicates
    rows += [(iin, rng.choice([1, 2, 3, 4, 6, 7])) for iin in iins[eligible:]]
    with conn.cursor() as cur:
        cur.execute(
            "TRUNCATE dssb_app.softcollection_theories, spss_user_dracrm.sc_1_120, dssb_app.sc_local_control,"
            " dssb_app.sc_local_target, spss.sc_theory_users"
        )
        copy_rows(
            cur,
            "dssb_app.softcollection_theories",
            ["theory_id", "theory_name", "theory_start_date", "theory_end_date"],
            campaigns,
        )
        copy_rows(cur, "spss_user_dracrm.sc_1_120", ["iin", "count_day"], rows)
    return {"campaigns": len(campaigns), "sc_1_120_rows": len(rows), "eligible_iins": eligible}


def load(conn: Any) -> dict:
    return generate(conn)
