"""Weight-based paediatric dose checks at the example formulary's limits: just under, at,
and just over each limit, with measured and estimated weights, and the youngest age."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from carechain.clinical import (
    Breach,
    FormularyError,
    check_administration,
    load_example_formulary,
    load_formulary,
)

FORMULARY = load_example_formulary()
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ROUTES = {"paracetamol": "PO", "ibuprofen": "PO", "morphine": "IV", "adrenaline": "IM",
          "ondansetron": "IV", "naloxone": "IM", "amiodarone": "IV"}  # fmt: skip


def check(drug: str, dose: Any, **child: Any) -> list[Breach]:
    """Check one dose of `drug` by its usual route for a child."""
    return check_administration(
        FORMULARY, drug=drug, dose=dose, unit=FORMULARY.drug(drug).unit,  # type: ignore[union-attr]
        route=ROUTES[drug], given_at=AT, **child,
    )  # fmt: skip


def rules(breaches: list[Breach]) -> list[str]:
    return [b.rule for b in breaches]


# (drug, weight kg, the weight-based limit = dose_per_kg × weight, capped by the child max)
LIMITS = [
    ("paracetamol", 20, Decimal(300)),  # 15 mg/kg
    ("paracetamol", 80, Decimal(1000)),  # 15 mg/kg = 1200, capped at 1000
    ("ibuprofen", 20, Decimal(200)),  # 10 mg/kg
    ("morphine", 20, Decimal(2)),  # 0.1 mg/kg
    ("morphine", 60, Decimal(5)),  # 0.1 mg/kg = 6, capped at the 5 mg child maximum
    ("adrenaline", 15, Decimal("0.15")),  # 0.01 mg/kg
    ("ondansetron", 30, Decimal(3)),  # 0.1 mg/kg
    ("naloxone", 25, Decimal("0.25")),  # 0.01 mg/kg
    ("amiodarone", 20, Decimal(100)),  # 5 mg/kg
]
STEP = Decimal("0.01")


@pytest.mark.parametrize(("drug", "weight", "limit"), LIMITS)
@pytest.mark.parametrize(("offset", "over"), [(-STEP, False), (Decimal(0), False), (STEP, True)])
def test_weight_based_limit_just_under_at_and_over(
    drug: str, weight: int, limit: Decimal, offset: Decimal, over: bool
) -> None:
    breaches = check(drug, limit + offset, age_years=6, weight_kg=weight)
    if not over:
        assert breaches == []
        return
    # At a cap equal to the adult maximum the adult limits are broken too.
    (breach,) = (b for b in breaches if b.rule == "formulary.paediatric-dose")
    assert breach.overridable and breach.field == "dose"
    assert f"child maximum of {limit.normalize():f} mg" in breach.message


@pytest.mark.parametrize(("offset", "over"), [(-STEP, False), (Decimal(0), False), (STEP, True)])
def test_estimated_weight_is_named_in_the_breach(offset: Decimal, over: bool) -> None:
    # A 5-year-old not weighed: APLS 18 kg, paracetamol 15 mg/kg = 270 mg.
    breaches = check(
        "paracetamol", Decimal(270) + offset, age_years=5, weight_kg=18, weight_estimated=True
    )
    assert rules(breaches) == (["formulary.paediatric-dose"] if over else [])
    if over:
        assert breaches[0].message.endswith(
            "(15 mg/kg for 18 kg estimated from age, not weighed)"
        )


@pytest.mark.parametrize(
    ("age_years", "age_months", "expected"),
    [
        (0, 2, ["formulary.paediatric-min-age"]),  # just under 3 months
        (0, 3, []),  # at the youngest age
        (0, 4, []),
        (0, None, ["formulary.paediatric-min-age"]),  # under one, months unknown
        (1, None, []),  # a year old is past 3 months
    ],
)
def test_youngest_age_in_months(
    age_years: int, age_months: int | None, expected: list[str]
) -> None:
    breaches = check("ibuprofen", 20, age_years=age_years, age_months=age_months, weight_kg=6)
    assert rules(breaches) == expected
    if expected:
        assert breaches[0].overridable and breaches[0].field == "age_months"


@pytest.mark.parametrize(
    ("paediatric", "field"),
    [
        ({"under_age_years": 12, "dose_per_kg": 1, "min_age_months": 0}, "min_age_months"),
        ({"under_age_years": 1, "dose_per_kg": 1, "min_age_months": 12}, "min_age_months"),
    ],
)
def test_youngest_age_must_be_inside_the_paediatric_block(
    paediatric: dict[str, Any], field: str
) -> None:
    drug = {"name": "x", "routes": ["PO"], "unit": "mg", "max_single_dose": 1,
            "paediatric": paediatric}  # fmt: skip
    with pytest.raises(FormularyError) as caught:
        load_formulary({"format": "carechain-formulary/1", "drugs": [drug]})
    assert field in str(caught.value)
