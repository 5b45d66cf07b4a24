"""Airflow pools the project needs; ``make run`` creates them (``airflow pools set``) and
docker-compose's init does the same. Each entry: name → (slots, description)."""

from __future__ import annotations

#: The pool every task that calls the forum's Data Explorer runs in.
DISCOURSE_API_POOL = "discourse_api"

POOLS: dict[str, tuple[int, str]] = {
    DISCOURSE_API_POOL: (
        4,
        "Caps concurrent Discourse Data Explorer calls (the forum's API rate limit; 4 parallel queries).",
    ),
}
