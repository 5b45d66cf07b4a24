"""What the discourse DAG tests share: the DAG ids, the tables users read, and the status flags."""

from __future__ import annotations

import datetime as dt

RESET, REFRESH = "discourse_trimester_reset", "discourse_daily_refresh"
READERS = (
    "discourse.courses ORDER BY category_id",
    "discourse.users ORDER BY user_id",
    "discourse.user_metrics ORDER BY trimester_id, category_id, user_id",
    "discourse.platform_scores ORDER BY trimester_id, user_id",
)


def readers(warehouse) -> dict[str, list[tuple]]:
    """Every row of every table the frontend reads."""
    return {q: warehouse.query(f"SELECT * FROM {q}") for q in READERS}


def status(warehouse) -> dict:
    row = warehouse.query(
        "SELECT last_refresh_date, user_actions_loaded, reset_failed, reset_failure_reason,"
        " live_version_id FROM discourse.system_status"
    )[0]
    return dict(zip(("last_refresh_date", "loaded", "failed", "reason", "live"), row, strict=True))


def at(y, m, d, hh=3, mm=30) -> dt.datetime:
    """A logical date in UTC (03:30 is the reset's schedule)."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC)
