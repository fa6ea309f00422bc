"""Capacity, refusal, referral, safeguarding and signature entries: rules, fold, handover."""

from __future__ import annotations

import base64
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
AT = "2024-05-01T15:10:00+01:00"
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()
HAS_CAPACITY: dict[str, Any] = {
    "decision": "whether to go to hospital",
    "impairment": True,
    "impairment_notes": "mild dementia per carer",
    "understand": True,
    "retain": True,
    "weigh": True,
    "communicate": True,
    "conclusion": "has-capacity",
    "assessed_at": AT,
    "assessed_by": "p.jones",
}
REFUSAL: dict[str, Any] = {
    "refused": ["conveyance"],
    "capacity": "has-capacity",
    "risks_explained": "a missed fracture, worsening pain, a further fall",
    "worsening_advice": "call 999 if pain worsens or she cannot bear weight",
    "left_with": "family",
    "left_with_name": "daughter, Anne",
    "recorded_at": "2024-05-01T15:15:00+01:00",
    "recorded_by": "p.jones",
}
REFERRAL: dict[str, Any] = {
    "service": "falls-service",
    "reference": "FS-20931",
    "made_at": "2024-05-01T15:20:00+01:00",
    "made_by": "p.jones",
}
SIGNATURE: dict[str, Any] = {
    "signer": "patient",
    "name": "Mary Smith",
    "signed_for": "refusal",
    "format": "png",
    "image": PNG,
    "signed_at": "2024-05-01T15:16:00+01:00",
}


def rules(kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return every (field, rule) the body breaks."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return [(e["field"], e["rule"]) for e in info.value.extra["errors"]]


def test_the_examples_are_valid() -> None:
    assert validate_body("capacity.assessed", HAS_CAPACITY)["conclusion"] == "has-capacity"
    assert validate_body("refusal.recorded", REFUSAL)["left_with"] == "family"
    assert validate_body("referral.made", REFERRAL)["reference"] == "FS-20931"
    assert validate_body("signature.captured", SIGNATURE)["image"] == PNG
    path = {**SIGNATURE, "format": "svg-path", "image": "M10 10 L20 25.5 C1,2 3,4 5,6"}
    assert validate_body("signature.captured", path)["format"] == "svg-path"


@pytest.mark.parametrize("ability", ["understand", "retain", "weigh", "communicate"])
def test_conclusion_follows_the_two_stage_test(ability: str) -> None:
    cannot = {**HAS_CAPACITY, ability: False, f"{ability}_notes": "could not repeat it back"}
    assert rules("capacity.assessed", cannot) == [
        (
            "data.conclusion",
            f"must be lacks-capacity: stage 1 is yes and the patient cannot {ability}",
        )
    ]
    assert validate_body("capacity.assessed", {**cannot, "conclusion": "lacks-capacity"})
    # Without an impairment (stage 1 no) the patient has capacity, whatever stage 2 says.
    no_impairment = {**cannot, "impairment": False, "conclusion": "lacks-capacity"}
    assert rules("capacity.assessed", no_impairment) == [
        (
            "data.conclusion",
            "must be has-capacity: stage 1 (an impairment of mind or brain) is no",
        )
    ]
    every_yes = {**HAS_CAPACITY, "conclusion": "lacks-capacity"}
    assert rules("capacity.assessed", every_yes) == [
        (
            "data.conclusion",
            "must be has-capacity: the patient can understand, retain, weigh and communicate",
        )
    ]


def test_capacity_needs_every_stage_two_answer_and_a_note_for_each_no() -> None:
    partial = {k: v for k, v in HAS_CAPACITY.items() if k not in ("retain", "impairment_notes")}
    assert rules("capacity.assessed", {**partial, "weigh": False}) == [
        ("data.impairment_notes", "is required when impairment is true"),
        ("data.retain", "is required when impairment is true (stage 2)"),
        ("data.weigh_notes", "is required when weigh is false"),
    ]
    assert ("data.impairment", "is required") in rules(
        "capacity.assessed", {k: v for k, v in HAS_CAPACITY.items() if k != "impairment"}
    )
    assert validate_body(
        "capacity.assessed",
        {
            "decision": "treatment",
            "impairment": False,
            "conclusion": "has-capacity",
            "assessed_at": AT,
            "assessed_by": "p.jones",
        },
    )


def test_refusal_with_capacity_needs_the_risks_explained() -> None:
    no_risks = {k: v for k, v in REFUSAL.items() if k != "risks_explained"}
    assert rules("refusal.recorded", no_risks) == [
        ("data.risks_explained", "is required when a patient with capacity refuses")
    ]
    lacking = {**no_risks, "capacity": "lacks-capacity"}
    assert rules("refusal.recorded", lacking) == [
        ("data.best_interests", "is required when the patient lacks capacity")
    ]
    assert ("data.worsening_advice", "is required") in rules(
        "refusal.recorded", {k: v for k, v in REFUSAL.items() if k != "worsening_advice"}
    )
    assert rules("refusal.recorded", {**REFUSAL, "refused": []}) == [
        ("data.refused", "must list at least one thing refused")
    ]
    assert rules("refusal.recorded", {**REFUSAL, "left_with": "dog"}) == [
        (
            "data.left_with",
            "must be one of: alone, family, friend, carer, care-home-staff, police, "
            "other-professional",
        )
    ]


def test_referral_service_and_other() -> None:
    assert rules("referral.made", {**REFERRAL, "service": "dentist"}) == [
        (
            "data.service",
            "must be one of: gp, urgent-community-response, mental-health-team, "
            "falls-service, other",
        )
    ]
    assert rules("referral.made", {**REFERRAL, "service": "other"}) == [
        ("data.service_name", "is required when service is other")
    ]


def test_safeguarding_concern_is_referred_or_says_why_not() -> None:
    base = {
        "concern_for": "child",
        "concern": "unexplained bruising",
        "raised_at": AT,
        "raised_by": "p.jones",
    }
    assert validate_body(
        "safeguarding.raised", {**base, "referral_sent": True, "reference": "SG-1"}
    )
    assert rules("safeguarding.raised", {**base, "referral_sent": True}) == [
        ("data.reference", "is required when referral_sent is true")
    ]
    assert rules("safeguarding.raised", {**base, "referral_sent": False}) == [
        ("data.reason_not_sent", "is required when referral_sent is false")
    ]


def test_signature_type_and_size_are_checked() -> None:
    assert rules("signature.captured", {**SIGNATURE, "image": "data:image/gif;base64,R0lG"}) == [
        ("data.image", "must be a data:image/png;base64 URL of a PNG image")
    ]
    not_png = "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"\0" * 10).decode()
    assert rules("signature.captured", {**SIGNATURE, "image": not_png}) == [
        ("data.image", "must be a data:image/png;base64 URL of a PNG image")
    ]
    svg = {**SIGNATURE, "format": "svg-path", "image": "M0 0 <script>"}
    assert rules("signature.captured", svg) == [
        ("data.image", "must be SVG path data (commands and numbers only)")
    ]
    big = PNG + "A" * (64 * 1024)
    assert rules("signature.captured", {**SIGNATURE, "image": big}) == [
        ("data.image", "must be at most 64 KB")
    ]
    assert rules("signature.captured", {**SIGNATURE, "signer": "nurse"}) == [
        ("data.signer", "must be one of: patient, witness")
    ]


def _entry(n: int, parents: tuple[bytes, ...], kind: str, data: dict[str, Any]) -> FoldEntry:
    eid = hashlib.sha256(f"capacity-{n}".encode()).digest()
    body = {
        "kind": kind,
        "v": 1,
        "data": data if kind == AMENDMENT_KIND else validate_body(kind, data),
    }
    return FoldEntry(eid, HLC(1_714_570_000_000 + n, 0), parents, "clinical", "P1", "crew", body)


def test_folded_into_the_state_and_amended_in_place() -> None:
    refusal = _entry(1, (), "refusal.recorded", REFUSAL)
    fixed = {**REFUSAL, "left_with_name": "son, Peter"}
    amend = _entry(
        2,
        (refusal.id,),
        AMENDMENT_KIND,
        {
            "supersedes": refusal.id.hex(),
            "reason": "wrong relative",
            "data": validate_body("refusal.recorded", fixed),
        },
    )
    state = build_state(b"\x03" * 16, [amend, refusal])
    [line] = state["items"]["refusals"]
    assert line["left_with_name"] == "son, Peter" and line["amended_by"] == amend.id.hex()


def test_the_refusal_keeps_its_own_time_when_written_later() -> None:
    """The fold stamps each item with when its entry was written (`recorded_at`); a
    refusal's own `recorded_at` (when the patient refused) is clinical and is kept."""
    refusal = _entry(1, (), "refusal.recorded", REFUSAL)  # written 2024-05-01 13:26:40 UTC
    [line] = build_state(b"\x05" * 16, [refusal])["items"]["refusals"]
    assert line["recorded_at"] == "2024-05-01T14:15:00+00:00"  # 15:15 BST, as given
    assert line["entry"] == refusal.id.hex() and line["author"] == "P1"


def test_refusal_without_capacity_or_signature_is_prompted() -> None:
    state = build_state(b"\x04" * 16, [_entry(1, (), "refusal.recorded", REFUSAL)])
    assert [p["text"] for p in state["consent"]["prompts"]] == [
        "A refusal is recorded without a capacity assessment.",
        "A refusal is recorded without the patient's or a witness's signature.",
    ]
    # Listed with the decision-support prompts, which the crew and the hospital show.
    rules = [p["rule"] for p in state["prompts"]]
    assert {"consent.capacity-not-assessed", "consent.refusal-not-signed"} <= set(rules)
    complete = build_state(
        b"\x04" * 16,
        [
            _entry(1, (), "refusal.recorded", REFUSAL),
            _entry(2, (), "capacity.assessed", HAS_CAPACITY),
            _entry(3, (), "signature.captured", SIGNATURE),
        ],
    )
    assert complete["consent"] == {
        "capacity": "has-capacity",
        "capacity_decision": "whether to go to hospital",
        "prompts": [],
    }
    assert "consent" not in build_state(b"\x04" * 16, [])


def test_safeguarding_concern_not_referred_is_prompted_and_handed_over() -> None:
    concern = {
        "concern_for": "adult",
        "concern": "self-neglect",
        "referral_sent": False,
        "reason_not_sent": "patient declined consent to share",
        "raised_at": AT,
        "raised_by": "p.jones",
    }
    state = build_state(b"\x05" * 16, [_entry(1, (), "safeguarding.raised", concern)])
    assert state["consent"]["prompts"] == [
        {
            "rule": "safeguarding.not-referred",
            "severity": "advice",
            "text": "A safeguarding concern for an adult has no referral sent.",
        }
    ]
    assert state["consent"]["prompts"][0] in state["prompts"]
    handover = build_handover(state, now=datetime(2024, 5, 1, 15, 30, tzinfo=BST))
    assert "safeguarding concern (adult), NO referral sent" in handover.fields["recommendation"]


def test_a_non_conveyed_handover_says_refused_left_with_and_referral() -> None:
    disposition = {
        "outcome": "not-conveyed",
        "safety_netting": "call 999 if worse",
        "decision_by": "p.jones",
    }
    entries = [
        _entry(1, (), "capacity.assessed", HAS_CAPACITY),
        _entry(2, (), "refusal.recorded", REFUSAL),
        _entry(3, (), "referral.made", REFERRAL),
        _entry(4, (), "disposition.recorded", disposition),
        _entry(
            5,
            (),
            "safeguarding.raised",
            {
                "concern_for": "adult",
                "concern": "carer strain",
                "referral_sent": True,
                "reference": "SG-77",
                "raised_at": AT,
                "raised_by": "p.jones",
            },
        ),
    ]
    state = build_state(b"\x06" * 16, entries)
    handover = build_handover(state, now=datetime(2024, 5, 1, 15, 30, tzinfo=BST))
    assert handover.fields["recommendation"] == (
        "not conveyed; safety-netting: call 999 if worse; "
        "refused conveyance (with capacity); "
        "risks explained: a missed fracture, worsening pain, a further fall; "
        "worsening advice: call 999 if pain worsens or she cannot bear weight; "
        "left with family (daughter, Anne); "
        "referred to falls service (ref FS-20931); "
        "safeguarding (adult) referral sent, ref SG-77"
    )
    unassessed = build_state(b"\x06" * 16, entries[1:])
    words = build_handover(unassessed, now=datetime(2024, 5, 1, 15, 30, tzinfo=BST))
    assert "capacity not assessed" in words.fields["recommendation"]
