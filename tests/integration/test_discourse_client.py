"""The Data Explorer client against the fake server over real HTTP: headers, retries, errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from almanac.demo.discourse_fake_server import FakeDiscourse
from almanac.discourse.client import DataExplorerClient, DataExplorerError

pytestmark = pytest.mark.integration


@pytest.fixture
def server(monkeypatch):
    fake = FakeDiscourse(courses=2, users=5, start=dt.date(2026, 1, 1), horizon=dt.date(2026, 1, 3)).start()
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(fake.connection()))
    monkeypatch.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
    yield fake
    fake.stop()


def test_query_params_and_records(server):
    rows = DataExplorerClient().run(
        "user_actions", {"category_id": 10, "start_date": "2026-01-01", "end_date": "2026-01-02"}
    )
    assert rows
    assert set(rows[0]) == {"user_id", "action_type", "target_post_id", "target_topic_id", "created_at"}
    assert all(r["created_at"].startswith("2026-01-01") for r in rows)
    assert server.requests[-1] == {
        "query_id": 103,
        "params": {"category_id": 10, "start_date": "2026-01-01", "end_date": "2026-01-02"},
        "rows": len(rows),
    }


def test_wrong_credentials_are_refused_by_the_server(server, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps({**server.connection(), "password": "wrong"}))
    with pytest.raises(DataExplorerError, match="HTTP 403"):
        DataExplorerClient().run("users")


def test_5xx_is_retried_then_reported(server):
    server.fail(108, "429")
    with pytest.raises(DataExplorerError, match=r"query #108 \(users\): HTTP 429 after 5 attempts"):
        DataExplorerClient().run("users")
