"""Maternity entries: the pregnancy, labour, blood loss, the birth, the Apgar score and the
link between the mother's and the baby's records — rules and ranges at their limits, the
fold and its summary, amendment, and the handover's words (SBAR, and ATMIST in pregnancy)."""

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
BABY = "00112233445566778899aabbccddeeff"
MOTHER = "ffeeddccbbaa99887766554433221100"
BIRTH: dict[str, Any] = {"baby_record": BABY, "born_at": "2024-05-01T14:32:00+01:00"}
APGAR: dict[str, Any] = {"minute": 1, "appearance": 1, "pulse": 2, "grimace": 1,
                         "activity": 1, "respiration": 2}
LABOUR: dict[str, Any] = {"assessed_at": "2024-05-01T14:20:00+01:00"}


def rules(kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return every (field, rule) the body breaks."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return [(e["field"], e["rule"]) for e in info.value.extra["errors"]]


def _entry(n: int, kind: str, data: dict[str, Any]) -> FoldEntry:
    eid = hashlib.sha256(f"maternity-{n}".encode()).digest()
    body = {"kind": kind, "v": 1,
            "data": data if kind == AMENDMENT_KIND else validate_body(kind, data)}
    return FoldEntry(eid, HLC(1_714_570_000_000 + n, 0), (), "clinical", "P1", "crew", body)


# --- each kind's ranges and rules, at their limits -------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("pregnancy.recorded", {"gestation_weeks": 46}, ("data.gestation_weeks",
                                                          "must be between 1 and 45 weeks")),
        ("pregnancy.recorded", {"gestation_weeks": 0}, ("data.gestation_weeks",
                                                         "must be between 1 and 45 weeks")),
        ("pregnancy.recorded", {"gestation_weeks": 30, "gestation_days": 7},
         ("data.gestation_days", "must be between 0 and 6 days")),
        ("pregnancy.recorded", {"gravida": 0}, ("data.gravida", "must be between 1 and 30")),
        ("pregnancy.recorded", {"gravida": 2, "para": 2},
         ("data.para", "must be less than gravida (2 ≥ 2): para counts births before this "
          "pregnancy, gravida includes this one")),
        ("pregnancy.recorded", {"babies_expected": 9},
         ("data.babies_expected", "must be between 1 and 8")),
        ("labour.assessed", {**LABOUR, "contractions_per_10_min": 11},
         ("data.contractions_per_10_min", "must be between 0 and 10 in 10 minutes")),
        ("labour.assessed", {**LABOUR, "contraction_duration_s": 4},
         ("data.contraction_duration_s", "must be between 5 and 300 s")),
        ("labour.assessed", {**LABOUR, "membranes": "intact", "liquor": "clear"},
         ("data.liquor", 'is only for membranes "ruptured"')),
        ("labour.assessed", {**LABOUR, "membranes": "ruptured",
                             "membranes_ruptured_at": "2024-05-01T14:21:00+01:00"},
         ("data.membranes_ruptured_at", "must not be after assessed_at")),
        ("labour.assessed", {**LABOUR, "contractions_per_10_min": 0,
                             "contraction_duration_s": 40},
         ("data.contraction_duration_s", "is only when there are contractions")),
        ("labour.assessed", {"membranes": "intact"}, ("data.assessed_at", "is required")),
        ("blood_loss.estimated", {"stage": "postpartum", "estimated_ml": 10001,
                                  "estimated_at": LABOUR["assessed_at"]},
         ("data.estimated_ml", "must be between 0 and 10000 ml")),
        ("blood_loss.estimated", {"stage": "third", "estimated_ml": 100,
                                  "estimated_at": LABOUR["assessed_at"]},
         ("data.stage", "must be one of: antepartum, intrapartum, postpartum")),
        ("birth.recorded", {**BIRTH, "baby_record": BABY.upper()},
         ("data.baby_record", "must be a record id: 32 lower-case hexadecimal characters")),
        ("birth.recorded", {**BIRTH, "cord_clamped_at": "2024-05-01T14:31:00+01:00"},
         ("data.cord_clamped_at", "must not be before born_at")),
        ("birth.recorded", {**BIRTH, "placenta_delivered": False,
                            "placenta_delivered_at": "2024-05-01T14:45:00+01:00"},
         ("data.placenta_delivered_at", "needs placenta_delivered true")),
        ("birth.recorded", {**BIRTH, "breathing_at_birth": "not-breathing",
                            "resuscitation": False},
         ("data.resuscitation", 'must not be false for a baby "not-breathing" at birth')),
        ("apgar.scored", {**APGAR, "minute": 2}, ("data.minute",
                                                  "must be one of: 1, 5, 10, 15, 20")),
        ("apgar.scored", {**APGAR, "pulse": 3}, ("data.pulse", "must be one of: 0, 1, 2")),
        ("apgar.scored", {**APGAR, "grimace": "2"}, ("data.grimace", "must be one of: 0, 1, 2")),
        ("apgar.scored", {**APGAR, "activity": True},
         ("data.activity", "must be one of: 0, 1, 2")),
        ("record.linked", {"relation": "sibling", "record": BABY},
         ("data.relation", "must be one of: baby, mother")),
        ("record.linked", {"relation": "mother", "record": BABY[:-1]},
         ("data.record", "must be a record id: 32 lower-case hexadecimal characters")),
    ],
)
def test_out_of_range_or_inconsistent(
    kind: str, data: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in rules(kind, data)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("pregnancy.recorded", {"gestation_weeks": 1, "gestation_days": 0, "gravida": 1,
                                "para": 0}),
        ("pregnancy.recorded", {"gestation_weeks": 45, "gestation_days": 6, "gravida": 30,
                                "para": 29, "babies_expected": 8}),
        ("labour.assessed", {**LABOUR, "contractions_per_10_min": 10,
                             "contraction_duration_s": 300}),
        ("labour.assessed", {**LABOUR, "contractions_per_10_min": 0}),
        ("blood_loss.estimated", {"stage": "antepartum", "estimated_ml": 0,
                                  "estimated_at": LABOUR["assessed_at"]}),
        ("birth.recorded", {**BIRTH, "cord_clamped_at": BIRTH["born_at"]}),
        ("apgar.scored", {**APGAR, "minute": 20, "appearance": 0, "pulse": 0}),
    ],
)
def test_the_limits_themselves_are_valid(kind: str, data: dict[str, Any]) -> None:
    assert validate_body(kind, data)


def test_gestation_days_alone_correct_weeks_already_recorded() -> None:
    assert validate_body("pregnancy.recorded", {"gestation_days": 3}) == {"gestation_days": 3}
    check_section("pregnancy", {"gestation_weeks": 38, "gestation_days": 3})
    with pytest.raises(FieldInvalid) as info:
        check_section("pregnancy", {"gestation_days": 3})
    assert (info.value.field, info.value.rule) == ("data.gestation_days", "needs gestation_weeks")


# --- the fold and its summary ----------------------------------------------------------


def _mother() -> list[FoldEntry]:
    return [
        _entry(1, "patient.recorded", {"sex": "female", "estimated_age_years": 29}),
        _entry(2, "pregnancy.recorded", {"gestation_weeks": 39, "gestation_days": 2,
                                         "gravida": 3, "para": 2}),
        _entry(3, "labour.assessed", {**LABOUR, "contractions_per_10_min": 4,
                                      "contraction_duration_s": 60, "membranes": "ruptured",
                                      "membranes_ruptured_at": "2024-05-01T13:10:00+01:00",
                                      "liquor": "meconium-stained"}),
        _entry(4, "birth.recorded", {**BIRTH, "presentation": "cephalic",
                                     "breathing_at_birth": "crying",
                                     "placenta_delivered": True,
                                     "placenta_delivered_at": "2024-05-01T14:38:00+01:00"}),
        _entry(5, "record.linked", {"relation": "baby", "record": BABY}),
        _entry(6, "blood_loss.estimated", {"stage": "postpartum", "estimated_ml": 300,
                                           "estimated_at": "2024-05-01T14:35:00+01:00"}),
        _entry(7, "blood_loss.estimated", {"stage": "intrapartum", "estimated_ml": 100,
                                           "estimated_at": "2024-05-01T14:30:00+01:00"}),
    ]


def test_the_latest_estimate_of_each_stage_counts_never_a_sum() -> None:
    later = _entry(8, "blood_loss.estimated", {"stage": "postpartum", "estimated_ml": 650,
                                               "estimated_at": "2024-05-01T14:39:00+01:00"})
    state = build_state(b"\x01" * 16, [*_mother(), later])
    loss = state["maternity"]["blood_loss"]
    assert loss == {"stages": {"intrapartum": 100, "postpartum": 650}, "total_ml": 750,
                    "pph": "minor"}
    [prompt] = [p for p in state["prompts"] if p["rule"] == "maternity.pph"]
    assert prompt["severity"] == "urgent"
    assert prompt["text"].startswith("Estimated blood loss 650 ml since the birth: minor")


def test_a_major_haemorrhage_is_an_emergency_prompt() -> None:
    major = _entry(8, "blood_loss.estimated", {"stage": "postpartum", "estimated_ml": 1500,
                                               "estimated_at": "2024-05-01T14:39:00+01:00"})
    state = build_state(b"\x01" * 16, [*_mother(), major])
    [prompt] = [p for p in state["prompts"] if p["rule"] == "maternity.pph"]
    assert prompt["severity"] == "emergency" and "major (moderate)" in prompt["text"]
    assert state["prompts"][0] == prompt  # the most severe first
    assert not any(p["rule"] == "maternity.pph" for p in build_state(
        b"\x01" * 16, _mother())["prompts"])  # 300 ml: no prompt


def test_a_pregnancy_recorded_makes_news2_say_it_is_not_validated() -> None:
    obs = _entry(9, "observation.recorded", {
        "taken_at": "2024-05-01T14:36:00+01:00", "respiratory_rate": 22, "spo2": 97,
        "oxygen": False, "systolic_bp": 100, "diastolic_bp": 60, "pulse": 115, "acvpu": "A",
        "temperature_c": 37.0})
    state = build_state(b"\x01" * 16, [*_mother(), obs])
    assert state["sections"]["patient"].get("pregnant") is None  # the flag was never set
    assert state["scores"]["news2"]["applicable"] is False
    [prompt] = [p for p in state["prompts"] if p["rule"] == "news2.not-validated"]
    assert "pregnancy" in prompt["text"]


def test_the_babys_record_lists_its_apgar_scores_and_its_mother() -> None:
    entries = [
        _entry(1, "patient.recorded", {"sex": "female", "date_of_birth": "2024-05-01"}),
        _entry(2, "record.linked", {"relation": "mother", "record": MOTHER,
                                    "linked_at": BIRTH["born_at"]}),
        _entry(3, "apgar.scored", {**APGAR, "minute": 5, "appearance": 1, "pulse": 1,
                                   "grimace": 1, "activity": 1, "respiration": 1}),
        _entry(4, "apgar.scored", APGAR),
    ]
    state = build_state(b"\x02" * 16, entries)
    apgar = state["maternity"]["apgar"]
    assert [(a["minute"], a["total"], a["band"]) for a in apgar] == [
        (1, 7, "reassuring"), (5, 5, "moderately-abnormal")]
    [prompt] = [p for p in state["prompts"] if p["rule"] == "apgar.rescore"]
    assert prompt["text"] == (
        "Apgar 5 at 5 minutes: below 7 — score again at 10 minutes (AAP/ACOG 2015)")
    fields = build_handover(state, now=NOW).fields
    assert fields["situation"].startswith("0 days F, newborn, born 14:32 (8 min ago)")
    assert fields["background"].startswith(f"mother's record {MOTHER[:8]}")
    # A newborn is not weighed on scene: the working weight says it is estimated (APLS).
    assert fields["assessment"] == (
        "weight 4 kg (estimated from age, not weighed); Apgar 7 at 1 min, 5 at 5 min")


def test_an_amended_apgar_score_is_rescored() -> None:
    first = _entry(1, "apgar.scored", APGAR)
    fixed = validate_body("apgar.scored", {**APGAR, "pulse": 1})
    amend = _entry(2, AMENDMENT_KIND, {"supersedes": first.id.hex(), "reason": "heart rate "
                                       "was 90", "data": fixed})
    state = build_state(b"\x02" * 16, [first, amend])
    assert [a["total"] for a in state["maternity"]["apgar"]] == [6]
    assert state["maternity"]["apgar"][0]["entry"] == first.id.hex()


def test_sbar_for_a_woman_who_has_given_birth() -> None:
    state = build_state(b"\x01" * 16, _mother())
    handover = build_handover(state, now=NOW)
    assert handover.format == "SBAR"
    situation = handover.fields["situation"]
    assert situation.startswith("approx. 29 F, pregnant 39+2 weeks, G3 P2")
    assert situation.endswith(
        "baby born 14:32 (8 min ago), cephalic, cried at birth, placenta delivered 14:38; "
        f"baby's record {BABY[:8]}")
    assessment = handover.fields["assessment"]
    assert "estimated blood loss 100 ml intrapartum, 300 ml postpartum" in assessment
    assert ("labour: contractions 4 in 10 min lasting 60 s (14:20), membranes ruptured 13:10, "
            "meconium stained liquor") in assessment


def test_atmist_in_pregnancy_says_the_gestation_once() -> None:
    entries = [
        _entry(1, "patient.recorded", {"sex": "female", "estimated_age_years": 31,
                                       "pregnant": True}),
        _entry(2, "pregnancy.recorded", {"gestation_weeks": 32}),
        _entry(3, "trauma.mechanism", {"mechanism": "rtc", "rtc_type": "car-occupant"}),
        _entry(4, "blood_loss.estimated", {"stage": "antepartum", "estimated_ml": 200,
                                           "estimated_at": "2024-05-01T14:30:00+01:00"}),
    ]
    fields = build_handover(build_state(b"\x03" * 16, entries), now=NOW).fields
    assert fields["age_sex"] == "approx. 31 F, pregnant 32 weeks"
    assert "estimated blood loss 200 ml antepartum" in fields["signs"]


def test_a_visible_cord_is_said_in_capitals() -> None:
    entries = [_entry(1, "labour.assessed", {**LABOUR, "presenting_part": "cord-visible",
                                              "membranes": "ruptured"})]
    assessment = build_handover(build_state(b"\x04" * 16, entries), now=NOW).fields["assessment"]
    assert "labour: membranes ruptured, CORD VISIBLE" in assessment
