"""Fixtures of the discourse DAG tests (test_discourse_dags, test_discourse_faults)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from almanac.demo.discourse_fake_server import FakeDiscourse


@pytest.fixture(scope="module")
def fake_discourse():
    server = FakeDiscourse(
        courses=4,
        users=40,
        start=dt.date(2025, 5, 1),
        horizon=dt.date(2026, 3, 10),
        actions_per_course_day=3,
        rate_limit=None,  # the tests that want 429s set one
    ).start()
    yield server
    server.stop()


@pytest.fixture
def forum(warehouse, fake_discourse, monkeypatch):
    """The fake Discourse healed and forgetting its requests, and the discourse tables as on a fresh install."""
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(fake_discourse.connection()))
    monkeypatch.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("ALMANAC_DISCOURSE_JITTER_SECONDS", "0.05")
    warehouse.empty_discourse()
    fake_discourse.heal()
    fake_discourse.clear_records()
    fake_discourse.generation = "core"
    fake_discourse.set_rate_limit(None)
    return fake_discourse
