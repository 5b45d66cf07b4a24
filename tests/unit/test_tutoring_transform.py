from __future__ import annotations

import pytest

from almanac.tutoring.transform import (
    AggregationSummary,
    automatic_batch_size,
    batches,
    composite_score,
    performance_tier,
)


def row(**overrides):
    base = {
        "sessions_completed": 10,
        "valid_sessions": 10,
        "avg_rating": 5.0,
        "first_session_success_rate": 100.0,
        "reschedule_rate": 0.0,
        "no_show_count": 0,
        "engagement_score": 100.0,
        "learning_objectives_met_pct": 100.0,
    }
    return {**base, **overrides}


def test_perfect_tutor_is_exemplary():
    assert composite_score(row()) == pytest.approx(100.0)
    assert performance_tier(composite_score(row())) == "Exemplary"


def test_bad_tutor_is_at_risk():
    bad = row(
        avg_rating=1.0,
        first_session_success_rate=0.0,
        reschedule_rate=40.0,
        no_show_count=3,
        engagement_score=20.0,
        learning_objectives_met_pct=10.0,
    )
    # rating 0, objectives 10·.2 = 2, first 0, engagement 20·.15 = 3, reliability max(0, 100-80-60) = 0
    assert composite_score(bad) == pytest.approx(5.0)
    assert performance_tier(composite_score(bad)) == "At Risk"


def test_no_completed_sessions_has_no_tier():
    assert composite_score(row(sessions_completed=0)) is None
    assert performance_tier(None) is None


def test_missing_components_are_reweighted_not_zeroed():
    # no first sessions: the other weights (0.85 in all) are scaled up
    score = composite_score(row(first_session_success_rate=None, avg_rating=3.0))
    assert score == pytest.approx((0.35 * 50 + 0.2 * 100 + 0.15 * 100 + 0.15 * 100) / 0.85)


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (85, "Exemplary"),
        (84.99, "Strong"),
        (70, "Strong"),
        (55, "Developing"),
        (40, "Needs Attention"),
        (39.9, "At Risk"),
    ],
)
def test_tier_thresholds(score, tier):
    assert performance_tier(score) == tier


def test_batches_cover_every_tutor_once_with_readable_labels():
    ids = [f"T{i}" for i in range(2500)]
    planned = batches(ids, 1000)
    assert [b["label"] for b in planned] == [
        "tutors 1–1000 of 2500",
        "tutors 1001–2000 of 2500",
        "tutors 2001–2500 of 2500",
    ]
    assert [t for b in planned for t in b["tutor_ids"]] == ids
    assert batches([], 1000) == []


@pytest.mark.parametrize(
    ("tutors", "size", "count"),
    [(0, 1000, 0), (5000, 1000, 5), (10000, 1000, 10), (10001, 1001, 10), (50000, 5000, 10)],
)
def test_without_a_batch_size_there_are_1000_tutors_a_batch_and_at_most_10_batches(tutors, size, count):
    assert automatic_batch_size(tutors) == size
    assert len(batches([f"T{i}" for i in range(tutors)], size)) == count


def test_summary_success_rate_and_block():
    s = AggregationSummary("2026-03-15", 150, 148, 2, 444, 89.45, 3, 2, failed_batches=["tutors 1–50 of 150"])
    assert s.success_rate == 98.67
    assert "Success rate: 98.67%" in s.log_block()
    assert s.to_dict()["success_rate"] == 98.67
