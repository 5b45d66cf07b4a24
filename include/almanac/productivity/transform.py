"""Pure pieces of the productivity recalculation: resolving and checking a request, chunking a range."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: Stage names a `tables` param may list, in the seed's dependency order.
STAGES = (
    "daily_scores",
    "idle_periods",
    "alerts",
    "employee_hourly_costs",
    "employee_primary_roles",
    "employee_current_status",
    "cache",
)
#: A longer range is refused at the first task; split it into several runs (≈ a year of 7-day chunks
#: stays well under max_map_length).
MAX_RANGE_DAYS = 366
CHUNK_DAYS = 7


class InvalidRequestError(ValueError):
    """A request the params' JSON schema could not reject; the message names the field."""


@dataclass(frozen=True)
class Request:
    start_date: dt.date
    end_date: dt.date
    tables: tuple[str, ...]
    clear_existing: bool

    def selects(self, stage: str) -> bool:
        return stage in self.tables

    def to_xcom(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            start_date=self.start_date.isoformat(), end_date=self.end_date.isoformat(), tables=list(self.tables)
        )
        return data

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            dt.date.fromisoformat(data["start_date"]),
            dt.date.fromisoformat(data["end_date"]),
            tuple(data["tables"]),
            bool(data["clear_existing"]),
        )


def resolve_request(params: Mapping[str, Any], yesterday: dt.date) -> Request:
    """Defaults and cross-field rules: end_date defaults to yesterday (Chicago), start_date to end_date;
    end_date may be at most the run's own date (today, for a manual run triggered now)."""
    end = dt.date.fromisoformat(params["end_date"]) if params.get("end_date") else yesterday
    start = dt.date.fromisoformat(params["start_date"]) if params.get("start_date") else end
    if end < start:
        raise InvalidRequestError(f"end_date {end} is before start_date {start}")
    if end > yesterday + dt.timedelta(days=1):  # would move the primary roles' watermark ahead of every later run
        raise InvalidRequestError(f"end_date {end} is after this run's own date {yesterday + dt.timedelta(days=1)}")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequestError(
            f"end_date: the range {start}..{end} spans {(end - start).days + 1} days; at most {MAX_RANGE_DAYS} per run"
        )
    tables = list(params.get("tables") or ["all"])
    if "all" in tables and len(tables) > 1:
        raise InvalidRequestError(f"tables: 'all' cannot be combined with other names, got {tables}")
    unknown = sorted(set(tables) - set(STAGES) - {"all"})
    if unknown:
        raise InvalidRequestError(f"tables: unknown table name(s) {unknown}; known: {list(STAGES)}")
    selected = STAGES if tables == ["all"] else tuple(s for s in STAGES if s in tables)
    return Request(start, end, selected, bool(params.get("clear_existing", True)))


def chunk_range(start: dt.date, end: dt.date, days: int = CHUNK_DAYS) -> list[dict[str, str]]:
    """Consecutive [start, end] chunks of at most ``days`` days covering the range, with a label."""
    chunks = []
    current = start
    while current <= end:
        last = min(current + dt.timedelta(days=days - 1), end)
        label = current.isoformat() if last == current else f"{current.isoformat()}..{last.isoformat()}"
        chunks.append({"start_date": current.isoformat(), "end_date": last.isoformat(), "label": label})
        current = last + dt.timedelta(days=1)
    return chunks
