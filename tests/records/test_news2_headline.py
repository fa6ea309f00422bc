"""The record's headline NEWS2 (`state["scores"]["news2"]`): the issue's scenario, the
shared contract's shape, observation order to the second, and back-dated sets.

Issue 10, item 1: a full set scoring 14, then a 12-lead ECG recorded as its own set with a
pulse and the ST leads, showed "NEWS2 2 (incomplete) · low" with a trend "falling −12".
Item 2: the hospital's "Latest 77 /min" came from the older of two sets taken in one minute.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from carechain.entries import HLC
from carechain.records import build_state
from carechain.records.fold import FoldEntry
from carechain.records.kinds import validate_body

RECORD = bytes(range(16))
T0 = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
MS0 = int(T0.timestamp() * 1000)

FULL_14 = {
    "respiratory_rate": 26,
    "spo2": 91,
    "oxygen": False,
    "systolic_bp": 95,
    "diastolic_bp": 60,
    "pulse": 125,
    "acvpu": "C",
    "temperature_c": 38.5,
}
ECG = {
    "pulse": 118,
    "ecg_rhythm": "sinus-tachycardia",
    "twelve_lead": {"st_elevation_leads": ["II", "III", "aVF"]},
}


def entry(
    n: int, kind: str, data: dict[str, Any], *, ms: int, parents: tuple[bytes, ...] = ()
) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    eid = hashlib.sha256(str(n).encode()).digest()
    return FoldEntry(eid, HLC(ms), parents, "clinical", "P1", "crew-1", body)


def obs(
    n: int, minutes: float, data: dict[str, Any], *, recorded: float | None = None
) -> FoldEntry:
    taken = T0 + timedelta(minutes=minutes)
    ms = MS0 + int((minutes if recorded is None else recorded) * 60_000)
    return entry(n, "observation.recorded", {"taken_at": taken.isoformat(), **data}, ms=ms)


def patient() -> FoldEntry:
    return entry(0, "patient.recorded", {"date_of_birth": "1959-03-14", "sex": "male"}, ms=MS0)


def test_an_ecg_set_after_a_full_set_keeps_the_headline() -> None:
    """Fails on the old fold: it scored only the ECG set (NEWS2 2, low, falling −12)."""
    state = build_state(RECORD, [patient(), obs(1, 0, FULL_14), obs(2, 4, ECG)])
    news2 = state["scores"]["news2"]
    assert (news2["aggregate"], news2["band"], news2["complete"]) == (14, "high", True)
    assert news2["parameters"]["resp_rate"]["value"] == 26
    assert news2["parameters"]["spo2"]["value"] == 91
    assert news2["parameters"]["systolic"]["value"] == 95
    assert news2["parameters"]["pulse"] == {
        "value": 118,
        "score": 2,
        "taken_at": "2024-05-01T14:04:00+00:00",
        "entry": state["items"]["observations"][-1]["entry"],
    }
    assert news2["last_complete_at"] == "2024-05-01T14:04:00+00:00"
    trend = state["scores"]["news2_trend"]
    assert trend["direction"] == "stable" and trend["change_from_previous"] == 0
    assert [p["aggregate"] for p in trend["points"]] == [14, 14]
    assert {"rule": "news2.aggregate", "severity": "emergency"}.items() <= state["prompts"][
        0
    ].items()
    # The 12-lead is still read from its own set.
    assert state["scores"]["stemi"]["flagged"] is True


def test_qsofa_reads_the_same_carried_values() -> None:
    state = build_state(RECORD, [patient(), obs(1, 0, FULL_14), obs(2, 4, ECG)])
    qsofa = state["scores"]["qsofa"]
    assert qsofa["score"] == 3 and qsofa["positive"] is True  # RR 26, BP 95, confused


def test_the_headline_has_every_key_of_the_shared_contract() -> None:
    state = build_state(RECORD, [patient(), obs(1, 0, FULL_14)])
    news2 = state["scores"]["news2"]
    old = {
        "aggregate", "band", "response", "components", "missing", "complete",
        "single_three", "single_three_parameters", "applicable", "not_validated_reason",
        "notes", "spo2_scale", "taken_at",
    }  # fmt: skip
    assert old | {"parameters", "window_minutes", "stale", "last_complete_at"} <= set(news2)
    assert news2["window_minutes"] == 60
    assert news2["taken_at"] == "2024-05-01T14:00:00+00:00"
    for value in news2["parameters"].values():
        assert set(value) == {"value", "score", "taken_at", "entry"}
        assert len(value["entry"]) == 64


def test_a_value_older_than_the_window_is_stale_and_missing() -> None:
    state = build_state(RECORD, [patient(), obs(1, 0, FULL_14), obs(2, 61, {"pulse": 80})])
    news2 = state["scores"]["news2"]
    assert set(news2["parameters"]) == {"pulse"}
    assert set(news2["stale"]) == set(news2["missing"]) and "pulse" not in news2["stale"]
    assert news2["complete"] is False
    assert news2["last_complete_at"] == "2024-05-01T14:00:00+00:00"


def test_no_news2_until_a_parameter_is_measured() -> None:
    """A glucose-only set is not shown as "NEWS2 0 (incomplete) · low"."""
    state = build_state(RECORD, [patient(), obs(1, 0, {"blood_glucose_mmol_l": 5.5})])
    assert "news2" not in state["scores"] and "news2_trend" not in state["scores"]


def test_sets_in_one_minute_are_ordered_by_recording() -> None:
    """Two sets taken in the same minute: the one recorded later is the latest, whichever
    order they arrive in, and the headline's pulse is its value."""
    older = obs(1, 5, {"pulse": 77}, recorded=6)
    newer = obs(2, 5, {"pulse": 131}, recorded=7)
    # A later HLC but no parent link (two devices): the fold visits by (HLC, id) only.
    for entries in ([older, newer], [newer, older]):
        state = build_state(RECORD, [patient(), *entries])
        assert [o["pulse"] for o in state["items"]["observations"]] == [77, 131]
        assert state["scores"]["news2"]["parameters"]["pulse"]["value"] == 131


def test_seconds_count_and_the_device_time_breaks_a_tie_within_one() -> None:
    """Fails on the old fold: it sorted the time text, so a fraction of a second decided
    the order instead of when the device recorded the set."""
    a = obs(1, 5 + 40 / 60, {"pulse": 100}, recorded=5)  # taken 14:05:40, recorded first
    b = obs(2, 5 + 10 / 60, {"pulse": 90}, recorded=6)  # taken 14:05:10, recorded second
    c = obs(3, 5 + 40.5 / 60, {"pulse": 110}, recorded=4)  # 14:05:40.5: same second as a
    state = build_state(RECORD, [patient(), a, b, c])
    assert [o["pulse"] for o in state["items"]["observations"]] == [90, 110, 100]


def test_a_set_recorded_long_after_it_was_taken_is_marked_backdated() -> None:
    from carechain.records.times import BACKDATE_LIMIT

    assert timedelta(minutes=30) == BACKDATE_LIMIT
    limit = BACKDATE_LIMIT.total_seconds() / 60
    on_time = obs(1, 0, {"pulse": 80}, recorded=limit)
    late = obs(2, 1, {"pulse": 90}, recorded=1 + limit + 0.01)
    state = build_state(RECORD, [patient(), on_time, late])
    flags = {o["pulse"]: o.get("backdated") for o in state["items"]["observations"]}
    assert flags == {80: None, 90: True}
