"""qSOFA (Sepsis-3) at each criterion's boundary."""

from __future__ import annotations

import json

import pytest

from carechain.clinical import ClinicalValueError, score_qsofa


@pytest.mark.parametrize(("rate", "met"), [(21, False), (22, True), (0, False), (80, True)])
def test_respiratory_rate_boundary(rate: int, met: bool) -> None:
    result = score_qsofa(rate, 120, gcs_total=15)
    assert ("resp_rate" in result.met) is met
    assert result.score == int(met)


@pytest.mark.parametrize(("systolic", "met"), [(100, True), (101, False), (0, True), (300, False)])
def test_systolic_boundary(systolic: int, met: bool) -> None:
    result = score_qsofa(16, systolic, gcs_total=15)
    assert ("systolic" in result.met) is met


@pytest.mark.parametrize(("gcs", "met"), [(14, True), (15, False), (3, True)])
def test_gcs_boundary(gcs: int, met: bool) -> None:
    result = score_qsofa(16, 120, gcs_total=gcs)
    assert ("altered_mentation" in result.met) is met
    assert result.complete


@pytest.mark.parametrize(
    ("gcs", "stated", "expected"),
    [
        (None, True, "met"),
        (None, False, "not_met"),
        (None, None, "unknown"),
        (15, True, "met"),  # a stated altered mentation counts even with GCS 15
        (14, False, "met"),  # GCS below 15 counts even if mentation was called normal
        (15, None, "not_met"),
    ],
)
def test_altered_mentation_sources(gcs: int | None, stated: bool | None, expected: str) -> None:
    result = score_qsofa(16, 120, gcs_total=gcs, altered_mentation=stated)
    assert "altered_mentation" in getattr(result, expected)


@pytest.mark.parametrize(
    ("rate", "systolic", "gcs", "score", "positive"),
    [
        (16, 120, 15, 0, False),
        (22, 120, 15, 1, False),
        (22, 100, 15, 2, True),
        (16, 100, 14, 2, True),
        (22, 120, 14, 2, True),
        (30, 80, 8, 3, True),
    ],
)
def test_positive_at_two(rate: int, systolic: int, gcs: int, score: int, positive: bool) -> None:
    result = score_qsofa(rate, systolic, gcs_total=gcs)
    assert result.score == score
    assert result.positive is positive


def test_unknown_criteria_are_reported() -> None:
    result = score_qsofa(None, 95)
    assert result.met == ("systolic",)
    assert result.unknown == ("resp_rate", "altered_mentation")
    assert result.not_met == ()
    assert not result.complete
    assert not result.positive
    assert result.could_be_positive


def test_could_not_be_positive_with_one_unknown_and_none_met() -> None:
    result = score_qsofa(None, 120, gcs_total=15)
    assert not result.could_be_positive


def test_describe_met_and_to_dict() -> None:
    result = score_qsofa(24, 90, gcs_total=15)
    assert result.describe_met() == "respiratory rate ≥22/min, systolic BP ≤100 mmHg"
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "score": 2,
        "positive": True,
        "met": ["resp_rate", "systolic"],
        "not_met": ["altered_mentation"],
        "unknown": [],
        "complete": True,
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [((-1, 120, 15), "resp_rate"), ((16, 301, 15), "systolic"), ((16, 120, 2), "gcs_total")],
)
def test_impossible_values_are_refused(args: tuple[int, int, int], field: str) -> None:
    with pytest.raises(ClinicalValueError) as info:
        score_qsofa(args[0], args[1], gcs_total=args[2])
    assert info.value.field == field
