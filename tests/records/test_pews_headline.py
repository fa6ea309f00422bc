"""A child's record: the fold scores the National PEWS and gives the working weight, and
the medication check uses a measured weight, else the estimate, and says which."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.clinical import load_example_formulary
from carechain.entries import HLC
from carechain.errors import FieldInvalid
from carechain.records import build_state
from carechain.records.fold import FoldEntry
from carechain.records.kinds import validate_body
from carechain.records.safety import check_medication

RECORD = bytes(range(16))
T0 = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
MS0 = int(T0.timestamp() * 1000)
# A wheezy 3-year-old: RR 45 (1), moderate distress (2), SpO2 93 (1), 2 L/min (2),
# HR 150 (2), SBP 95 (0), CRT 3 s (2): PEWS 10, high.
CHILD_SET = {
    "respiratory_rate": 45,
    "respiratory_distress": "moderate",
    "spo2": 93,
    "oxygen": True,
    "oxygen_flow_l_min": 2,
    "oxygen_device": "simple-face-mask",
    "pulse": 150,
    "systolic_bp": 95,
    "capillary_refill_s": 3,
    "acvpu": "A",
    "temperature_c": 38.4,
}


def entry(n: int, kind: str, data: dict[str, Any], *, minutes: float = 0) -> FoldEntry:
    body = {"kind": kind, "v": 1, "data": validate_body(kind, data)}
    eid = hashlib.sha256(str(n).encode()).digest()
    return FoldEntry(eid, HLC(MS0 + int(minutes * 60_000)), (), "clinical", "P1", "crew-1", body)


def obs(n: int, minutes: float, data: dict[str, Any]) -> FoldEntry:
    taken = (T0 + timedelta(minutes=minutes)).isoformat()
    return entry(n, "observation.recorded", {"taken_at": taken, **data}, minutes=minutes)


def state_of(patient: dict[str, Any], *sets: FoldEntry) -> dict[str, Any]:
    return build_state(RECORD, [entry(0, "patient.recorded", patient), *sets])


def test_a_child_gets_pews_on_the_chart_for_their_age() -> None:
    state = state_of({"date_of_birth": "2023-06-01"}, obs(1, 0, CHILD_SET))
    pews = state["scores"]["pews"]
    assert (pews["age_band"], pews["aggregate"], pews["band"]) == ("1-4y", 10, "high")
    assert pews["components"] == {"resp_rate": 1, "respiratory_distress": 2, "spo2": 1,
                                  "oxygen": 2, "pulse": 2, "systolic": 0,
                                  "capillary_refill": 2}  # fmt: skip
    assert pews["parameters"]["pulse"]["expected"] == "90–139"
    assert pews["parameters"]["oxygen"]["value"] == "2 L/min simple-face-mask"
    assert pews["think_sepsis"] is True
    # NEWS2 is still computed, and still says it is not validated for a child.
    assert state["scores"]["news2"]["not_validated_reason"] == "patient under 16"
    assert state["scores"]["weight"] == {
        "kg": 14, "source": "estimated",
        "basis": "estimated from age 3 years (APLS 5th edition (ALSG 2011) weight-for-age formula)",
    }  # fmt: skip


def test_a_child_is_prompted_from_pews_not_from_adult_tools() -> None:
    state = state_of({"date_of_birth": "2023-06-01"}, obs(1, 0, CHILD_SET))
    rules = [p["rule"] for p in state["prompts"]]
    assert rules[0] == "pews.level" and state["prompts"][0]["severity"] == "emergency"
    assert "PEWS 10 — high (1–4 years chart)" in state["prompts"][0]["text"]
    assert "pews.think-sepsis" in rules  # 38.4 °C
    assert not [r for r in rules if r.split(".")[0] in ("news2", "qsofa", "sepsis")]
    assert "qsofa" not in state["scores"] and "sepsis" not in state["scores"]


def test_an_adult_keeps_the_adult_tools() -> None:
    state = state_of({"estimated_age_years": 16}, obs(1, 0, CHILD_SET))
    rules = [p["rule"] for p in state["prompts"]]
    assert "news2.aggregate" in rules and not [r for r in rules if r.startswith("pews")]
    assert "qsofa" in state["scores"]


def test_a_later_partial_set_keeps_the_childs_score() -> None:
    state = state_of({"estimated_age_years": 3}, obs(1, 0, CHILD_SET), obs(2, 5, {"pulse": 172}))
    pews = state["scores"]["pews"]
    assert (pews["aggregate"], pews["complete"]) == (12, True)
    assert [p["aggregate"] for p in pews["trend"]] == [10, 12]


@pytest.mark.parametrize(
    ("patient", "has_pews"),
    [({"date_of_birth": "2010-12-04"}, True),  # 15 the day before their 16th birthday
     ({"date_of_birth": "2010-12-03"}, False),  # 16 today: NEWS2
     ({"estimated_age_years": 15}, True), ({"estimated_age_years": 16}, False),
     ({"sex": "female"}, False)],  # age unknown: NEWS2 as for an adult
)  # fmt: skip
def test_pews_replaces_news2_under_16_only(patient: dict[str, Any], has_pews: bool) -> None:
    state = state_of(patient, obs(1, 0, CHILD_SET))
    assert ("pews" in state["scores"]) is has_pews
    assert "news2" in state["scores"]


def test_a_measured_weight_wins_over_the_estimate() -> None:
    state = state_of({"estimated_age_years": 3, "weight_kg": 12.5}, obs(1, 0, CHILD_SET))
    assert state["scores"]["weight"] == {"kg": 12.5, "source": "measured", "basis": "weighed"}


def medication(dose: float) -> dict[str, Any]:
    return {"drug": "paracetamol", "dose": dose, "unit": "mg", "route": "PO",
            "given_at": (T0 + timedelta(minutes=10)).isoformat()}  # fmt: skip


def test_dose_check_uses_the_estimated_weight_and_says_so() -> None:
    # 3 years, not weighed: APLS 14 kg; paracetamol 15 mg/kg = 210 mg.
    state = state_of({"date_of_birth": "2023-06-01"})
    assert check_medication(load_example_formulary(), state, medication(210)) == []
    (breach,) = check_medication(load_example_formulary(), state, medication(211))
    assert breach.rule == "formulary.paediatric-dose"
    assert breach.message.endswith("(15 mg/kg for 14 kg estimated from age, not weighed)")


def test_dose_check_uses_a_measured_weight_when_there_is_one() -> None:
    state = state_of({"date_of_birth": "2023-06-01", "weight_kg": 16})
    assert check_medication(load_example_formulary(), state, medication(240)) == []
    (breach,) = check_medication(load_example_formulary(), state, medication(241))
    assert breach.message.endswith("(15 mg/kg for 16 kg)")


def test_infant_age_in_months_reaches_the_youngest_age_check() -> None:
    ibuprofen = {**medication(20), "drug": "ibuprofen"}
    young = state_of({"date_of_birth": "2026-10-01", "weight_kg": 5})  # 2 months
    assert [b.rule for b in check_medication(load_example_formulary(), young, ibuprofen)] == [
        "formulary.paediatric-min-age"
    ]
    old_enough = state_of({"date_of_birth": "2026-09-01", "weight_kg": 6})  # 3 months
    assert check_medication(load_example_formulary(), old_enough, ibuprofen) == []


def test_respiratory_distress_is_one_of_the_charts_words() -> None:
    with pytest.raises(FieldInvalid) as caught:
        validate_body("observation.recorded", {"taken_at": T0.isoformat(),
                                               "respiratory_distress": "a bit"})  # fmt: skip
    assert caught.value.field == "data.respiratory_distress"
