"""Discourse demo: the sources live in the fake Data Explorer server, started by ``start_services``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from typing import Any

from almanac.demo.discourse_fake_server import REAL_RATE_LIMIT, FakeDiscourse

DEMO_RUNS = [
    ("discourse_trimester_reset", dt.datetime(2026, 1, 1, 3, 30, tzinfo=dt.UTC), {}),
    ("discourse_daily_refresh", dt.datetime(2026, 1, 2, 3, 15, tzinfo=dt.UTC), {}),
]
OUTPUT_TABLES = ["discourse.courses", "discourse.users", "discourse.user_metrics", "discourse.platform_scores"]


def load(conn: Any) -> dict:
    return {"sources": "served by the fake Discourse server"}


def start_services(stack: contextlib.ExitStack) -> tuple[FakeDiscourse, dict[str, str]]:
    """Start the fake Discourse server (stopped by ``stack``); returns it and the env vars that point
    the ``discourse_api`` connection at it (and shorten the client's retry waits for the demo)."""
    # As a production forum answers: Data Explorer bundled in core, 60 admin API requests per minute.
    server = FakeDiscourse(horizon=dt.date(2026, 3, 16), generation="core", rate_limit=REAL_RATE_LIMIT).start()
    stack.callback(server.stop)
    print(
        f"fake Discourse on {server.url} (fault it: curl -X POST -H 'Api-Key: demo-api-key' "
        f"'{server.url}/_fake/fail?query_id=103&mode=500'; heal: .../_fake/heal)",
        flush=True,
    )
    return server, {
        "AIRFLOW_CONN_DISCOURSE_API": json.dumps(server.connection()),
        "ALMANAC_DISCOURSE_RETRY_BASE_SECONDS": os.environ.get("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0.5"),
    }
