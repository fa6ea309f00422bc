"""A child's handover: the vital signs from the headline PEWS (distress and capillary
refill included), PEWS with its chart in place of NEWS2, and the working weight saying
whether it was estimated."""

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
T0 = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=10)
WHEEZY = {
    "respiratory_rate": 45,
    "respiratory_distress": "moderate",
    "spo2": 93,
    "oxygen": True,
    "oxygen_flow_l_min": 2,
    "pulse": 150,
    "systolic_bp": 95,
    "capillary_refill_s": 3,
    "acvpu": "V",
}


def _entry(n: int, kind: str, data: dict[str, Any], minutes: float) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    ms = int((T0 + timedelta(minutes=minutes)).timestamp() * 1000)
    return FoldEntry(hashlib.sha256(bytes([n])).digest(), HLC(ms), (), "clinical", "P1", "c", body)


def _state(patient: dict[str, Any]) -> dict[str, Any]:
    return build_state(RECORD, [
        _entry(0, "patient.recorded", patient, 0),
        _entry(1, "history.recorded", {"presenting_complaint": "Wheeze"}, 0),
        _entry(2, "observation.recorded", {"taken_at": T0.isoformat(), **WHEEZY}, 0),
        _entry(3, "observation.recorded",
               {"taken_at": (T0 + timedelta(minutes=4)).isoformat(), "pulse": 152}, 4),
    ])  # fmt: skip


def test_a_childs_handover_gives_pews_and_an_estimated_weight() -> None:
    handover = build_handover(_state({"date_of_birth": "2023-06-01", "sex": "female"}), now=NOW)
    text = handover.to_text()
    # The pulse from the later set; the rest carried forward from the first.
    assert "HR 152" in text and "RR 45" in text and "SpO2 93%" in text
    assert "moderate respiratory distress" in text and "CRT 3 s" in text
    # 10 is high on the chart; AVPU V is a high-level trigger too.
    assert "PEWS 10 (high; chart for 1–4 years), AVPU V: high concern" in text
    assert "weight 14 kg (estimated from age, not weighed)" in text
    assert "NEWS2" not in text and "qSOFA" not in text  # adult tools, not used under 16


@pytest.mark.parametrize("patient", [{"estimated_age_years": 3, "weight_kg": 13.5}])
def test_a_weighed_child_says_only_the_weight(patient: dict[str, Any]) -> None:
    text = build_handover(_state(patient), now=NOW).to_text()
    assert "weight 13.5 kg" in text and "estimated" not in text


def test_an_adult_handover_is_unchanged() -> None:
    text = build_handover(_state({"estimated_age_years": 40}), now=NOW).to_text()
    assert "NEWS2" in text and "PEWS" not in text and "weight" not in text
