"""Pure pieces of the discourse job: query contracts, the score weights and the category filter, both
configurable. The formulas themselves are SQL (sql/metrics.sql), tested against hand-computed values."""

from __future__ import annotations

import json
import os
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

#: Weights of the unnormalized score and of the platform extras, as SQL parameters (docs/discourse.md).
DEFAULT_WEIGHTS = {
    "w_like_given": 0.5,
    "w_like_received": 1.5,
    "w_topic": 3.0,
    "w_reply": 2.0,
    "w_solution": 5.0,
    "w_day_active": 1.0,
    "w_posts_read": 0.1,
    "w_days_visited": 0.5,
}
DEFAULT_IRRELEVANT_CATEGORIES = ("Staff", "Site Feedback", "Lounge")
UNCATEGORIZED = "Uncategorized"
WEIGHTS_ENV = "ALMANAC_DISCOURSE_WEIGHTS"
IRRELEVANT_ENV = "ALMANAC_DISCOURSE_IRRELEVANT_CATEGORIES"


def score_weights(environ: Mapping[str, str] = os.environ) -> dict[str, float]:
    """The weights, with ``ALMANAC_DISCOURSE_WEIGHTS`` (a JSON object, e.g. ``{"w_reply": 3}``) overriding
    any of them. Read by each task run, so a change applies to the next computation of a trimester."""
    weights = dict(DEFAULT_WEIGHTS)
    raw = environ.get(WEIGHTS_ENV)
    if raw:
        overrides = json.loads(raw)
        unknown = sorted(set(overrides) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise ValueError(f"{WEIGHTS_ENV}: unknown weight(s) {unknown}; known: {sorted(DEFAULT_WEIGHTS)}")
        bad = sorted(k for k, v in overrides.items() if not isinstance(v, int | float) or v < 0)
        if bad:
            raise ValueError(f"{WEIGHTS_ENV}: weight(s) {bad} must be numbers >= 0")
        weights.update({k: float(v) for k, v in overrides.items()})
    return weights


def irrelevant_categories(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """Category names left out of the courses: ``ALMANAC_DISCOURSE_IRRELEVANT_CATEGORIES`` (a JSON list of
    names) or the default Staff, Site Feedback, Lounge."""
    raw = environ.get(IRRELEVANT_ENV)
    if not raw:
        return DEFAULT_IRRELEVANT_CATEGORIES
    names = json.loads(raw)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{IRRELEVANT_ENV}: expected a JSON list of category names, got {raw!r}")
    return tuple(names)


@dataclass(frozen=True)
class Course:
    category_id: int
    name: str
    slug: str | None
    parent_category_id: int | None
    is_uncategorized: bool


def relevant_courses(categories: Iterable[Mapping], irrelevant: Sequence[str]) -> list[Course]:
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
