"""Airway, breathing and vascular access as structured entries: rules, fold, handover."""

from __future__ import annotations

import hashlib
from datetime import timedelta, timezone
from typing import Any

import pytest

from carechain.entries import HLC
from carechain.errors import FieldInvalid
from carechain.records.fold import AMENDMENT_KIND, FoldEntry
from carechain.records.kinds import validate_body
from carechain.records.state import build_state

BST = timezone(timedelta(hours=1))
AT = "2024-05-01T14:30:00+01:00"
IGEL: dict[str, Any] = {
    "device": "igel",
    "size": 4,
    "attempts": 1,
    "successful": True,
    "confirmation": "waveform-capnography",
    "etco2": 4.5,
    "etco2_unit": "kPa",
    "performed_at": AT,
    "performed_by": "p.jones",
}
IO: dict[str, Any] = {
    "route": "IO",
    "site": "right proximal humerus",
    "gauge": 15,
    "attempts": 1,
    "successful": True,
    "performed_at": "2024-05-01T14:33:00+01:00",
    "performed_by": "t.smith",
}


def rules(kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return every (field, rule) the body breaks."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return [(e["field"], e["rule"]) for e in info.value.extra["errors"]]


def test_airway_in_mmhg_and_a_failed_attempt_are_valid() -> None:
    ett = {**IGEL, "device": "ett", "size": 7.5, "etco2": 35, "etco2_unit": "mmHg"}
    assert validate_body("airway.managed", ett)["etco2"] == 35.0
    failed = {"device": "ett", "attempts": 2, "successful": False}
    out = validate_body("airway.managed", {**failed, "performed_at": AT, "performed_by": "a"})
    assert out["successful"] is False and "confirmation" not in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"etco2": 20.1}, ("data.etco2", "must be between 0.0 and 20.0 kPa")),
        ({"etco2": 151, "etco2_unit": "mmHg"}, ("data.etco2", "must be between 0 and 150 mmHg")),
        ({"etco2": -1}, ("data.etco2", "must be between 0.0 and 20.0 kPa")),
        ({"etco2_unit": "%"}, ("data.etco2_unit", "must be one of: kPa, mmHg")),
        ({"size": 6}, ("data.size", "must be between 1 and 5 for igel")),
        ({"attempts": 11}, ("data.attempts", "must be between 1 and 10")),
        ({"attempts": 0}, ("data.attempts", "must be between 1 and 10")),
        ({"device": "tube"}, ("data.device", "must be one of: opa, npa, igel, lma, ett, surgical")),
    ],
)
def test_airway_out_of_range(change: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in rules("airway.managed", {**IGEL, **change})


def test_placed_tube_needs_waveform_capnography_with_a_value() -> None:
    ett = {**IGEL, "device": "ett", "size": 8, "confirmation": "auscultation"}
    assert ("data.confirmation", "must be waveform-capnography when a ett is placed") in rules(
        "airway.managed", ett
    )
    no_value = {k: v for k, v in IGEL.items() if k not in ("etco2", "etco2_unit")}
    assert rules("airway.managed", no_value) == [
        ("data.etco2", "is required when confirmation is waveform-capnography")
    ]
    assert rules("airway.managed", {**IGEL, "etco2_unit": None}) == [
        ("data.etco2_unit", "is required with etco2")
    ]
    # An adjunct needs no capnography.
    opa = {"device": "opa", "size": 3, "attempts": 1, "successful": True}
    assert validate_body("airway.managed", {**opa, "performed_at": AT, "performed_by": "a"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"gauge": 18}, ("data.gauge", "must be one of: 15 (G) for IO")),
        (
            {"route": "IV", "gauge": 15},
            ("data.gauge", "must be one of: 14, 16, 18, 20, 22, 24 (G) for IV"),
        ),
        ({"route": "SC"}, ("data.route", "must be one of: IV, IO")),
        ({"attempts": 11}, ("data.attempts", "must be between 1 and 10")),
        ({"site": ""}, ("data.site", "String should have at least 1 character")),
    ],
)
def test_access_out_of_range(change: dict[str, Any], expected: tuple[str, str]) -> None:
    found = rules("access.attempted", {**IO, **change})
    assert expected[0] in [f for f, _ in found]
    if expected[0] != "data.site":
        assert expected in found


def test_breathing_ranges() -> None:
    base = {"method": "cpap", "started_at": AT, "performed_by": "p.jones"}
    assert validate_body("breathing.supported", {**base, "peep_cmh2o": 7.5})["peep_cmh2o"] == 7.5
    assert rules("breathing.supported", {**base, "rate": 61}) == [
        ("data.rate", "must be between 4 and 60 /min")
    ]
    assert rules("breathing.supported", {**base, "peep_cmh2o": 21}) == [
        ("data.peep_cmh2o", "must be between 0 and 20 cmH2O")
    ]
    assert ("data.method", "is required") in rules("breathing.supported", {"started_at": AT})


def _entry(n: int, parents: tuple[bytes, ...], kind: str, data: dict[str, Any]) -> FoldEntry:
    eid = hashlib.sha256(f"{n}".encode()).digest()
    body = {
        "kind": kind,
        "v": 1,
        "data": data if kind == AMENDMENT_KIND else validate_body(kind, data),
    }
    return FoldEntry(eid, HLC(1_714_570_000_000 + n, 0), parents, "clinical", "P1", "crew", body)


def test_folded_into_the_state_and_amended_in_place() -> None:
    airway = _entry(1, (), "airway.managed", IGEL)
    access = _entry(2, (airway.id,), "access.attempted", IO)
    fixed = {**IO, "site": "left proximal tibia"}
    amend = _entry(
        3,
        (access.id,),
        AMENDMENT_KIND,
        {
            "supersedes": access.id.hex(),
            "reason": "wrong limb",
            "data": validate_body("access.attempted", fixed),
        },
    )
    state = build_state(b"\x01" * 16, [amend, access, airway])
    [placed] = state["items"]["airways"]
    assert (placed["device"], placed["etco2"], placed["etco2_unit"]) == ("igel", 4.5, "kPa")
    [line] = state["items"]["vascular_access"]
    assert line["site"] == "left proximal tibia" and line["amended_by"] == amend.id.hex()
    original = next(h for h in state["history"] if h["entry"] == access.id.hex())
    assert original["data"]["site"] == "right proximal humerus"


def test_handover_names_airway_breathing_and_access_in_time_order() -> None:
    from datetime import datetime

    from carechain.handover import build_handover

    failed_iv = {
        **IO,
        "route": "IV",
        "gauge": 18,
        "site": "left ACF",
        "attempts": 2,
        "successful": False,
        "performed_at": "2024-05-01T14:28:00+01:00",
    }
    bvm = {
        "method": "bag-valve-device",
        "rate": 10,
        "started_at": "2024-05-01T14:31:00+01:00",
        "performed_by": "p.jones",
    }
    entries = [
        _entry(1, (), "airway.managed", IGEL),
        _entry(2, (), "access.attempted", IO),
        _entry(3, (), "access.attempted", failed_iv),
        _entry(4, (), "breathing.supported", bvm),
    ]
    state = build_state(b"\x02" * 16, entries)
    handover = build_handover(state, now=datetime(2024, 5, 1, 14, 40, tzinfo=BST))
    text = handover.fields["assessment"]
    expected = (
        "IV 18G left ACF, 2 attempts, unsuccessful 14:28; "
        "i-gel size 4, confirmed by waveform capnography, EtCO2 4.5 kPa 14:30; "
        "bag ventilation via airway (rate 10/min) 14:31; "
        "IO 15G right proximal humerus 14:33"
    )
    assert expected in text
