"""Pure pieces of the tutoring job: the performance tier, batching, and the run summary.

Performance tier — a composite score from 0 to 100, the weighted mean of the components a window has:

=====================  ======  ==========================================================
component              weight  value (0–100)
=====================  ======  ==========================================================
rating                 0.35    (avg_rating − 1) / 4 · 100
objectives             0.20    learning_objectives_met_pct
first sessions         0.15    first_session_success_rate
engagement             0.15    engagement_score
reliability            0.15    max(0, 100 − 2 · reschedule_rate − 2 · no-show %)
=====================  ======  ==========================================================

A component without data (no rated session, no first session…) is left out and the weights of the
others are scaled up, so a tutor is not punished for what did not happen. Tiers: ≥ 85 Exemplary,
≥ 70 Strong, ≥ 55 Developing, ≥ 40 Needs Attention, else At Risk; no tier (NULL) without a
completed session in the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

WEIGHTS = {"rating": 0.35, "objectives": 0.20, "first_sessions": 0.15, "engagement": 0.15, "reliability": 0.15}
TIER_THRESHOLDS = ((85.0, "Exemplary"), (70.0, "Strong"), (55.0, "Developing"), (40.0, "Needs Attention"))
LOWEST_TIER = "At Risk"
#: metric_window → its length in days; window N covers scheduled_start in [R − N days, R).
WINDOW_DAYS = {"7day": 7, "30day": 30, "90day": 90}
WINDOWS = tuple(WINDOW_DAYS)


def composite_score(metrics: Mapping[str, Any]) -> float | None:
    """The 0–100 composite of one (tutor, window)'s metrics; None without data. The DAG computes it in SQL
    (save_window_metrics.sql); this is the formula's reference, used by the benchmark's baseline."""
    if not metrics["sessions_completed"]:
        return None
    valid = metrics["valid_sessions"] or 0
    no_show_pct = 100.0 * metrics["no_show_count"] / valid if valid else 0.0
    reschedule = metrics["reschedule_rate"] or 0.0
    components = {
        "rating": None if metrics["avg_rating"] is None else (float(metrics["avg_rating"]) - 1.0) / 4.0 * 100.0,
        "objectives": metrics["learning_objectives_met_pct"],
        "first_sessions": metrics["first_session_success_rate"],
        "engagement": metrics["engagement_score"],
        "reliability": max(0.0, 100.0 - 2.0 * float(reschedule) - 2.0 * no_show_pct),
    }
    total = total_weight = 0.0  # summed left to right, as save_window_metrics.sql does (sum() may not)
    for name, value in components.items():
        if value is not None:
            total += WEIGHTS[name] * float(value)
            total_weight += WEIGHTS[name]
    return total / total_weight


def performance_tier(score: float | None) -> str | None:
    if score is None:
        return None
    for threshold, tier in TIER_THRESHOLDS:
        if score >= threshold:
            return tier
    return LOWEST_TIER


DEFAULT_BATCH_SIZE = 1000  # 5,000 tutors → 5 mapped instances; one failing batch fails alone
#: Without a batch_size param, larger populations get larger batches rather than more of them: sessions
#: are stored in time order, so every batch reads the pages of the whole 90 days (50,000 tutors: 50 batches
#: of 1,000 took 12.7–13.3 s, 10 of 5,000 10.5 s), and each mapped instance costs a task start-up.
MAX_AUTOMATIC_BATCHES = 10


@dataclass(frozen=True)
class MetricsRequest:
    """The run's params, typed: every task reads them through this one place. The reference date comes
    from the run (``business_date`` with the ``date`` override), not from here."""

    tutor_ids: tuple[str, ...] | None
    include_inactive: bool
    cleanup: bool
    retention_days: int
    batch_size: int | None  # None: automatic_batch_size

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> MetricsRequest:
        requested = params.get("tutor_ids")
        return cls(
            tutor_ids=tuple(requested) if requested else None,
            include_inactive=bool(params.get("include_inactive")),
            cleanup=bool(params.get("cleanup")),
            retention_days=int(params.get("retention_days") or 90),
            batch_size=int(params["batch_size"]) if params.get("batch_size") else None,
        )

    def unknown_ids(self, selected: Iterable[str]) -> list[str]:
        """Requested ids that were not selected (unknown, or inactive without include_inactive)."""
        return sorted(set(self.tutor_ids or ()) - set(selected))


def automatic_batch_size(tutors: int) -> int:
    """1,000 tutors a batch, or as many as make MAX_AUTOMATIC_BATCHES batches when there are more."""
    return max(DEFAULT_BATCH_SIZE, math.ceil(tutors / MAX_AUTOMATIC_BATCHES))


def batches(tutor_ids: Sequence[str], batch_size: int) -> list[dict[str, Any]]:
    """Split the ordered tutor ids into mapped-task inputs with a readable label ("tutors 1–1000 of 5000")."""
    total = len(tutor_ids)
    return [
        {
            "label": f"tutors {start + 1}–{min(start + batch_size, total)} of {total}",
            "tutor_ids": list(tutor_ids[start : start + batch_size]),
        }
        for start in range(0, total, batch_size)
    ]


@dataclass
class AggregationSummary:
    """The seed's AggregationSummary, as the run's XCom (counts only, no tutor names)."""

    run_date: str
    total_tutors: int
    successful: int
    failed: int
    total_metrics_saved: int
    total_runtime_seconds: float
    excluded_sessions: int
    tutors_with_excluded_sessions: int
    unknown_tutor_ids: int = 0
    failed_batches: list[str] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return round(100.0 * self.successful / self.total_tutors, 2) if self.total_tutors else 100.0

    @property
    def nothing_to_do(self) -> str | None:
        """Why a green run computed nothing (no tutor selected), else None."""
        return None if self.total_tutors else "no tutor selected (none active, or none of the requested tutor_ids)"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "success_rate": self.success_rate, "nothing_to_do": self.nothing_to_do}

    def log_block(self) -> list[str]:
        rule = "=" * 80
        return [
            rule,
            "DAILY AGGREGATION SUMMARY",
            rule,
            f"Run date: {self.run_date}",
            f"Total tutors: {self.total_tutors}",
            f"Successful: {self.successful}",
            f"Failed: {self.failed}" + (f" (batches: {', '.join(self.failed_batches)})" if self.failed_batches else ""),
            f"Total metrics saved: {self.total_metrics_saved}",
            f"Success rate: {self.success_rate:.2f}%",
            f"Total runtime: {self.total_runtime_seconds:.2f}s",
            f"Excluded sessions (out-of-range values): {self.excluded_sessions} "
            f"across {self.tutors_with_excluded_sessions} tutors",
            f"Unknown tutor ids requested: {self.unknown_tutor_ids}",
            *([f"Nothing to do: {self.nothing_to_do}"] if self.nothing_to_do else []),
            rule,
        ]
