from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from almanac.discourse.client import DataExplorerClient, DataExplorerError
from almanac.discourse.transform import (
    DEFAULT_WEIGHTS,
    irrelevant_categories,
    relevant_courses,
    score_weights,
)


def test_irrelevant_categories_are_dropped_and_uncategorized_flagged():
    categories = [
        {"category_id": 5, "name": "Lounge", "slug": "lounge", "parent_category_id": None},
        {"category_id": 1, "name": "Uncategorized", "slug": "uncategorized", "parent_category_id": None},
        {"category_id": 12, "name": "Algebra", "slug": "algebra", "parent_category_id": None},
        {"category_id": 3, "name": "Staff", "slug": "staff", "parent_category_id": None},
        {"category_id": 4, "name": "Site Feedback", "slug": "feedback", "parent_category_id": None},
    ]
    courses = relevant_courses(categories, irrelevant_categories({}))
    assert [(c.category_id, c.is_uncategorized) for c in courses] == [(1, True), (12, False)]


def test_weights_and_irrelevant_categories_are_configurable_and_checked():
    assert score_weights({}) == DEFAULT_WEIGHTS
    assert score_weights({"ALMANAC_DISCOURSE_WEIGHTS": '{"w_reply": 3}'})["w_reply"] == 3.0
    with pytest.raises(ValueError, match=r"unknown weight\(s\) \['w_replies'\]"):
        score_weights({"ALMANAC_DISCOURSE_WEIGHTS": '{"w_replies": 3}'})
    with pytest.raises(ValueError, match=r"\['w_topic'\] must be numbers >= 0"):
        score_weights({"ALMANAC_DISCOURSE_WEIGHTS": '{"w_topic": -1}'})
    assert irrelevant_categories({}) == ("Staff", "Site Feedback", "Lounge")
    assert irrelevant_categories({"ALMANAC_DISCOURSE_IRRELEVANT_CATEGORIES": '["Lounge"]'}) == ("Lounge",)


def response(status=200, body=None, text=None):
    payload = text if text is not None else json.dumps(body)
    return SimpleNamespace(status_code=status, text=payload, json=lambda: json.loads(payload))


def test_rows_become_records_and_a_missing_column_is_named():
    good = response(body={"success": True, "columns": ["user_id", "username"], "rows": [[1, "a"], [2, "b"]]})
    assert DataExplorerClient._records("query #108 (users)", "users", good) == [
        {"user_id": 1, "username": "a"},
        {"user_id": 2, "username": "b"},
    ]
    missing = response(body={"success": True, "columns": ["username"], "rows": [["a"]]})
    with pytest.raises(DataExplorerError, match=r"query #108 \(users\): missing column 'user_id'"):
        DataExplorerClient._records("query #108 (users)", "users", missing)
    with pytest.raises(DataExplorerError, match="not JSON"):
        DataExplorerClient._records("query #108 (users)", "users", response(text="<html>"))
    with pytest.raises(DataExplorerError, match="malformed"):
        DataExplorerClient._records("query #108 (users)", "users", response(body={"errors": ["x"]}))
