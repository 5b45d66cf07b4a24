"""Pure pieces of the discourse job: query contracts, weights, category filtering, the score formulas
(mirrored by sql/metrics.sql; the unit tests check both against hand-computed values)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Data Explorer query ids (configurable: env ALMANAC_DISCOURSE_QUERY_<NAME>) and the columns each must return.
QUERY_COLUMNS = {
    "categories": ("category_id", "name", "slug", "parent_category_id"),
    "users": ("user_id", "username"),
    "user_actions": ("user_id", "action_type", "target_post_id", "target_topic_id", "created_at"),
    "engagement": ("user_id", "days_visited", "posts_read", "time_read_minutes"),
}
DEFAULT_QUERY_IDS = {"categories": 107, "users": 108, "user_actions": 103, "engagement": 102}

#: Discourse's action types used in the scores.
LIKE_GIVEN, LIKE_RECEIVED, NEW_TOPIC, REPLY, SOLUTION = 1, 2, 4, 5, 15

#: Weights of the unnormalized score and of the platform extras (DESIGN.md §4.1), as SQL params.
WEIGHTS = {
    "w_like_given": 0.5,
    "w_like_received": 1.5,
    "w_topic": 3.0,
    "w_reply": 2.0,
    "w_solution": 5.0,
    "w_day_active": 1.0,
    "w_posts_read": 0.1,
    "w_days_visited": 0.5,
}
IRRELEVANT_CATEGORIES = ("Staff", "Site Feedback", "Lounge")
UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True)
class Course:
    category_id: int
    name: str
    slug: str | None
    parent_category_id: int | None
    is_uncategorized: bool


def relevant_courses(categories: Iterable[Mapping], irrelevant: Sequence[str] = IRRELEVANT_CATEGORIES) -> list[Course]:
    """Drop irrelevant categories (by name); keep Uncategorized, flagged."""
    return sorted(
        (
            Course(
                int(c["category_id"]), c["name"], c.get("slug"), c.get("parent_category_id"), c["name"] == UNCATEGORIZED
            )
            for c in categories
            if c["name"] not in irrelevant
        ),
        key=lambda c: c.category_id,
    )


def unnormalized_score(counts: Mapping[str, int], weights: Mapping[str, float] = WEIGHTS) -> float:
    return (
        weights["w_like_given"] * counts["likes_given"]
        + weights["w_like_received"] * counts["likes_received"]
        + weights["w_topic"] * counts["topics_created"]
        + weights["w_reply"] * counts["replies"]
        + weights["w_solution"] * counts["solutions"]
        + weights["w_day_active"] * counts["days_active"]
    )


def log_normalized(score: float, max_score: float) -> float:
    """100·ln(1+s)/ln(1+max); 0 when the max is 0."""
    return 0.0 if max_score <= 0 else 100 * math.log1p(score) / math.log1p(max_score)
