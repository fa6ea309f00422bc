"""The handover reads the record's one NEWS2 rule: after a 12-lead ECG set with only a
pulse, SBAR's Assessment and ATMIST's Signs still give RR 26, SpO2 91 and BP 95, each with
the time it was taken (issue 10, item 1: the handover dropped them)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.entries import HLC
from carechain.handover import build_handover
from carechain.records import build_state
from carechain.records.fold import FoldEntry
from carechain.records.kinds import validate_body

RECORD = bytes(range(16))
T0 = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)
FULL_14 = {
    "respiratory_rate": 26,
    "spo2": 91,
    "oxygen": False,
    "systolic_bp": 95,
    "diastolic_bp": 60,
    "pulse": 125,
    "acvpu": "C",
    "temperature_c": 38.5,
    "blood_glucose_mmol_l": 6.1,
}
ECG = {"pulse": 118, "twelve_lead": {"st_elevation_leads": ["II", "III", "aVF"]}}


def _entry(n: int, kind: str, data: dict[str, Any], minutes: float) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    ms = int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)
    return FoldEntry(hashlib.sha256(bytes([n])).digest(), HLC(ms), (), "clinical", "P1", "c", body)


def _state(*, trauma: bool) -> dict[str, Any]:
    history: dict[str, Any] = {"presenting_complaint": "Chest pain", "no_known_allergies": True}
    if trauma:
        history.update(mechanism_of_injury="Fall from a ladder", trauma=True)
    entries = [
        _entry(0, "patient.recorded", {"date_of_birth": "1959-03-14", "sex": "male"}, 0),
        _entry(1, "history.recorded", history, 0),
        _entry(2, "observation.recorded", {"taken_at": T0.isoformat(), **FULL_14}, 0),
        _entry(
            3,
            "observation.recorded",
            {"taken_at": (T0 + timedelta(minutes=4)).isoformat(), **ECG},
            4,
        ),
    ]
    return build_state(RECORD, entries)


EXPECTED = (
    "at 14:04: HR 118; 12-lead: ST elevation in II, III, aVF; "
    "at 14:00: RR 26, SpO2 91% on air, BP 95/60, temp 38.5 °C, ACVPU C, BM 6.1 mmol/L; "
    "NEWS2 14 (high)"
)


@pytest.mark.parametrize(("trauma", "field"), [(False, "assessment"), (True, "signs")])
def test_the_values_before_an_ecg_set_stay_in_the_handover(trauma: bool, field: str) -> None:
    text = build_handover(_state(trauma=trauma), now=NOW).fields[field]
    assert text.startswith(EXPECTED)


def test_an_incomplete_headline_says_when_it_was_last_complete() -> None:
    later = _entry(
        4,
        "observation.recorded",
        {"taken_at": (T0 + timedelta(minutes=70)).isoformat(), "pulse": 90},
        70,
    )
    entries = [
        _entry(0, "patient.recorded", {"date_of_birth": "1959-03-14", "sex": "male"}, 0),
        _entry(2, "observation.recorded", {"taken_at": T0.isoformat(), **FULL_14}, 0),
        later,
    ]
    state = build_state(RECORD, entries)
    signs = build_handover(state, now=T0 + timedelta(minutes=75)).fields["assessment"]
    assert signs.startswith("at 15:10: HR 90; at 14:00: BM 6.1 mmol/L; NEWS2 0 (low)")
    assert "(incomplete; last complete 14:00)" in signs
    assert "RR 26" not in signs  # older than the NEWS2 window: not given as current
