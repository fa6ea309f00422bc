"""Cardiac arrest: the two kinds' rules, the fold's timeline and Utstein core, the handover."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from carechain.entries import HLC
from carechain.errors import FieldInvalid
from carechain.handover import build_handover
from carechain.records.fold import AMENDMENT_KIND, FoldEntry
from carechain.records.kinds import validate_body
from carechain.records.state import build_state

BST = timezone(timedelta(hours=1))
NOW = datetime(2024, 5, 1, 14, 45, tzinfo=BST)


def at(minute: int, second: int = 0) -> str:
    return f"2024-05-01T14:{minute:02d}:{second:02d}+01:00"


def tap(event: str, minute: int, second: int = 0, **more: Any) -> dict[str, Any]:
    return {"event": event, "at": at(minute, second), "by": "p.jones", **more}


def rules(kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return [(e["field"], e["rule"]) for e in info.value.extra["errors"]]


ROLE = ["asystole-after-20-minutes-als", "no-reversible-causes"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (tap("shock", 20), ("data.energy_j", "is required for a shock")),
        (tap("shock", 20, energy_j=361), ("data.energy_j", "must be between 1 and 360 J")),
        (tap("shock", 20, energy_j=0), ("data.energy_j", "must be between 1 and 360 J")),
        (tap("rosc", 20, energy_j=150), ("data.energy_j", "is only for a shock")),
        (tap("rosc", 20, rhythm="vf"), ("data.rhythm", "is only for a rhythm check or a shock")),
        (tap("life-extinct", 20), ("data.criteria", "is required for life-extinct")),
        (
            tap("resuscitation-stopped", 20, criteria=ROLE),
            ("data.decision_by", "is required for resuscitation-stopped"),
        ),
        (
            tap("life-extinct", 20, criteria=[], decision_by="s.lee"),
            ("data.criteria", "must list at least one criterion"),
        ),
        (
            tap("life-extinct", 20, criteria=["rigor-mortis", "rigor-mortis"], decision_by="s"),
            ("data.criteria", "must not repeat a criterion"),
        ),
        (
            tap("rosc", 20, criteria=ROLE),
            ("data.criteria", "is only for resuscitation-stopped or life-extinct"),
        ),
        ({"event": "shock", "by": "p", "energy_j": 150}, ("data.at", "is required")),
        (
            tap("pulse", 20),
            (
                "data.event",
                "must be one of: cpr-started, rhythm-check, shock, "
                "rosc, re-arrest, resuscitation-stopped, life-extinct",
            ),
        ),
    ],
)
def test_event_rules(data: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in rules("arrest.event", data)


def test_ending_with_criteria_is_valid() -> None:
    ended = tap("life-extinct", 40, criteria=ROLE, decision_by="s.lee")
    assert validate_body("arrest.event", ended)["criteria"] == ROLE


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"bystander_cpr": False, "bystander_cpr_at": at(3)},
            ("data.bystander_cpr_at", "must be left out when bystander_cpr is false"),
        ),
        (
            {"public_aed_applied": False, "public_aed_shocked": True},
            ("data.public_aed_shocked", "needs public_aed_applied true"),
        ),
        (
            {"witnessed": "ambulance-crew", "bystander_cpr": True},
            ("data.bystander_cpr", "must be false for an arrest the ambulance crew witnessed"),
        ),
        (
            {"witnessed": "yes"},
            ("data.witnessed", "must be one of: unwitnessed, bystander, ambulance-crew"),
        ),
        (
            {"arrest_at": "2024-05-01T14:02:00"},
            (
                "data.arrest_at",
                "must include a UTC offset (e.g. 2024-05-01T14:32:00+01:00 or …Z); "
                "times without an offset are refused",
            ),
        ),
    ],
)
def test_arrest_rules(data: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in rules("arrest.recorded", data)


def entry(n: int, kind: str, data: dict[str, Any], parents: tuple[bytes, ...] = ()) -> FoldEntry:
    eid = hashlib.sha256(f"arrest-{n}".encode()).digest()
    checked = data if kind == AMENDMENT_KIND else validate_body(kind, data)
    body = {"kind": kind, "v": 1, "data": checked}
    return FoldEntry(eid, HLC(1_714_570_000_000 + n, 0), parents, "clinical", "P1", "crew", body)


def arrest_entries() -> list[FoldEntry]:
    return [
        entry(0, "incident.recorded", {"call_received": at(4)}),
        entry(
            1,
            "arrest.recorded",
            {
                "arrest_at": at(2),
                "witnessed": "bystander",
                "bystander_cpr": True,
                "bystander_cpr_at": at(3),
                "public_aed_applied": False,
                "first_rhythm": "vf",
            },
        ),
        entry(2, "arrest.event", tap("cpr-started", 15)),
        entry(3, "arrest.event", tap("shock", 16, energy_j=150, rhythm="vf")),
        entry(4, "arrest.event", tap("shock", 18, 5, energy_j=200, rhythm="vf")),
        entry(
            5,
            "medication.administered",
            {
                "drug": "Adrenaline",
                "dose": 1,
                "unit": "mg",
                "route": "IO",
                "given_at": at(19),
                "given_by": "p.jones",
            },
        ),
        entry(
            6,
            "medication.administered",
            {  # before the arrest: not on its timeline
                "drug": "Aspirin",
                "dose": 300,
                "unit": "mg",
                "route": "PO",
                "given_at": "2024-05-01T13:50:00+01:00",
                "given_by": "p.jones",
            },
        ),
        entry(7, "arrest.event", tap("rosc", 24)),
    ]


def test_fold_builds_the_timeline_in_time_order_with_drugs_from_the_medication_path() -> None:
    entries = arrest_entries()
    summary = build_state(b"\x03" * 16, list(reversed(entries)))["arrest"]
    assert [(t["event"], t["at"]) for t in summary["timeline"]] == [
        ("cpr-started", "2024-05-01T13:15:00+00:00"),
        ("shock", "2024-05-01T13:16:00+00:00"),
        ("shock", "2024-05-01T13:18:05+00:00"),
        ("drug", "2024-05-01T13:19:00+00:00"),
        ("rosc", "2024-05-01T13:24:00+00:00"),
    ]
    assert summary["timeline"][1]["energy_j"] == 150.0
    assert summary["timeline"][3]["drug"] == "Adrenaline"
    assert (summary["outcome"], summary["shocks"], summary["rosc_at"]) == (
        "rosc",
        2,
        "2024-05-01T13:24:00+00:00",
    )


def test_utstein_core_names_what_is_present_and_what_is_missing() -> None:
    summary = build_state(b"\x03" * 16, arrest_entries())["arrest"]
    core = summary["utstein"]
    assert core["first_cpr_at"] == "2024-05-01T13:03:00+00:00"  # the bystander's, earliest
    assert core["first_shock_at"] == "2024-05-01T13:16:00+00:00"
    assert core["call_at"] == "2024-05-01T13:04:00+00:00"
    assert core["rosc"] is True and core["public_aed_applied"] is False
    assert summary["utstein_missing"] == ["location", "aetiology", "resuscitation_attempted"]
    assert set(summary["utstein_present"]) | set(summary["utstein_missing"]) == set(core)


def test_no_shock_in_a_non_shockable_arrest_is_not_missing() -> None:
    entries = [
        entry(1, "arrest.recorded", {"first_rhythm": "asystole"}),
        entry(2, "arrest.event", tap("life-extinct", 40, criteria=ROLE, decision_by="s.lee")),
    ]
    summary = build_state(b"\x04" * 16, entries)["arrest"]
    assert summary["utstein"]["first_shock_at"] == "not-applicable"
    assert summary["utstein"]["rosc"] is False and summary["outcome"] == "life-extinct"


def test_a_record_without_an_arrest_has_no_summary() -> None:
    state = build_state(b"\x05" * 16, [entry(0, "incident.recorded", {"call_received": at(4)})])
    assert "arrest" not in state


def test_an_amended_shock_time_moves_on_the_timeline() -> None:
    entries = arrest_entries()
    shock = entries[4]
    fixed = validate_body("arrest.event", tap("shock", 17, energy_j=200, rhythm="vf"))
    amend = entry(
        8,
        AMENDMENT_KIND,
        {"supersedes": shock.id.hex(), "reason": "wrong minute", "data": fixed},
        (shock.id,),
    )
    summary = build_state(b"\x03" * 16, [*entries, amend])["arrest"]
    shocks = [t["at"] for t in summary["timeline"] if t["event"] == "shock"]
    assert shocks == ["2024-05-01T13:16:00+00:00", "2024-05-01T13:17:00+00:00"]


def test_handover_leads_with_the_arrest_and_shows_rosc() -> None:
    state = build_state(b"\x03" * 16, arrest_entries())
    handover = build_handover(state, now=NOW)
    assert handover.fields["situation"].startswith(
        "cardiac arrest 14:02 (witnessed by bystander), bystander CPR, first rhythm VF, "
        "2 shocks, ROSC 14:24"
    )


def test_handover_shows_a_re_arrest_after_rosc() -> None:
    entries = [*arrest_entries(), entry(9, "arrest.event", tap("re-arrest", 30))]
    handover = build_handover(build_state(b"\x03" * 16, entries), now=NOW)
    assert "ROSC 14:24, re-arrested, resuscitation ongoing" in handover.fields["situation"]


def test_handover_shows_life_extinct_with_its_time() -> None:
    entries = [
        entry(1, "arrest.recorded", {"first_rhythm": "asystole", "witnessed": "unwitnessed"}),
        entry(2, "arrest.event", tap("life-extinct", 40, criteria=ROLE, decision_by="s.lee")),
    ]
    handover = build_handover(build_state(b"\x04" * 16, entries), now=NOW)
    assert handover.fields["situation"].startswith(
        "cardiac arrest (unwitnessed), first rhythm asystole, life extinct 14:40"
    )
