"""The Data Explorer client against the strict fake server over real HTTP, in both plugin generations:
the wire format, completeness (splitting and paging), 429 waits, and how each error shape surfaces.
The last tests pin the fake's own strictness to what the plugin's source does."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from almanac.demo.discourse_fake_server import API_KEY, API_USERNAME, GENERATIONS, FakeDiscourse
from almanac.discourse.client import DataExplorerClient, DataExplorerError

pytestmark = pytest.mark.integration

HEADERS = {"Api-Key": API_KEY, "Api-Username": API_USERNAME}
T3 = {"start_date": "2025-09-01", "end_date": "2026-01-01"}


def serve(monkeypatch, **kwargs) -> FakeDiscourse:
    """A started fake (no rate limit unless asked), with the client's connection and fast retries."""
    kwargs = {"courses": 2, "users": 5, "start": dt.date(2026, 1, 1), "horizon": dt.date(2026, 1, 3), **kwargs}
    fake = FakeDiscourse(**{"rate_limit": None, **kwargs}).start()
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(fake.connection()))
    monkeypatch.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("ALMANAC_DISCOURSE_JITTER_SECONDS", "0.05")
    return fake


@pytest.fixture(params=GENERATIONS)
def server(request, monkeypatch):
    fake = serve(monkeypatch, generation=request.param)
    yield fake
    fake.stop()


def action_keys(rows):
    return sorted((r["user_id"], r["action_type"], r["target_post_id"], r["created_at"]) for r in rows)


# --- the wire format ---


def test_params_go_as_strings_with_an_integer_limit_and_download(server):
    rows = DataExplorerClient().run(
        "user_actions", {"category_id": 10, "start_date": dt.date(2026, 1, 1), "end_date": "2026-01-02"}
    )
    assert rows
    assert set(rows[0]) == {"user_id", "action_type", "target_post_id", "target_topic_id", "created_at"}
    assert all(r["created_at"].startswith("2026-01-01") for r in rows)
    assert server.requests[-1] == {
        "query_id": 103,
        "params": {"category_id": "10", "start_date": "2026-01-01", "end_date": "2026-01-02"},
        "rows": len(rows),
        "limit": 10_000,
        "download": True,  # no relations payload behind every *_id column
    }


def test_wrong_credentials_are_refused_by_the_server(server, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps({**server.connection(), "password": "wrong"}))
    with pytest.raises(DataExplorerError, match=r"query #108 \(users\): HTTP 403: .*Api-Key"):
        DataExplorerClient().run("users")


def test_a_page_limit_outside_what_core_accepts_is_refused_before_any_call(server, monkeypatch):
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "ALL")
    with pytest.raises(ValueError, match="ALMANAC_DISCOURSE_PAGE_LIMIT='ALL': must be an integer from 1 to 10000"):
        DataExplorerClient()
    assert server.calls == []


# --- completeness ---


def test_a_course_with_25000_actions_in_one_trimester_is_counted_in_full(server):
    server.add_actions(10, dt.date(2025, 9, 1), dt.date(2026, 1, 1), 25_000, seed=3)
    rows = DataExplorerClient().run("user_actions", {"category_id": 10, **T3})
    assert len(rows) == 25_000
    expected = server.answer(
        103, {"category_id": 10, "start_date": dt.date(2025, 9, 1), "end_date": dt.date(2026, 1, 1)}
    )
    assert action_keys(rows) == action_keys(dict(zip(expected[0], r, strict=True)) for r in expected[1])
    asked = [r for r in server.requests if r["query_id"] == 103]
    assert max(r["rows"] for r in asked) == 10_000  # full pages were split, never kept
    assert {r["limit"] for r in asked} == {10_000}


def test_a_full_one_day_window_fails_naming_query_category_and_day(server, monkeypatch):
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "50")
    server.add_actions(11, dt.date(2026, 1, 5), dt.date(2026, 1, 6), 60)
    client = DataExplorerClient()
    assert (
        len(client.run("user_actions", {"category_id": 11, "start_date": "2026-01-01", "end_date": "2026-01-05"})) < 50
    )
    with pytest.raises(
        DataExplorerError,
        match=r"query #103 \(user_actions\) category 11, window \[2026-01-05, 2026-01-06\): 50 rows on 2026-01-05 "
        r"alone fill a whole page \(limit 50\); a one-day window cannot be split further",
    ):
        client.run("user_actions", {"category_id": 11, "start_date": "2026-01-01", "end_date": "2026-01-10"})


def test_split_engagement_windows_are_summed_per_user(monkeypatch):
    fake = serve(monkeypatch, courses=1, users=6, horizon=dt.date(2026, 1, 9), actions_per_course_day=1)
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "6")
    try:
        rows = DataExplorerClient().run("engagement", {"start_date": "2026-01-01", "end_date": "2026-01-09"})
        columns, whole = fake.answer(102, {"start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 1, 9)})
        assert len(whole) == 6  # the whole window fills a page: it had to be split
        assert len(fake.requests) > 1
        assert [{**r, "time_read_minutes": float(r["time_read_minutes"])} for r in rows] == [
            dict(zip(columns, r, strict=True)) for r in whole
        ]
    finally:
        fake.stop()


def test_users_are_paged_through_after_user_id(monkeypatch):
    fake = serve(monkeypatch, users=25)
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "10")
    try:
        users = DataExplorerClient().run("users")
        assert [u["user_id"] for u in users] == list(range(1, 26))
        assert [r["params"]["after_user_id"] for r in fake.requests] == ["-2147483648", "10", "20"]
    finally:
        fake.stop()


def test_a_users_query_without_the_paging_param_fails_loudly(monkeypatch):
    fake = serve(monkeypatch, users=25)
    fake.declared_params[108] = ()  # an admin's #108 without `-- int :after_user_id`: the param is ignored
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "10")
    try:
        with pytest.raises(
            DataExplorerError,
            match=r"query #108 \(users\) users after id 10: rows are not in ascending user_id order above "
            r"after_user_id=10, so almanac cannot page through the users safely",
        ):
            DataExplorerClient().run("users")
    finally:
        fake.stop()


def test_categories_filling_a_page_fail_loudly(server, monkeypatch):
    monkeypatch.setenv("ALMANAC_DISCOURSE_PAGE_LIMIT", "6")  # 2 courses + 4 other categories
    with pytest.raises(DataExplorerError, match=r"query #107 \(categories\): 6 rows fill a whole page \(limit 6\)"):
        DataExplorerClient().run("categories")


# --- rate limit ---


def test_a_429_storm_is_survived_by_waiting_what_the_server_says(monkeypatch):
    fake = serve(monkeypatch, rate_limit=(4, 1.0))
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(seconds)

    try:
        client = DataExplorerClient(sleep=sleep)
        for _ in range(10):
            assert len(client.run("categories")) == 6
        # 4 requests per second: calls 5 and 9 are refused once each, and each wait frees the window
        assert fake.refused == client.refusals == 2
        asked = [c["retry_after"] for c in fake.calls if c["status"] == 429]
        assert len(slept) == 2
        assert all(s >= a for s, a in zip(slept, asked, strict=True))
    finally:
        fake.stop()


def test_the_wait_cap_fails_saying_how_long_it_waited(monkeypatch):
    fake = serve(monkeypatch, rate_limit=(1, 1.0))
    monkeypatch.setenv("ALMANAC_DISCOURSE_MAX_WAIT_SECONDS", "1.5")
    try:
        client = DataExplorerClient()
        client.run("categories")
        client.run("categories")  # refused once, waits ~1 s
        with pytest.raises(
            DataExplorerError,
            match=r"query #107 \(categories\): still rate-limited \(HTTP 429\) after waiting 1\.\d s in this task; "
            r"the forum asks for 1 s more, past the 1\.5 s cap \(ALMANAC_DISCOURSE_MAX_WAIT_SECONDS\)",
        ):
            client.run("categories")
        assert fake.refused == 2
    finally:
        fake.stop()


# --- error shapes: each names the query and the window ---


@pytest.mark.parametrize(
    ("break_forum", "name", "params", "message"),
    [
        (
            lambda fake, env: env.setenv("ALMANAC_DISCOURSE_QUERY_ENGAGEMENT", "999"),
            "engagement",
            T3,
            r"query #999 \(engagement\) window \[2025-09-01, 2026-01-01\): HTTP 404: Not Found \(the forum has no "
            r"Data Explorer query #999: .*ALMANAC_DISCOURSE_QUERY_ENGAGEMENT\)",
        ),
        (
            lambda fake, env: None,
            "user_actions",
            T3,  # no category_id
            r"query #103 \(user_actions\) window \[2025-09-01, 2026-01-01\): HTTP 422: DiscourseDataExplorer::"
            r"ValidationError: Missing parameter category_id of type int \(the query's -- \[params\] block must match",
        ),
        (
            lambda fake, env: fake.fail(103, "422", category_id=11),
            "user_actions",
            {"category_id": 11, **T3},
            r"query #103 \(user_actions\) category 11, window \[2025-09-01, 2026-01-01\): HTTP 422: ERROR:  "
            r"canceling statement due to statement timeout \(the forum stops every Data Explorer query after 10 s\)",
        ),
    ],
    ids=["unknown-query", "param-missing", "statement-timeout"],
)
def test_each_error_shape_names_query_and_window_and_is_not_retried(
    server, monkeypatch, break_forum, name, params, message
):
    break_forum(server, monkeypatch)
    with pytest.raises(DataExplorerError, match=message):
        DataExplorerClient().run(name, params)
    assert len(server.calls) == 1


def test_5xx_is_retried_then_reported(server):
    server.fail(102, "500")
    with pytest.raises(
        DataExplorerError,
        match=r"query #102 \(engagement\) window \[2025-09-01, 2026-01-01\): HTTP 500 after 5 attempts: "
        r"Internal Server Error",
    ):
        DataExplorerClient().run("engagement", T3)
    assert [c["status"] for c in server.calls] == [500] * 5


def test_a_malformed_answer_names_query_and_column(server):
    server.fail(108, "malformed")
    with pytest.raises(DataExplorerError, match=r"query #108 \(users\): missing column 'user_id'"):
        DataExplorerClient().run("users")


# --- the fake is as strict as the plugin (its source, cited in the fake's docstring) ---


def post(fake, query_id, form):
    return requests.post(f"{fake.url}/admin/plugins/explorer/queries/{query_id}/run", data=form, headers=HEADERS)


ONE_DAY = json.dumps({"category_id": "10", "start_date": "2026-01-01", "end_date": "2026-01-02"})


@pytest.mark.parametrize(
    ("generation", "limit", "status", "rows"),
    [
        ("core", None, 200, 1000),  # absent: data_explorer_query_result_limit
        ("core", "1200", 200, 1200),
        ("core", "ALL", 400, None),
        ("core", "10001", 400, None),
        ("core", "abc", 400, None),
        ("standalone", None, 200, 1000),
        ("standalone", "ALL", 200, 1500),
        ("standalone", "10001", 200, 1500),
        ("standalone", "abc", 200, 0),  # "abc".to_i == 0: LIMIT 0
    ],
)
def test_the_fake_limits_rows_like_each_generation(monkeypatch, generation, limit, status, rows):
    fake = serve(monkeypatch, generation=generation, courses=1, horizon=dt.date(2026, 1, 1))
    fake.add_actions(10, dt.date(2026, 1, 1), dt.date(2026, 1, 2), 1500)
    try:
        answer = post(fake, 103, {"params": ONE_DAY, "download": "1", **({"limit": limit} if limit else {})})
        assert answer.status_code == status
        if status == 400:
            assert answer.json() == {
                "errors": ["You supplied invalid parameters to the request: limit"],
                "error_type": "invalid_parameters",
            }
        else:
            body = answer.json()
            assert len(body["rows"]) == body["result_count"] == rows
            assert body["default_limit"] == 1000
    finally:
        fake.stop()


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        (
            {"category_id": 10, "start_date": "2026-01-01", "end_date": "2026-01-02"},
            500,
            {"status": 500, "error": "Internal Server Error"},  # `downcase` on an Integer
        ),
        (
            {"start_date": "2026-01-01", "end_date": "2026-01-02"},
            422,
            {
                "success": False,
                "errors": ["DiscourseDataExplorer::ValidationError: Missing parameter category_id of type int"],
            },
        ),
        (
            {"category_id": "10", "start_date": "2026-02-30", "end_date": "2026-01-02"},
            422,
            {
                "success": False,
                "errors": ["DiscourseDataExplorer::ValidationError: '2026-02-30' is an invalid date - invalid date"],
            },
        ),
        (
            {"category_id": "ten", "start_date": "2026-01-01", "end_date": "2026-01-02"},
            422,
            {
                "success": False,
                "errors": ["DiscourseDataExplorer::ValidationError: 'ten' is an invalid int - Not an integer"],
            },
        ),
    ],
)
def test_the_fake_casts_params_like_the_plugin(server, params, status, body):
    answer = post(server, 103, {"params": json.dumps(params), "limit": "10"})
    assert (answer.status_code, answer.json()) == (status, body)


def test_the_fake_serialises_relations_unless_download_and_404s_unknown_queries(server):
    full = post(server, 103, {"params": ONE_DAY, "limit": "5"}).json()
    assert set(full["relations"]) == {"user", "post", "topic"}
    assert "relations" not in post(server, 103, {"params": ONE_DAY, "limit": "5", "download": "1"}).json()
    unknown = post(server, 999, {})
    assert (unknown.status_code, unknown.json()) == (404, {"status": 404, "error": "Not Found"})


def test_the_fake_rate_limit_answers_429_with_the_remaining_window(monkeypatch):
    fake = serve(monkeypatch, rate_limit=(2, 30.0))
    try:
        assert [post(fake, 107, {}).status_code for _ in range(2)] == [200, 200]
        refused = post(fake, 107, {})
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert 25 <= wait <= 30  # the window's real remaining time, in whole seconds
        assert refused.json()["error_type"] == "rate_limit"
        assert refused.json()["extras"] == {"wait_seconds": wait, "time_left": f"{wait} seconds"}
    finally:
        fake.stop()
