"""The distribution plan (pure): who goes to which campaign and group on run date D.

Rules (DESIGN.md §4.3): shuffle the eligible IINs with a seed derived from D (the same D always gives the
same plan), split them equally over the active campaigns ordered by theory_id (base = n // k, the last
campaign takes the remainder), then each campaign's share equally over groups A–E the same way (group E
takes the remainder). THEORY_ID = ``<theory_id>.<1..5>`` for A..E.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

GROUPS = ("A", "B", "C", "D", "E")
CONTROL_GROUP = "A"


def equal_split(n: int, parts: int) -> list[int]:
    """Sizes of ``parts`` shares of ``n``: base = n // parts each, the last one takes the remainder."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base = n // parts
    return [base] * (parts - 1) + [n - base * (parts - 1)]


def shuffle_seed(run_date: dt.date) -> int:
    return int(run_date.strftime("%Y%m%d"))


def group_theory_id(theory_id: str, group: str) -> str:
    return f"{theory_id}.{GROUPS.index(group) + 1}"


@dataclass
class CampaignPlan:
    theory_id: str
    groups: dict[str, list[str]] = field(default_factory=dict)  # group → IINs

    def counts(self) -> dict[str, int]:
        return {g: len(self.groups.get(g, [])) for g in GROUPS}

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def build_distribution_plan(iins: Sequence[str], theory_ids: Sequence[str], run_date: dt.date) -> list[CampaignPlan]:
    """The plan for D: one CampaignPlan per campaign, in theory_id order; every IIN exactly once."""
    if not theory_ids:
        return []
    pool = sorted(set(iins))  # a canonical order first, so the database's row order cannot matter
    random.Random(shuffle_seed(run_date)).shuffle(pool)
    plans = []
    start = 0
    for theory_id, size in zip(sorted(theory_ids), equal_split(len(pool), len(theory_ids)), strict=True):
        share = pool[start : start + size]
        start += size
        plan = CampaignPlan(theory_id)
        offset = 0
        for group, group_size in zip(GROUPS, equal_split(len(share), len(GROUPS)), strict=True):
            plan.groups[group] = share[offset : offset + group_size]
            offset += group_size
        plans.append(plan)
    return plans
