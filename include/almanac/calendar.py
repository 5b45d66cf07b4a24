"""Business dates and trimesters: pure functions, no Airflow imports at module level.

Business dates come from the run, never from the wall clock (docs/contracts.md#business-dates). A cron schedule gives
``CronTriggerTimetable``, whose data interval is a point, so every DAG derives its date from
``data_interval_end``. A run triggered without a logical date has no ``data_interval_*`` keys in its
context at all; ``dag_run.run_after`` stands in for it, so "trigger now" works everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


def run_reference_time(context: Mapping[str, Any]) -> dt.datetime:
    """The instant a run stands for: ``data_interval_end``, else ``dag_run.run_after`` (tz-aware)."""
    moment = context.get("data_interval_end")
    if moment is None:
        moment = context["dag_run"].run_after
    if moment.tzinfo is None:  # defensive: Airflow always hands out aware datetimes
        moment = moment.replace(tzinfo=UTC)
    return moment


def business_date(
    context: Mapping[str, Any], tz: str = "UTC", days_before: int = 0, override_param: str | None = None
) -> dt.date:
    """The run's date in ``tz``, minus ``days_before`` days (e.g. 1 for "the last full day").

    With ``override_param``, a date (YYYY-MM-DD) given in that DAG param wins, as is, for runs that
    recompute another day on purpose, but never a date after the run's own: a typo such as 2062 for 2026
    would otherwise move almanac's watermarks years ahead, where every later run leaves them (the run
    fails without retry, naming the param).
    """
    own = run_reference_time(context).astimezone(ZoneInfo(tz)).date() - dt.timedelta(days=days_before)
    requested = context.get("params", {}).get(override_param) if override_param else None
    if not requested:
        return own
    day = dt.date.fromisoformat(requested)
    if day > own:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{override_param}: {day} is after this run's own date {own} ({tz})")
    return day


def start_of_day(day: dt.date, tz: str = "UTC") -> dt.datetime:
    """Midnight at the start of ``day`` in ``tz``: the boundary a date's half-open time range begins at."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tz))


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week containing ``day``."""
    return day - dt.timedelta(days=day.weekday())


# --- trimesters (docs/discourse.md#trimesters): t1 = Jan 1–Apr 30, t2 = May 1–Aug 31, t3 = Sep 1–Dec 31 ---

TRIMESTER_START_MONTHS = (1, 5, 9)


@dataclass(frozen=True, order=True)
class Trimester:
    """One trimester; ``end`` is exclusive so ``[start, end)`` matches Discourse's query params."""

    year: int
    number: int  # 1, 2 or 3

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3):
            raise ValueError(f"trimester number must be 1, 2 or 3, got {self.number}")

    @classmethod
    def containing(cls, day: dt.date) -> Trimester:
        return cls(day.year, (day.month - 1) // 4 + 1)

    @classmethod
    def parse(cls, trimester_id: str) -> Trimester:
        """Inverse of :attr:`id`: ``"t3-2025"`` → ``Trimester(2025, 3)``."""
        number, year = trimester_id.removeprefix("t").split("-")
        return cls(int(year), int(number))

    @property
    def id(self) -> str:
        return f"t{self.number}-{self.year}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, TRIMESTER_START_MONTHS[self.number - 1], 1)

    @property
    def end(self) -> dt.date:
        """First day after the trimester (exclusive bound)."""
        return self.next().start

    def next(self) -> Trimester:
        return Trimester(self.year + 1, 1) if self.number == 3 else Trimester(self.year, self.number + 1)

    def previous(self) -> Trimester:
        return Trimester(self.year - 1, 3) if self.number == 1 else Trimester(self.year, self.number - 1)


def is_trimester_start(day: dt.date) -> bool:
    """Jan 1, May 1 and Sep 1: the days the full reset owns."""
    return day.day == 1 and day.month in TRIMESTER_START_MONTHS


def reset_trimesters(day: dt.date) -> list[Trimester]:
    """The trimesters a reset on ``day`` rebuilds: current first, then the two previous ones."""
    current = Trimester.containing(day)
    return [current, current.previous(), current.previous().previous()]
