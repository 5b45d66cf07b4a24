from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from almanac.discourse.client import DataExplorerClient, DataExplorerError
from almanac.discourse.transform import log_normalized, relevant_courses, unnormalized_score


def test_irrelevant_categories_are_dropped_and_uncategorized_flagged():
    categories = [
        {"category_id": 5, "name": "Lounge", "slug": "lounge", "parent_category_id": None},
        {"category_id": 1, "name": "Uncategorized", "slug": "uncategorized", "parent_category_id": None},
        {"category_id": 12, "name": "Algebra", "slug": "algebra", "parent_category_id": None},
        {"category_id": 3, "name": "Staff", "slug": "staff", "parent_category_id": None},
        {"category_id": 4, "name": "Site Feedback", "slug": "feedback", "parent_category_id": None},
    ]
    courses = relevant_courses(categories)
    assert [(c.category_id, c.is_uncategorized) for c in courses] == [(1, True), (12, False)]


def test_score_formulas_by_hand():
    counts = {
        "likes_given": 2,
        "likes_received": 1,
        "topics_created": 1,
        "replies": 3,
        "solutions": 1,
        "days_active": 4,
    }
    # 0.5·2 + 1.5·1 + 3·1 + 2·3 + 5·1 + 1·4 = 20.5
    assert unnormalized_score(counts) == 20.5
    assert log_normalized(20.5, 20.5) == pytest.approx(100.0)
    assert log_normalized(5, 9) == pytest.approx(100 * math.log(6) / math.log(10))
    assert log_normalized(0, 0) == 0.0


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
