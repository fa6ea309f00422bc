"""check_administration against the example formulary: each breach and its overridability."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from carechain.clinical import (
    OVERRIDABLE,
    Breach,
    ClinicalValueError,
    PriorAdministration,
    check_administration,
    load_example_formulary,
)

FORMULARY = load_example_formulary()
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def check(**overrides: Any) -> list[Breach]:
    """Check an unremarkable adult IV morphine 5 mg, with some arguments changed."""
    arguments: dict[str, Any] = {
        "drug": "morphine",
        "dose": 5,
        "unit": "mg",
        "route": "IV",
        "given_at": AT,
        **overrides,
    }
    return check_administration(FORMULARY, **arguments)


def rules(breaches: list[Breach]) -> list[str]:
    """Return the rule ids of some breaches."""
    return [breach.rule for breach in breaches]


def test_unremarkable_administration_breaks_nothing() -> None:
    assert check() == []
    assert check(age_years=40, weight_kg=80, allergies=["latex"]) == []


def test_names_routes_and_units_match_loosely() -> None:
    assert check(drug="Morphine Sulfate", route="iv", unit="milligrams") == []
    assert check(drug="GTN", dose=400, unit="mcg", route="SL") == []


def test_unknown_drug_is_not_overridable() -> None:
    breaches = check(drug="unobtainium", allergies=["unobtainium"])
    assert breaches == [
        Breach("formulary.unknown-drug", "drug", "unobtainium is not in the formulary", False)
    ]


def test_allergy_to_the_drug_itself() -> None:
    (breach,) = check(allergies=["Morphine"])
    assert (breach.rule, breach.field, breach.overridable) == (
        "formulary.allergy",
        "allergies",
        True,
    )
    # The severity is said even when the record does not know it.
    assert breach.message == "allergy to Morphine recorded (severity not recorded)"
    assert (breach.severity, breach.second_clinician) == (None, False)


def test_allergy_to_an_alias() -> None:
    assert rules(check(drug="paracetamol", dose=1000, route="PO", allergies=["acetaminophen"])) == [
        "formulary.allergy"
    ]


def test_allergy_to_the_drug_class() -> None:
    (breach,) = check(allergies=["opioids"])
    assert breach.rule == "formulary.allergy-class"
    assert breach.message == (
        "morphine is in class opioids; allergy to opioids recorded (severity not recorded)"
    )
    assert breach.overridable


@pytest.mark.parametrize(
    ("drug", "dose", "route", "allergy"),
    [
        ("benzylpenicillin", 1200, "IV", "co-amoxiclav"),
        ("benzylpenicillin", 1200, "IM", "Penicillin"),
        ("ibuprofen", 400, "PO", "aspirin"),
        ("aspirin", 300, "PO", "ibuprofen"),
        ("aspirin", 300, "PO", "NSAID"),
    ],
)
def test_cross_reacting_allergies(drug: str, dose: int, route: str, allergy: str) -> None:
    breaches = check(drug=drug, dose=dose, route=route, allergies=[allergy])
    assert rules(breaches) == ["formulary.allergy-cross-reaction"]
    assert allergy in breaches[0].message
    assert breaches[0].overridable


def test_unrelated_allergies_do_not_conflict() -> None:
    assert check(allergies=["penicillin", "nsaids", "latex"]) == []


def test_one_breach_per_conflicting_allergy() -> None:
    breaches = check(drug="ibuprofen", dose=400, route="PO", allergies=["ibuprofen", "nsaids"])
    assert rules(breaches) == ["formulary.allergy", "formulary.allergy-class"]


def test_route_not_allowed_is_not_overridable() -> None:
    (breach,) = check(route="SL")
    assert (breach.rule, breach.field, breach.overridable) == ("formulary.route", "route", False)
    assert breach.message == "morphine may not be given SL (allowed: IV, IO, IM, PO)"


def test_unit_mismatch_stops_the_dose_checks_and_is_not_overridable() -> None:
    breaches = check(dose=5000, unit="micrograms")
    assert breaches == [
        Breach(
            "formulary.unit",
            "unit",
            "morphine is recorded in mg, not micrograms: re-enter the dose",
            False,
        )
    ]


@pytest.mark.parametrize(("dose", "over"), [(10, False), (Decimal("10.0"), False), (10.5, True)])
def test_max_single_dose(dose: Any, over: bool) -> None:
    breaches = check(dose=dose)
    assert rules(breaches) == (["formulary.max-single-dose"] if over else [])
    if over:
        assert breaches[0].message == "10.5 mg is over the maximum single dose of 10 mg"
        assert breaches[0].overridable


def test_cumulative_overdose_across_two_earlier_administrations() -> None:
    previous = [
        PriorAdministration("morphine", 10, "mg", AT - timedelta(minutes=30)),
        ("Morphine Sulfate", Decimal("5"), "mg", AT - timedelta(minutes=15)),
        ("paracetamol", 1000, "mg", AT - timedelta(minutes=15)),
    ]
    assert check(dose=5, previous=previous) == []
    (breach,) = check(dose=6, previous=previous)
    assert (breach.rule, breach.field, breach.overridable) == (
        "formulary.max-cumulative-dose",
        "dose",
        True,
    )
    assert breach.message == "21 mg in this episode is over the maximum of 20 mg"


@pytest.mark.parametrize(
    ("gap", "breached"),
    [
        (timedelta(minutes=4, seconds=59), True),
        (timedelta(minutes=5), False),
        (timedelta(minutes=-2), True),  # a dose recorded late that was given after this one
        (timedelta(hours=2), False),
    ],
)
def test_minimum_interval(gap: timedelta, breached: bool) -> None:
    breaches = check(dose=2, previous=[("morphine", 2, "mg", AT - gap)])
    assert rules(breaches) == (["formulary.min-interval"] if breached else [])
    if breached:
        assert breaches[0].field == "given_at"
        assert breaches[0].overridable


def test_minimum_interval_uses_the_nearest_dose() -> None:
    previous = [
        ("morphine", 2, "mg", AT - timedelta(minutes=60)),
        ("morphine", 2, "mg", AT - timedelta(minutes=3)),
        ("morphine", 2, "mg", AT - timedelta(minutes=30)),
    ]
    (breach,) = check(dose=2, previous=previous)
    assert breach.message == (
        "morphine was given 3 min apart from another dose; the minimum interval is 5 min"
    )


def test_drug_without_interval_or_cumulative_limit() -> None:
    previous = [("oxygen", 15, "L/min", AT - timedelta(minutes=1))] * 5
    assert check(drug="oxygen", dose=15, unit="l/min", route="inhaled", previous=previous) == []


def test_earlier_dose_in_another_unit_cannot_be_summed() -> None:
    previous = [("morphine", 5000, "micrograms", AT - timedelta(hours=1))]
    (breach,) = check(previous=previous)
    assert (breach.rule, breach.field, breach.overridable) == (
        "formulary.previous-unit",
        "previous[0]",
        True,
    )


@pytest.mark.parametrize(
    ("age", "weight", "dose", "expected", "message"),
    [
        # 0.1 mg/kg × 20 kg = 2 mg, under the 5 mg child maximum.
        (6, 20, 2, [], None),
        (
            6,
            20,
            Decimal("2.1"),
            ["formulary.paediatric-dose"],
            "2.1 mg is over the child maximum of 2 mg (0.1 mg/kg for 20 kg)",
        ),
        # 0.1 mg/kg × 60 kg = 6 mg, but the child maximum is 5 mg.
        (
            11,
            60,
            6,
            ["formulary.paediatric-dose"],
            "6 mg is over the child maximum of 5 mg (under 12 years)",
        ),
        (11, 60, 5, [], None),
        # From 12 the adult limits apply and weight is not needed.
        (12, None, 8, [], None),
        (None, None, 8, [], None),
    ],
)
def test_paediatric_weight_based_dose(
    age: int | None, weight: int | None, dose: Any, expected: list[str], message: str | None
) -> None:
    breaches = check(dose=dose, age_years=age, weight_kg=weight)
    assert rules(breaches) == expected
    if message is not None:
        assert breaches[0].message == message
        assert breaches[0].field == "dose"
        assert breaches[0].overridable


def test_child_with_no_weight_recorded() -> None:
    breaches = check(dose=6, age_years=6)
    assert rules(breaches) == ["formulary.paediatric-weight-missing", "formulary.paediatric-dose"]
    assert breaches[0].field == "weight_kg"
    assert breaches[0].overridable
    assert breaches[1].message == "6 mg is over the child maximum of 5 mg (under 12 years)"


def test_child_with_no_weight_and_only_weight_based_limit() -> None:
    # Paracetamol's child maximum equals the adult one, so only the weight is missing.
    breaches = check(drug="paracetamol", dose=500, route="PO", age_years=6)
    assert rules(breaches) == ["formulary.paediatric-weight-missing"]


def test_age_based_child_maximum_needs_no_weight() -> None:
    breaches = check(drug="benzylpenicillin", dose=1200, route="IM", age_years=5)
    assert rules(breaches) == ["formulary.paediatric-dose"]
    assert check(drug="benzylpenicillin", dose=600, route="IM", age_years=5) == []


def test_minimum_age() -> None:
    (breach,) = check(drug="aspirin", dose=300, route="PO", age_years=15)
    assert (breach.rule, breach.field, breach.overridable) == (
        "formulary.min-age",
        "age_years",
        True,
    )
    assert check(drug="aspirin", dose=300, route="PO", age_years=16) == []
    assert check(drug="aspirin", dose=300, route="PO") == []


def test_every_breach_together_in_a_stable_order() -> None:
    breaches = check(
        dose=15,
        route="SL",
        allergies=["opioids"],
        age_years=8,
        weight_kg=25,
        previous=[("morphine", 10, "mg", AT - timedelta(minutes=1))],
    )
    assert rules(breaches) == [
        "formulary.allergy-class",
        "formulary.route",
        "formulary.max-single-dose",
        "formulary.paediatric-dose",
        "formulary.min-interval",
        "formulary.max-cumulative-dose",
    ]
    assert [breach.overridable for breach in breaches] == [True, False, True, True, True, True]


def test_overridable_table_is_the_documented_one() -> None:
    assert {rule for rule, allowed in OVERRIDABLE.items() if not allowed} == {
        "formulary.unknown-drug",
        "formulary.route",
        "formulary.unit",
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dose": 0}, "dose"),
        ({"dose": -1}, "dose"),
        ({"dose": "5"}, "dose"),
        ({"dose": float("nan")}, "dose"),
        ({"weight_kg": 0}, "weight_kg"),
        ({"age_years": -1}, "age_years"),
        ({"age_years": 7.5}, "age_years"),
        ({"previous": [("morphine", 0, "mg", AT)]}, "previous[0].dose"),
        (
            {"previous": [("morphine", 1, "mg", datetime(2024, 5, 1, 11, 0))]},
            "previous[0].given_at",
        ),
    ],
)
def test_impossible_values_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ClinicalValueError) as info:
        check(**overrides)
    assert info.value.field == field


def test_breach_to_dict() -> None:
    (breach,) = check(route="SL")
    data = breach.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "rule": "formulary.route",
        "field": "route",
        "message": "morphine may not be given SL (allowed: IV, IO, IM, PO)",
        "overridable": False,
        "severity": None,
        "second_clinician": False,
    }


def test_weight_only_paediatric_dosing() -> None:
    from carechain.clinical import load_formulary

    formulary = load_formulary(
        {
            "format": "carechain-formulary/1",
            "drugs": [
                {
                    "name": "ketamine",
                    "routes": ["IV"],
                    "unit": "mg",
                    "max_single_dose": 50,
                    "paediatric": {"under_age_years": 12, "dose_per_kg": 1},
                }
            ],
        }
    )
    child: dict[str, Any] = {"drug": "ketamine", "unit": "mg", "route": "IV", "given_at": AT}
    assert check_administration(formulary, dose=20, age_years=6, weight_kg=20, **child) == []
    assert rules(check_administration(formulary, dose=21, age_years=6, weight_kg=20, **child)) == [
        "formulary.paediatric-dose"
    ]
    # No weight and no age-based maximum: only the missing weight can be reported.
    assert rules(check_administration(formulary, dose=21, age_years=6, **child)) == [
        "formulary.paediatric-weight-missing"
    ]
