"""The distribution rules of run date D, in Python: who goes to which campaign and group.

Rules (docs/softcollection.md#distribution-rules-ds-plan): order the eligible IINs by the MD5 digest of
``"<YYYYMMDD of D>:<IIN>"`` (a shuffle seeded by D: the same D and the same IINs always give the same
order, whatever order the database returns them in), split them equally over the active campaigns
ordered by theory_id (base = n // k, the last campaign takes the remainder), then each campaign's share
equally over groups A–E the same way (group E takes the remainder). THEORY_ID = ``<theory_id>.<1..5>``
for A..E.

The DAG computes the plan in the database (``statements.insert_plan``: one INSERT … SELECT, so half a
million IINs never pass through this process); :func:`build_distribution_plan` is the same rules over a
list, the reference the SQL is tested against and what the benchmark's seed-shaped baseline uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GROUPS = ("A", "B", "C", "D", "E")
CONTROL_GROUP = "A"


def equal_split(n: int, parts: int) -> list[int]:
    """Sizes of ``parts`` shares of ``n``: base = n // parts each, the last one takes the remainder."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base = n // parts
    return [base] * (parts - 1) + [n - base * (parts - 1)]


def shuffle_seed(run_date: dt.date) -> str:
    """The prefix every IIN is hashed with on D: ``"YYYYMMDD:"``."""
    return run_date.strftime("%Y%m%d") + ":"


def shuffle_key(run_date: dt.date, iin: str) -> tuple[bytes, str]:
    """An IIN's place in D's shuffled order (the IIN breaks the, in practice absent, digest ties)."""
    return hashlib.md5((shuffle_seed(run_date) + iin).encode(), usedforsecurity=False).digest(), iin


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
    pool = sorted(set(iins), key=lambda iin: shuffle_key(run_date, iin))
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


@dataclass
class PlanDecision:
    """The stored plan of run date D: its day row and users per campaign and group, never its IINs."""

    run_date: dt.date
    campaigns: int  # campaigns active on D when it was planned
    eligible_users: int
    already_assigned: int
    invalid_iins: int  # COUNT_DAY = 5 rows without a valid IIN, left out
    planned_at: dt.datetime  # the INSERT_DATETIME of every row written for D
    run_id: str
    end_dates: dict[str, dt.date]  # campaign → DATE_END
    per_campaign: dict[str, dict[str, int]]  # campaign (with at least one user) → group → users

    @property
    def users_distributed(self) -> int:
        return sum(sum(groups.values()) for groups in self.per_campaign.values())

    def summary(self, dry_run: bool) -> dict[str, Any]:
        return {
            "run_date": self.run_date.isoformat(),
            "campaigns": self.campaigns,
            "eligible_users": self.eligible_users,
            "already_assigned": self.already_assigned,
            "invalid_iins_excluded": self.invalid_iins,
            "users_to_distribute": self.users_distributed,
            "per_campaign": self.per_campaign,
            "planned_by": self.run_id,
            "dry_run": dry_run,
        }

    def campaign_list(self) -> list[dict[str, str]]:
        """The campaigns the mapped writers go over: those with users in the plan, by theory_id."""
        return [{"theory_id": c, "end_date": self.end_dates[c].isoformat()} for c in sorted(self.per_campaign)]

    @classmethod
    def from_rows(cls, day: Mapping[str, Any], groups: Sequence[Sequence[Any]]) -> PlanDecision:
        """A stored plan from its day row and its (campaign_id, theory_id, date_end, users) counts."""
        counts: dict[str, dict[str, int]] = {}
        ends: dict[str, dt.date] = {}
        for campaign, theory_id, date_end, users in groups:
            group = GROUPS[int(theory_id.rsplit(".", 1)[1]) - 1]
            counts.setdefault(campaign, dict.fromkeys(GROUPS, 0))[group] = users
            ends[campaign] = date_end
        return cls(
            run_date=day["run_date"],
            campaigns=day["campaigns"],
            eligible_users=day["eligible_users"],
            already_assigned=day["already_assigned"],
            invalid_iins=day["invalid_iins"],
            planned_at=day["planned_at"],
            run_id=day["run_id"],
            end_dates=ends,
            per_campaign=counts,
        )
