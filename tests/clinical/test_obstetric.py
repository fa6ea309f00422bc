"""The Apgar score (Apgar 1953; read by AAP/ACOG 2015) and the RCOG GTG 52 classes of a
postpartum blood loss, at their published boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.clinical.errors import ClinicalValueError
from carechain.clinical.obstetric import (
    APGAR_SIGNS,
    classify_postpartum_loss,
    score_apgar,
)

SIGNS = [name for name, _, _ in APGAR_SIGNS]


def _signs(*values: int) -> dict[str, int]:
    return dict(zip(SIGNS, values, strict=True))


def test_the_five_signs_are_apgars_in_order() -> None:
    assert SIGNS == ["appearance", "pulse", "grimace", "activity", "respiration"]
    # Heart rate: absent 0, below 100 scores 1, 100 or more scores 2 (Apgar 1953).
    assert APGAR_SIGNS[1][2] == ("absent", "below 100 a minute", "100 a minute or more")


@pytest.mark.parametrize(
    ("signs", "total", "band"),
    [
        ((0, 0, 0, 0, 0), 0, "low"),
        ((1, 1, 1, 0, 0), 3, "low"),
        ((1, 1, 1, 1, 0), 4, "moderately-abnormal"),
        ((2, 1, 1, 1, 1), 6, "moderately-abnormal"),
        ((2, 2, 1, 1, 1), 7, "reassuring"),
        ((2, 2, 2, 2, 2), 10, "reassuring"),
    ],
)
def test_total_and_band_at_the_published_boundaries(
    signs: tuple[int, ...], total: int, band: str
) -> None:
    result = score_apgar(1, _signs(*signs))
    assert (result.total, result.band) == (total, band)
    assert result.signs == _signs(*signs)


@pytest.mark.parametrize(
    ("minute", "total", "rescore"),
    [
        (1, 3, False),  # the 1-minute score alone does not call for the extended scoring
        (5, 6, True),
        (5, 7, False),
        (10, 6, True),
        (15, 0, True),
        (20, 6, False),  # AAP/ACOG: every 5 minutes up to 20 minutes
    ],
)
def test_a_score_below_7_from_5_minutes_calls_for_the_next(
    minute: int, total: int, rescore: bool
) -> None:
    values = [2] * (total // 2) + [total % 2] * (total % 2)
    values += [0] * (5 - len(values))
    assert score_apgar(minute, _signs(*values)).rescore is rescore


@pytest.mark.parametrize(
    ("minute", "signs", "field"),
    [
        (2, _signs(2, 2, 2, 2, 2), "minute"),
        (1, {**_signs(2, 2, 2, 2, 2), "pulse": 3}, "pulse"),
        (1, {k: v for k, v in _signs(2, 2, 2, 2, 2).items() if k != "grimace"}, "grimace"),
        (1, {**_signs(2, 2, 2, 2, 2), "activity": -1}, "activity"),
    ],
)
def test_a_missing_or_impossible_sign_is_refused_by_name(
    minute: int, signs: dict[str, int], field: str
) -> None:
    with pytest.raises(ClinicalValueError) as info:
        score_apgar(minute, signs)
    assert info.value.field == field


@given(st.lists(st.integers(0, 2), min_size=5, max_size=5))
def test_the_total_is_the_sum_of_the_signs(values: list[int]) -> None:
    assert score_apgar(5, _signs(*values)).total == sum(values)


@pytest.mark.parametrize(
    ("ml", "expected"),
    [(0, "none"), (499, "none"), (500, "minor"), (1000, "minor"), (1001, "moderate"),
     (2000, "moderate"), (2001, "severe")],
)
def test_postpartum_loss_classes_at_the_rcog_boundaries(ml: int, expected: str) -> None:
    assert classify_postpartum_loss(ml) == expected
