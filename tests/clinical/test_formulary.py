"""Formulary file format: loading the example and refusing bad files by drug and field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from carechain.clinical import FormularyError, load_example_formulary, load_formulary
from carechain.clinical.formulary import FORMAT, term_key, unit_key

EXAMPLE_DRUGS = {
    "adrenaline",
    "amiodarone",
    "aspirin",
    "glyceryl trinitrate",
    "morphine",
    "paracetamol",
    "ondansetron",
    "salbutamol",
    "ipratropium bromide",
    "naloxone",
    "benzylpenicillin",
    "glucagon",
    "ibuprofen",
    "tranexamic acid",
    "oxygen",
}

MINIMAL: dict[str, Any] = {
    "format": FORMAT,
    "drugs": [
        {
            "name": "morphine",
            "classes": ["opioids"],
            "routes": ["IV"],
            "unit": "mg",
            "max_single_dose": 10,
        }
    ],
}


def with_drug(**fields: Any) -> dict[str, Any]:
    """Return MINIMAL with the morphine entry changed (a value of None removes the field)."""
    data = copy.deepcopy(MINIMAL)
    for key, value in fields.items():
        if value is None:
            data["drugs"][0].pop(key, None)
        else:
            data["drugs"][0][key] = value
    return data


def test_example_formulary_loads() -> None:
    formulary = load_example_formulary()
    assert {drug.name for drug in formulary.drugs} == EXAMPLE_DRUGS
    assert "EXAMPLE" in formulary.name
    morphine = formulary.drug("Morphine Sulfate")
    assert morphine is not None
    assert morphine.name == "morphine"
    assert morphine.max_single_dose == Decimal(10)
    assert morphine.max_cumulative_dose == Decimal(20)
    assert morphine.min_interval_minutes == 5
    assert morphine.paediatric is not None
    assert morphine.paediatric.dose_per_kg == Decimal("0.1")
    assert formulary.drug("unobtainium") is None


def test_example_file_says_it_is_not_guidance() -> None:
    from importlib import resources

    text = resources.files("carechain.clinical").joinpath("example_formulary.yaml").read_text()
    assert "EXAMPLE FORMULARY — NOT CLINICAL GUIDANCE" in text.splitlines()[1]


def test_json_text_and_mapping_load_alike() -> None:
    from_mapping = load_formulary(MINIMAL)
    from_json = load_formulary(json.dumps(MINIMAL))
    assert from_mapping == from_json
    assert from_mapping.name == ""
    assert from_mapping.cross_reactions == ()
    drug = from_mapping.drugs[0]
    assert (drug.aliases, drug.max_cumulative_dose, drug.min_interval_minutes) == ((), None, None)
    assert drug.paediatric is None


def test_to_dict_round_trips_as_json() -> None:
    data = load_example_formulary().to_dict()
    assert json.loads(json.dumps(data)) == data
    naloxone = next(drug for drug in data["drugs"] if drug["name"] == "naloxone")
    assert naloxone["max_single_dose"] == 0.8
    assert naloxone["max_cumulative_dose"] == 4.4
    assert naloxone["routes"] == ["IV", "IO", "IM", "IN"]


@pytest.mark.parametrize(
    ("data", "drug", "field", "rule"),
    [
        (with_drug(max_single_dose=None), "morphine", "max_single_dose", "is required"),
        (with_drug(max_single_dose=0), "morphine", "max_single_dose", "greater than 0"),
        (with_drug(max_single_dose="10"), "morphine", "max_single_dose", "greater than 0"),
        (with_drug(max_single_dose=True), "morphine", "max_single_dose", "greater than 0"),
        (with_drug(max_cumulative_dose=-5), "morphine", "max_cumulative_dose", "greater than 0"),
        (with_drug(max_cumulative_dose=5), "morphine", "max_cumulative_dose", "not be less"),
        (with_drug(unit=None), "morphine", "unit", "is required"),
        (with_drug(unit=" "), "morphine", "unit", "non-empty text"),
        (with_drug(routes=None), "morphine", "routes", "non-empty list"),
        (with_drug(routes=[]), "morphine", "routes", "non-empty list"),
        (with_drug(routes="IV"), "morphine", "routes", "non-empty list"),
        (with_drug(routes=["IV", 3]), "morphine", "routes", "non-empty text only"),
        (with_drug(classes="opioids"), "morphine", "classes", "must be a list"),
        (with_drug(min_interval_minutes=0), "morphine", "min_interval_minutes", "at least 1"),
        (with_drug(min_interval_minutes=2.5), "morphine", "min_interval_minutes", "whole"),
        (with_drug(min_age_years=-1), "morphine", "min_age_years", "at least 0"),
        (with_drug(max_singel_dose=10), "morphine", "max_singel_dose", "unknown field"),
        (with_drug(paediatric=[]), "morphine", "paediatric", "must be a mapping"),
        (
            with_drug(paediatric={"dose_per_kg": 0.1}),
            "morphine",
            "paediatric.under_age_years",
            "is required",
        ),
        (
            with_drug(paediatric={"under_age_years": 0, "dose_per_kg": 0.1}),
            "morphine",
            "paediatric.under_age_years",
            "at least 1",
        ),
        (
            with_drug(paediatric={"under_age_years": 12}),
            "morphine",
            "paediatric",
            "needs dose_per_kg or max_single_dose",
        ),
        (
            with_drug(paediatric={"under_age_years": 12, "max_single_dose": 5, "per_kg": 1}),
            "morphine",
            "paediatric.per_kg",
            "unknown field",
        ),
        (with_drug(name=None), None, "drugs[0].name", "is required"),
        (with_drug(name=""), None, "drugs[0].name", "non-empty text"),
    ],
)
def test_bad_drug_fields_are_named(
    data: dict[str, Any], drug: str | None, field: str, rule: str
) -> None:
    with pytest.raises(FormularyError) as info:
        load_formulary(data)
    assert info.value.drug == drug
    assert info.value.field == field
    assert rule in info.value.rule
    if drug is not None:
        assert str(info.value).startswith(f"formulary drug {drug!r}, field {field!r}: ")


def test_duplicate_names_and_aliases_are_refused() -> None:
    data = copy.deepcopy(MINIMAL)
    data["drugs"].append({**data["drugs"][0], "name": "oramorph", "aliases": ["MORPHINE"]})
    with pytest.raises(FormularyError) as info:
        load_formulary(data)
    assert info.value.drug == "oramorph"
    assert "'morphine' is also used by 'morphine'" in info.value.rule


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ("- just\n- a list\n", "(file)", "must be a mapping"),
        ("format: [unclosed\n", "(file)", "not valid YAML or JSON"),
        ({**MINIMAL, "format": "other/1"}, "format", "must be 'carechain-formulary/1'"),
        ({"drugs": MINIMAL["drugs"]}, "format", "must be"),
        ({**MINIMAL, "drugs": []}, "drugs", "non-empty list"),
        ({**MINIMAL, "drugs": {"morphine": {}}}, "drugs", "non-empty list"),
        ({**MINIMAL, "drugs": ["morphine"]}, "drugs[0]", "must be a mapping"),
        ({**MINIMAL, "extra": 1}, "extra", "unknown field"),
        ({**MINIMAL, "name": 5}, "name", "non-empty text"),
        ({**MINIMAL, "cross_reactions": {"a": 1}}, "cross_reactions", "must be a list"),
        (
            {**MINIMAL, "cross_reactions": [{"allergies": ["x"], "conflicts_with": ["nsaids"]}]},
            "cross_reactions[0].conflicts_with",
            "'nsaids' is neither a class nor a drug here",
        ),
        (
            {**MINIMAL, "cross_reactions": [{"allergies": [], "conflicts_with": ["opioids"]}]},
            "cross_reactions[0].allergies",
            "non-empty list",
        ),
        (
            {**MINIMAL, "cross_reactions": [{"allergies": ["x"], "conflicts": ["opioids"]}]},
            "cross_reactions[0].conflicts",
            "unknown field",
        ),
    ],
)
def test_bad_files_are_refused(data: Any, field: str, rule: str) -> None:
    with pytest.raises(FormularyError) as info:
        load_formulary(data)
    assert info.value.drug is None
    assert info.value.field == field
    assert rule in info.value.rule
    assert str(info.value).startswith(f"formulary field {field!r}: ")


def test_cross_reaction_may_name_a_drug_or_class() -> None:
    data = {
        **MINIMAL,
        "cross_reactions": [
            {"allergies": ["codeine"], "conflicts_with": ["Opioids", "MORPHINE"], "note": "x"}
        ],
    }
    formulary = load_formulary(data)
    assert formulary.cross_reactions[0].conflicts_with == ("Opioids", "MORPHINE")
    assert formulary.cross_reactions[0].note == "x"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mcg", "micrograms"),
        ("µg", "micrograms"),
        ("microgram", "Micrograms"),
        ("milligrams", "mg"),
        ("MG", "mg"),
        ("grams", "g"),
        ("mL", "millilitres"),
        ("L/min", "l/min"),
    ],
)
def test_unit_spellings_that_agree(a: str, b: str) -> None:
    assert unit_key(a) == unit_key(b)


@pytest.mark.parametrize(("a", "b"), [("mg", "micrograms"), ("g", "mg"), ("mg", "mg/kg")])
def test_units_that_differ(a: str, b: str) -> None:
    assert unit_key(a) != unit_key(b)


def test_term_key() -> None:
    assert term_key("  Glyceryl   Trinitrate ") == "glyceryl trinitrate"
