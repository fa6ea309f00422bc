"""Sepsis screen: suspected infection AND (NEWS2 ≥5 OR qSOFA ≥2)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from carechain.clinical import News2Input, News2Result, score_news2, score_qsofa, screen_sepsis

COMPLETE = News2Input(
    resp_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic=120,
    pulse=70,
    consciousness="A",
    temperature=37.0,
)
# Aggregate → changes to COMPLETE that give it.
TOTALS: dict[int, dict[str, Any]] = {
    0: {},
    4: {"resp_rate": 21, "pulse": 111},
    5: {"resp_rate": 25, "pulse": 111},
    7: {"resp_rate": 25, "pulse": 111, "on_oxygen": True},
}


def news2(total: int, *, complete: bool = True, pregnant: bool | None = None) -> News2Result:
    """Return a NEWS2 result of the given aggregate."""
    changes = TOTALS[total]
    if complete:
        return score_news2(replace(COMPLETE, **changes), pregnant=pregnant)
    return score_news2(News2Input(**changes))


@pytest.mark.parametrize(
    ("infection", "total", "qsofa", "positive", "news2_trigger", "qsofa_trigger"),
    [
        (True, 5, (16, 120, 15), True, True, False),
        (True, 7, (16, 120, 15), True, True, False),
        (True, 4, (22, 100, 15), True, False, True),
        (True, 5, (22, 100, 15), True, True, True),
        (True, 4, (22, 120, 15), False, False, False),
        (True, 0, (16, 120, 15), False, False, False),
        (False, 7, (30, 80, 8), False, True, True),
        (None, 7, (30, 80, 8), False, True, True),
    ],
)
def test_screen(
    infection: bool | None,
    total: int,
    qsofa: tuple[int, int, int],
    positive: bool,
    news2_trigger: bool,
    qsofa_trigger: bool,
) -> None:
    result = screen_sepsis(
        suspected_infection=infection,
        news2=news2(total),
        qsofa=score_qsofa(qsofa[0], qsofa[1], gcs_total=qsofa[2]),
    )
    assert result.positive is positive
    assert result.news2_trigger is news2_trigger
    assert result.qsofa_trigger is qsofa_trigger
    assert result.news2_aggregate == total


def test_reasons_say_why() -> None:
    result = screen_sepsis(
        suspected_infection=True, news2=news2(5), qsofa=score_qsofa(22, 100, gcs_total=15)
    )
    assert result.reasons == (
        "infection suspected",
        "NEWS2 5 ≥5",
        "qSOFA 2 ≥2 (respiratory rate ≥22/min, systolic BP ≤100 mmHg)",
    )


def test_negative_reasons() -> None:
    result = screen_sepsis(
        suspected_infection=False, news2=news2(4), qsofa=score_qsofa(16, 120, gcs_total=15)
    )
    assert result.reasons == ("infection not suspected", "NEWS2 4 <5", "qSOFA 0 <2")


def test_nothing_scored() -> None:
    result = screen_sepsis(suspected_infection=None)
    assert not result.positive
    assert result.news2_trigger is None
    assert result.qsofa_trigger is None
    assert result.news2_aggregate is None
    assert result.qsofa_score is None
    assert result.reasons == ("infection not assessed", "NEWS2 not scored", "qSOFA not scored")


def test_incomplete_news2_at_5_already_triggers() -> None:
    result = screen_sepsis(suspected_infection=True, news2=news2(5, complete=False))
    assert result.positive
    assert result.news2_trigger is True
    assert "NEWS2 5 (incomplete) ≥5" in result.reasons


def test_incomplete_news2_below_5_cannot_rule_out() -> None:
    result = screen_sepsis(suspected_infection=True, news2=news2(4, complete=False))
    assert not result.positive
    assert result.news2_trigger is None
    assert "NEWS2 4 (incomplete) could still reach 5" in result.reasons


def test_qsofa_with_unknowns_cannot_rule_out() -> None:
    result = screen_sepsis(suspected_infection=True, qsofa=score_qsofa(22, None))
    assert result.qsofa_trigger is None
    assert "qSOFA 1 with systolic, altered_mentation not assessed" in result.reasons


def test_not_validated_news2_is_noted() -> None:
    result = screen_sepsis(suspected_infection=True, news2=news2(5, pregnant=True))
    assert result.positive
    assert "NEWS2 not validated: pregnancy" in result.reasons


def test_to_dict() -> None:
    data = screen_sepsis(suspected_infection=True, news2=news2(7)).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["positive"] is True
    assert data["qsofa_trigger"] is None
