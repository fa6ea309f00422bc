"""GCS component ranges and totals."""

from __future__ import annotations

from typing import Any

import pytest

from carechain.clinical import ClinicalValueError, gcs_total


@pytest.mark.parametrize(
    ("eye", "verbal", "motor", "total"),
    [(1, 1, 1, 3), (4, 5, 6, 15), (3, 4, 6, 13), (2, 2, 4, 8), (4, 5, 5, 14)],
)
def test_total(eye: int, verbal: int, motor: int, total: int) -> None:
    assert gcs_total(eye, verbal, motor) == total


@pytest.mark.parametrize(
    ("eye", "verbal", "motor", "field"),
    [
        (0, 5, 6, "eye"),
        (5, 5, 6, "eye"),
        (4, 0, 6, "verbal"),
        (4, 6, 6, "verbal"),
        (4, 5, 0, "motor"),
        (4, 5, 7, "motor"),
        (None, 5, 6, "eye"),
        (4, "5", 6, "verbal"),
        (4, 5, 5.0, "motor"),
        (True, 5, 6, "eye"),
    ],
)
def test_out_of_range_components_are_refused(eye: Any, verbal: Any, motor: Any, field: str) -> None:
    with pytest.raises(ClinicalValueError) as info:
        gcs_total(eye, verbal, motor)
    assert info.value.field == field


def test_error_names_the_range() -> None:
    with pytest.raises(ClinicalValueError, match="motor: must be between 1 and 6"):
        gcs_total(4, 5, 7)
