"""Every broken rule of a body at once (issue 10, item 7): `FieldInvalid` still names the
first, and `extra["errors"]` lists every one, the first equal to the error's own."""

from __future__ import annotations

from typing import Any

import pytest

from carechain.errors import FieldInvalid
from carechain.records.kinds import check_section, validate_body

T = "2024-05-01T14:00:00+01:00"


def errors_of(kind: str, data: dict[str, Any]) -> tuple[FieldInvalid, list[dict[str, str]]]:
    with pytest.raises(FieldInvalid) as caught:
        validate_body(kind, data)
    exc = caught.value
    errors = exc.extra["errors"]
    assert errors[0] == {"field": exc.field, "rule": exc.rule}
    assert len({(e["field"], e["rule"]) for e in errors}) == len(errors)
    return exc, errors


def test_two_out_of_range_vitals_are_both_reported() -> None:
    """Fails on the old code: the second (HR −5) only showed after another submit."""
    _, errors = errors_of(
        "observation.recorded", {"taken_at": T, "respiratory_rate": 99, "pulse": -5}
    )
    assert errors == [
        {"field": "data.respiratory_rate", "rule": "must be between 0 and 80 /min"},
        {"field": "data.pulse", "rule": "must be between 20 and 300 /min"},
    ]


def test_rules_across_fields_are_reported_with_the_fields_own() -> None:
    _, errors = errors_of(
        "observation.recorded",
        {
            "taken_at": T,
            "pulse": 500,
            "systolic_bp": 120,
            "diastolic_bp": 130,
            "oxygen": False,
            "oxygen_device": "other",
            "gcs_eye": 4,
        },
    )
    assert [e["field"] for e in errors] == [
        "data.pulse",
        "data.oxygen_device",
        "data.diastolic_bp",
        "data.gcs_verbal",
    ]
    assert errors[2]["rule"] == "must be lower than systolic_bp (130 ≥ 120)"


def test_a_rule_that_needs_a_broken_field_is_not_guessed() -> None:
    """Systolic out of range: 'diastolic needs systolic_bp' would be wrong, so not said."""
    _, errors = errors_of(
        "observation.recorded", {"taken_at": T, "systolic_bp": 1000, "diastolic_bp": 80}
    )
    assert errors == [{"field": "data.systolic_bp", "rule": "must be between 40 and 300 mmHg"}]


def test_a_whole_entry_rule_is_not_guessed_when_its_fields_were_broken() -> None:
    _, errors = errors_of("observation.recorded", {"taken_at": T, "pulse": "fast"})
    assert errors == [{"field": "data.pulse", "rule": "must be a whole number"}]


def test_several_cross_field_rules_at_once() -> None:
    _, errors = errors_of(
        "disposition.recorded",
        {"outcome": "not-conveyed", "hospital": "Royal Bolton", "pre_alert": True},
    )
    assert [(e["field"], e["rule"]) for e in errors] == [
        ("data.hospital", "is only recorded when outcome is conveyed"),
        ("data.pre_alert", "is only recorded when outcome is conveyed"),
        ("data.safety_netting", "is required when outcome is not-conveyed"),
        ("data.decision_by", "is required when outcome is not-conveyed"),
        ("data.pre_alert_category", "is required when pre_alert is true"),
    ]


def test_a_declaration_missing_two_things() -> None:
    _, errors = errors_of(
        "record.signed",
        {
            "clinician_name": "Sam Patel",
            "clinician_role": "paramedic",
            "signed_at": T,
            "declaration": False,
        },
    )
    assert [e["field"] for e in errors] == ["data.registration", "data.declaration"]


def test_nested_errors_name_their_path() -> None:
    _, errors = errors_of(
        "observation.recorded",
        {"taken_at": T, "pulse": 10, "twelve_lead": {"st_elevation_leads": ["II", "V10"]}},
    )
    assert [e["field"] for e in errors] == ["data.pulse", "data.twelve_lead.st_elevation_leads.1"]


def test_one_error_is_a_list_of_one() -> None:
    exc, errors = errors_of("observation.recorded", {"taken_at": T, "spo2": 101})
    assert errors == [{"field": "data.spo2", "rule": "must be between 50 and 100 %"}]
    assert exc.field == "data.spo2"


def test_a_merged_section_reports_every_rule_too() -> None:
    with pytest.raises(FieldInvalid) as caught:
        check_section(
            "disposition",
            {"outcome": "not-conveyed", "hospital": "Royal Bolton", "eta": T},
        )
    fields = [e["field"] for e in caught.value.extra["errors"]]
    assert fields[:2] == ["data.hospital", "data.eta"]
    assert "data.safety_netting" in fields
