"""Trauma entries: mechanism, triage, body-map injuries, haemorrhage control and
immobilisation — rules, ranges, fold, amendment and the ATMIST handover built from them."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from carechain.entries import HLC
from carechain.errors import FieldInvalid
from carechain.handover import build_handover
from carechain.records.fold import AMENDMENT_KIND, FoldEntry
from carechain.records.kinds import check_section, validate_body
from carechain.records.state import build_state

BST = timezone(timedelta(hours=1))
NOW = datetime(2024, 5, 1, 14, 40, tzinfo=BST)
TOURNIQUET: dict[str, Any] = {
    "method": "tourniquet",
    "region": "left-leg",
    "applied_at": "2024-05-01T14:31:00+01:00",
    "applied_by": "t.smith",
}
MARK: dict[str, Any] = {
    "view": "front",
    "region": "right-leg",
    "x": 0.6,
    "y": 0.7,
    "type": "deformity",
    "severity": "severe",
}


def rules(kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return every (field, rule) the body breaks."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return [(e["field"], e["rule"]) for e in info.value.extra["errors"]]


def _entry(n: int, kind: str, data: dict[str, Any]) -> FoldEntry:
    eid = hashlib.sha256(f"trauma-{n}".encode()).digest()
    body = {
        "kind": kind,
        "v": 1,
        "data": data if kind == AMENDMENT_KIND else validate_body(kind, data),
    }
    return FoldEntry(eid, HLC(1_714_570_000_000 + n, 0), (), "clinical", "P1", "crew", body)


HEIGHT_RANGE = "must be between 0.1 and 100 m"
RTC_TYPES = (
    "must be one of: car-occupant, lorry-or-bus-occupant, motorcyclist, cyclist, "
    "pedestrian, other-vehicle"
)
MECHANISMS = "must be one of: rtc, fall, assault, penetrating, blast, crush, other"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"mechanism": "fall", "height_m": 101}, ("data.height_m", HEIGHT_RANGE)),
        ({"mechanism": "fall", "height_m": 0}, ("data.height_m", HEIGHT_RANGE)),
        (
            {"mechanism": "rtc", "speed_mph": 201},
            ("data.speed_mph", "must be between 1 and 200 mph"),
        ),
        ({"mechanism": "fall", "speed_mph": 30}, ("data.speed_mph", "is only for an rtc")),
        ({"mechanism": "rtc", "height_m": 3}, ("data.height_m", "is only for a fall")),
        (
            {"mechanism": "blast", "weapon": "knife"},
            ("data.weapon", "is only for an assault or a penetrating injury"),
        ),
        ({"mechanism": "other"}, ("data.details", 'is required when mechanism is "other"')),
        ({"mechanism": "rtc", "rtc_type": "tram"}, ("data.rtc_type", RTC_TYPES)),
        ({"mechanism": "drowning"}, ("data.mechanism", MECHANISMS)),
    ],
)
def test_mechanism_out_of_range_or_inconsistent(
    data: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in rules("trauma.mechanism", data)


def test_mechanism_boundaries_are_valid_and_merged_rules_span_entries() -> None:
    assert validate_body("trauma.mechanism", {"mechanism": "fall", "height_m": 0.1})
    assert validate_body("trauma.mechanism", {"mechanism": "rtc", "speed_mph": 200})
    # A height sent alone is accepted; merged with an RTC it is refused.
    assert validate_body("trauma.mechanism", {"height_m": 4.5}) == {"height_m": 4.5}
    with pytest.raises(FieldInvalid) as info:
        check_section("mechanism", {"mechanism": "rtc", "height_m": 4.5})
    assert (info.value.field, info.value.rule) == ("data.height_m", "is only for a fall")


def test_triage_rules() -> None:
    base = {"positive_criteria": ["suspected-pelvic-fracture"], "mtc_pre_alert": True}
    assert validate_body("trauma.triage", {**base, "destination": "major-trauma-centre"})
    assert ("data.positive_criteria", "must list the criteria met for an MTC pre-alert") in rules(
        "trauma.triage", {"positive_criteria": [], "mtc_pre_alert": True}
    )
    assert ("data.mtc_pre_alert", "needs destination major-trauma-centre") in rules(
        "trauma.triage", {**base, "destination": "trauma-unit", "bypass_reason": "airway"}
    )
    bypass = {"positive_criteria": ["gcs-13-or-less"], "destination": "emergency-department"}
    assert rules("trauma.triage", bypass) == [
        (
            "data.bypass_reason",
            "is required when the triage is positive and the destination is not "
            "a major-trauma-centre",
        )
    ]
    assert validate_body("trauma.triage", {**bypass, "bypass_reason": "Airway not maintained."})
    repeated = {"positive_criteria": ["new-paralysis", "new-paralysis"]}
    assert rules("trauma.triage", repeated) == [
        ("data.positive_criteria", "must not repeat a criterion")
    ]
    assert ("data.destination_name", 'is required when destination is "other"') in rules(
        "trauma.triage", {"destination": "other"}
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"x": 1.01}, ("data.x", "must be between 0 and 1")),
        ({"y": -0.01}, ("data.y", "must be between 0 and 1")),
        ({"y": None}, ("data.y", "x and y go together")),
        ({"view": "back", "region": "chest"}, ("data.region", "chest is on the front view")),
        ({"region": "buttocks"}, ("data.region", "buttocks is on the back view")),
        ({"view": "side"}, ("data.view", "must be one of: front, back")),
        ({"type": "other"}, ("data.note", 'is required when type is "other"')),
        ({"severity": "critical"}, ("data.severity", "must be one of: minor, moderate, severe")),
    ],
)
def test_injury_mark_out_of_range(change: dict[str, Any], expected: tuple[str, str]) -> None:
    data = {k: v for k, v in {**MARK, **change}.items() if v is not None}
    assert expected in rules("injury.marked", data)


def test_injury_mark_without_a_position_is_valid() -> None:
    out = validate_body("injury.marked", {"view": "back", "region": "upper-back", "type": "burn"})
    assert out == {"view": "back", "region": "upper-back", "type": "burn"}
    assert validate_body("injury.marked", {**MARK, "x": 0, "y": 1})["x"] == 0


def test_tourniquet_and_splint_need_a_limb() -> None:
    assert rules("haemorrhage.controlled", {**TOURNIQUET, "region": "neck"}) == [
        ("data.region", "must be a limb for a tourniquet")
    ]
    assert ("data.applied_at", "is required") in rules(
        "haemorrhage.controlled", {k: v for k, v in TOURNIQUET.items() if k != "applied_at"}
    )
    splint = {"device": "traction-splint", "applied_at": NOW.isoformat(), "applied_by": "a"}
    assert rules("immobilisation.applied", splint) == [
        ("data.region", "must be a limb for a traction-splint")
    ]
    assert validate_body("immobilisation.applied", {**splint, "region": "right-leg"})
    collar = {"device": "collar", "applied_at": NOW.isoformat(), "applied_by": "a"}
    assert validate_body("immobilisation.applied", collar)


def _trauma_state() -> tuple[dict[str, Any], list[FoldEntry]]:
    entries = [
        _entry(
            1,
            "trauma.mechanism",
            {
                "mechanism": "rtc",
                "rtc_type": "motorcyclist",
                "speed_mph": 40,
                "ejected": True,
                "occurred_at": "2024-05-01T14:05:00+01:00",
            },
        ),
        _entry(
            2,
            "injury.marked",
            {"view": "back", "region": "lower-back", "type": "abrasion", "severity": "minor"},
        ),
        _entry(3, "injury.marked", {**MARK, "note": "closed femur"}),
        _entry(4, "haemorrhage.controlled", TOURNIQUET),
        _entry(
            5,
            "immobilisation.applied",
            {
                "device": "pelvic-binder",
                "region": "pelvis",
                "applied_at": "2024-05-01T14:36:00+01:00",
                "applied_by": "p.jones",
            },
        ),
        _entry(
            6,
            "haemorrhage.controlled",
            {
                "method": "direct-pressure",
                "region": "head",
                "applied_at": "2024-05-01T14:29:00+01:00",
                "applied_by": "p.jones",
            },
        ),
        _entry(
            7,
            "trauma.triage",
            {
                "positive_criteria": ["suspected-pelvic-fracture", "high-energy-rtc"],
                "mtc_pre_alert": True,
                "destination": "major-trauma-centre",
                "destination_name": "Salford Royal",
            },
        ),
    ]
    return build_state(b"\x07" * 16, entries), entries


def test_folded_into_the_state() -> None:
    state, _ = _trauma_state()
    assert state["sections"]["mechanism"]["speed_mph"] == 40
    assert [m["region"] for m in state["items"]["injuries"]] == ["lower-back", "right-leg"]
    assert state["items"]["haemorrhage_control"][0]["method"] == "tourniquet"
    assert state["items"]["immobilisation"][0]["device"] == "pelvic-binder"
    assert state["sections"]["trauma_triage"]["mtc_pre_alert"] is True


def test_an_amended_tourniquet_time_is_shown_at_handover() -> None:
    _, entries = _trauma_state()
    tourniquet = entries[3]
    fixed = validate_body(
        "haemorrhage.controlled", {**TOURNIQUET, "applied_at": "2024-05-01T14:27:00+01:00"}
    )
    amend = _entry(
        8,
        AMENDMENT_KIND,
        {"supersedes": tourniquet.id.hex(), "reason": "time misread", "data": fixed},
    )
    state = build_state(b"\x07" * 16, [*entries, amend])
    [item] = [i for i in state["items"]["haemorrhage_control"] if i["method"] == "tourniquet"]
    assert item["applied_at"] == "2024-05-01T13:27:00+00:00"
    fields = build_handover(state, now=NOW).fields
    assert fields["treatment"].startswith("TOURNIQUET left leg on 14:27 (13 min ago)")


def test_atmist_is_built_from_the_trauma_entries() -> None:
    state, _ = _trauma_state()
    handover = build_handover(state, now=NOW)
    assert handover.format == "ATMIST"
    fields = handover.fields
    assert fields["time_of_incident"] == "14:05 (35 min ago)"
    assert fields["mechanism"] == "RTC, motorcyclist, 40 mph, ejected"
    assert fields["injuries"] == (
        "severe deformity right leg (front): closed femur; minor abrasion lower back (back)"
    )
    assert fields["treatment"] == (
        "TOURNIQUET left leg on 14:31 (9 min ago); direct pressure head 14:29; "
        "pelvic binder pelvis 14:36"
    )
    assert fields["eta_requirements"].startswith(
        "MTC pre-alert (criteria: suspected pelvic fracture, high energy rtc); "
        "destination Salford Royal"
    )


def test_a_tourniquet_leads_the_treatment_in_sbar_too() -> None:
    # A record without a mechanism, triage or mark is SBAR; the tourniquet still leads.
    state = build_state(b"\x08" * 16, [_entry(1, "haemorrhage.controlled", TOURNIQUET)])
    handover = build_handover(state, now=NOW)
    assert handover.format == "SBAR"
    assert "treatment: TOURNIQUET left leg on 14:31 (9 min ago)" in handover.fields["assessment"]


def test_a_fall_and_a_negative_triage_read_plainly() -> None:
    entries = [
        _entry(1, "trauma.mechanism", {"mechanism": "fall", "height_m": 4.5}),
        _entry(2, "trauma.triage", {"positive_criteria": [], "destination": "trauma-unit"}),
    ]
    fields = build_handover(build_state(b"\x09" * 16, entries), now=NOW).fields
    assert fields["mechanism"] == "fall from 4.5 m"
    assert fields["eta_requirements"].startswith(
        "major-trauma triage negative; destination trauma unit"
    )
