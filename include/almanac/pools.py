"""Airflow pools the project needs; ``make run`` creates them (``airflow pools set``) and
docker-compose's init does the same. Each entry: name → (slots, description)."""

from __future__ import annotations

POOLS: dict[str, tuple[int, str]] = {
    "discourse_api": (
        4,
        "Caps concurrent Discourse Data Explorer calls (the forum's API rate limit; 4 parallel queries).",
    ),
}
