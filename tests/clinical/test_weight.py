"""A child's working weight: measured first, else the APLS estimate by age."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carechain.clinical import ClinicalValueError
from carechain.clinical.weight import age_in_months, estimate_weight_kg, working_weight


@pytest.mark.parametrize(
    ("years", "months", "kg"),
    [
        # (0.5 × months) + 4 under one year.
        (0, 0, Decimal(4)),
        (0, 1, Decimal("4.5")),
        (0, 6, Decimal(7)),
        (0, 11, Decimal("9.5")),
        # (2 × years) + 8 from 1 to 5 years: 12 months and 1 year agree (10 kg).
        (1, 12, Decimal(10)),
        (1, None, Decimal(10)),
        (3, None, Decimal(14)),
        (5, None, Decimal(18)),
        # (3 × years) + 7 from 6 to 12 years.
        (6, None, Decimal(25)),
        (9, None, Decimal(34)),
        (12, None, Decimal(43)),
        # No formula from 13, nor under one without the months.
        (13, None, None),
        (40, None, None),
        (0, None, None),
    ],
)
def test_apls_formula_at_each_band_edge(years: int, months: int | None, kg: Decimal) -> None:
    assert estimate_weight_kg(age_years=years, age_months=months) == kg


def test_measured_weight_always_wins() -> None:
    weight = working_weight(measured_kg=31.5, age_years=6)
    assert weight is not None
    assert weight.to_dict() == {"kg": 31.5, "source": "measured", "basis": "weighed"}


def test_estimate_says_it_is_one() -> None:
    weight = working_weight(measured_kg=None, age_years=0, age_months=6)
    assert weight is not None
    assert (weight.kg, weight.source) == (Decimal(7), "estimated")
    assert weight.basis.startswith("estimated from age 6 months (APLS")
    assert working_weight(measured_kg=None, age_years=None) is None
    assert working_weight(measured_kg=None, age_years=14) is None


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2025, 12, 3), date(2026, 12, 2), 11),
        (date(2025, 12, 3), date(2026, 12, 3), 12),
    ],
)
def test_age_in_completed_months(born: date, on: date, months: int) -> None:
    assert age_in_months(born, on) == months


def test_impossible_weight_or_age_is_refused() -> None:
    with pytest.raises(ClinicalValueError) as caught:
        working_weight(measured_kg=0, age_years=3)
    assert caught.value.field == "weight_kg"
    with pytest.raises(ClinicalValueError) as caught:
        estimate_weight_kg(age_years=-1)
    assert caught.value.field == "age_years"
