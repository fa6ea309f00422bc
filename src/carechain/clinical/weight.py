"""A child's working weight: the measured weight when there is one, else an estimate by age.

The estimate is the Advanced Paediatric Life Support formulae (Advanced Life Support
Group, Advanced Paediatric Life Support: A Practical Approach to Emergencies, 5th edition,
Wiley-Blackwell 2011), for children not weighed:

    0–12 months   weight (kg) = (0.5 × age in months) + 4
    1–5 years     weight (kg) = (2 × age in years) + 8
    6–12 years    weight (kg) = (3 × age in years) + 7

No estimate is made from 13 years (the formulae stop at 12) or under 1 year without the
age in months. An estimate is always labelled as one and never stored as a measurement;
a measured weight always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from carechain.clinical._json import as_dict
from carechain.clinical._validate import check_int, check_positive

__all__ = ["ESTIMATE_MAX_AGE_YEARS", "WorkingWeight", "age_in_months", "estimate_weight_kg",
           "working_weight"]  # fmt: skip

# The APLS formulae cover children up to 12 years.
ESTIMATE_MAX_AGE_YEARS = 12
APLS_SOURCE = "APLS 5th edition (ALSG 2011) weight-for-age formula"


@dataclass(frozen=True)
class WorkingWeight:
    """The weight doses are checked against, and where it came from."""

    kg: Decimal
    source: Literal["measured", "estimated"]
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """Return the weight as plain JSON types."""
        return as_dict(self)


def age_in_months(born: date, on: date) -> int:
    """Return completed months of age on a day."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def estimate_weight_kg(*, age_years: int, age_months: int | None = None) -> Decimal | None:
    """Return the APLS estimated weight for an age, or None outside the formulae."""
    check_int("age_years", age_years, 0, 130)
    check_int("age_months", age_months, 0, 130 * 12)
    if age_years < 1:
        if age_months is None:
            return None
        return Decimal(age_months) / 2 + 4
    if age_years <= 5:
        return Decimal(2 * age_years + 8)
    if age_years <= ESTIMATE_MAX_AGE_YEARS:
        return Decimal(3 * age_years + 7)
    return None


def working_weight(
    *, measured_kg: Decimal | float | None, age_years: int | None, age_months: int | None = None
) -> WorkingWeight | None:
    """Return the measured weight, else the APLS estimate for the age; None when neither."""
    if measured_kg is not None:
        return WorkingWeight(check_positive("weight_kg", measured_kg), "measured", "weighed")
    if age_years is None:
        return None
    estimate = estimate_weight_kg(age_years=age_years, age_months=age_months)
    if estimate is None:
        return None
    age = f"{age_months} months" if age_years < 1 else f"{age_years} years"
    return WorkingWeight(estimate, "estimated", f"estimated from age {age} ({APLS_SOURCE})")
