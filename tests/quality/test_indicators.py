"""The quality indicators on a generated month whose results are known (tests/quality/
month.py), folded without a node; and each rule at its edge, table-driven."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from carechain.entries import HLC
from carechain.errors import FieldInvalid
from carechain.quality import (
    build_report,
    centile,
    check_month,
    evaluate,
    last_month,
    month_of,
)
from carechain.records import build_state, kinds
from carechain.records.fold import FoldEntry
from tests.quality.month import (
    EXPECTED,
    IN_MONTH,
    MONTH,
    STROKE_MINUTES,
    Generated,
    generated_month,
)


def fold(made: Generated) -> dict[str, Any]:
    """Fold a generated record into its state, with ids derived from its label."""
    record = hashlib.sha256(made.label.encode()).digest()[:16]
    steps = [("record.opened", made.case.opened), *made.entries()]
    entries, parents = [], ()
    start = int(made.base.timestamp() * 1000)
    for i, (kind, data) in enumerate(steps):
        eid = hashlib.sha256(f"{made.label}:{i}".encode()).digest()
        entries.append(FoldEntry(eid, HLC(start + i * 1000), parents, "clinical", "P100234",
                                 "crew-1", {"kind": kind, "v": 1,
                                            "data": kinds.validate_body(kind, data)}))
        parents = (eid,)
    return build_state(record, entries)


@pytest.fixture(scope="module")
def month() -> tuple[dict[str, str], list[dict[str, Any]]]:
    states = {m.label: fold(m) for m in generated_month()}
    return {s["record_id"]: label for label, s in states.items()}, list(states.values())


@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_the_generated_month_gives_the_expected_counts(
        month: tuple[dict[str, str], list[dict[str, Any]]], indicator: str) -> None:
    labels, states = month
    report = build_report(MONTH, states)
    result = report.result(indicator)
    denominator, numerator, missing = EXPECTED[indicator]
    assert (result.denominator, result.numerator) == (denominator, numerator)
    assert {labels[m.record] for m in result.misses} == missing


def test_the_month_holds_its_records_and_names_the_undated(
        month: tuple[dict[str, str], list[dict[str, Any]]]) -> None:
    labels, states = month
    report = build_report(MONTH, states)
    assert report.records == IN_MONTH
    assert [labels[r] for r in report.undated] == ["undated"]
    october = build_report("2026-10", states)
    assert october.records == 1 and october.result("stemi-care-bundle").denominator == 1


def test_stroke_call_to_hospital_mean_and_90th_centile(
        month: tuple[dict[str, str], list[dict[str, Any]]]) -> None:
    result = build_report(MONTH, month[1]).result("stroke-call-to-hospital")
    assert sorted(result.minutes) == sorted(STROKE_MINUTES)
    assert result.mean == pytest.approx(160 / 3)
    assert result.centile90 == 70.0


def test_what_each_miss_names(month: tuple[dict[str, str], list[dict[str, Any]]]) -> None:
    labels, states = month
    report = build_report(MONTH, states)
    named = {(r.indicator.id, labels[m.record]): m.missing
             for r in report.results for m in r.misses}
    assert named[("stemi-care-bundle", "stemi-one-pain-score")] == (
        "two pain scores (1 recorded)",)
    assert named[("stemi-care-bundle", "stemi-no-score-after-analgesia")] == (
        "a pain score after analgesia",)
    assert named[("stemi-care-bundle", "stemi-no-gtn-no-analgesia")] == ("GTN", "analgesia")
    assert named[("stroke-diagnostic-bundle", "stroke-fast-incomplete")] == (
        "FAST (speech not recorded)",)
    assert named[("stroke-call-to-hospital", "stroke-no-glucose-no-arrival")] == (
        "at_hospital not recorded",)
    # Stopped on scene, no disposition written: said as it is.
    assert named[("rosc-at-hospital", "arrest-stopped")] == (
        "conveyance not recorded (resuscitation stopped)",)
    assert named[("rosc-at-hospital-utstein", "arrest-utstein-rearrest")] == (
        "no ROSC on arrival (ongoing)",)


def test_not_computable_indicators_are_never_scored(
        month: tuple[dict[str, str], list[dict[str, Any]]]) -> None:
    report = build_report(MONTH, month[1])
    for indicator in ("stemi-call-to-angiography", "survival-30-days", "sepsis", "falls"):
        result = report.result(indicator)
        assert not result.computable and result.indicator.reason
        assert result.denominator == 0 and result.percent is None and result.mean is None


def _state(*, meds: list[tuple[str, str]] = (), pains: list[str] = (),  # type: ignore[assignment]
           category: str = "stemi") -> dict[str, Any]:
    return {"record_id": "ab" * 16,
            "sections": {"impression": {"category": category}},
            "items": {"medications": [{"drug": d, "given_at": at} for d, at in meds],
                      "observations": [{"taken_at": at, "pain_score": 5} for at in pains]}}


T = "2026-11-02T10:{:02d}:00+00:00"
FULL = [("aspirin", T.format(1)), ("GTN", T.format(2)), ("morphine", T.format(5))]


@pytest.mark.parametrize(("meds", "pains", "missing"), [
    (FULL, [T.format(0), T.format(10)], ()),
    # Entonox is the bundle's other analgesic (Siriwardena et al. 2010, M5ii).
    ([*FULL[:2], ("Entonox", T.format(5))], [T.format(0), T.format(10)], ()),
    # A score at the very minute of the dose is not after it.
    (FULL, [T.format(0), T.format(5)], ("a pain score after analgesia",)),
    (FULL, [T.format(6), T.format(10)], ()),
    (FULL, [], ("two pain scores (0 recorded)",)),
    # Paracetamol is not the bundle's analgesia; a misspelt drug is not matched.
    ([("asprin", T.format(1)), ("GTN", T.format(2)), ("paracetamol", T.format(5))],
     [T.format(0), T.format(10)], ("aspirin", "analgesia")),
])
def test_stemi_bundle_elements(meds: list[tuple[str, str]], pains: list[str],
                               missing: tuple[str, ...]) -> None:
    [finding] = evaluate(_state(meds=meds, pains=pains))
    assert finding.missing == missing and finding.met == (not missing)
    assert finding.note.startswith("drugs recorded: ")


@pytest.mark.parametrize(("value", "ok"), [
    ("2026-11", True), ("2026-1", False), ("2026-13", False), ("26-11", False), ("", False),
    ("2026-11-01", False)])
def test_month_is_checked(value: str, ok: bool) -> None:
    if ok:
        assert check_month(value) == value
    else:
        with pytest.raises(FieldInvalid) as err:
            check_month(value)
        assert err.value.field == "month"


def test_a_call_late_on_the_last_day_in_summer_is_the_uk_month() -> None:
    state = {"sections": {"incident": {"call_received": "2026-07-31T23:30:00+00:00"}}}
    assert month_of(state) == "2026-08"  # 00:30 on 1 August, British Summer Time


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-12-03T16:30:00+00:00", "2026-11"), ("2026-01-10T09:00:00+00:00", "2025-12"),
    # 00:30 on 1 August in the UK (BST) is still 31 July in UTC: July is not yet whole.
    ("2026-07-31T23:30:00+00:00", "2026-07")])
def test_the_default_month_is_the_last_whole_uk_month(now: str, expected: str) -> None:
    from datetime import datetime

    assert last_month(int(datetime.fromisoformat(now).timestamp() * 1000)) == expected


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([5.0], 5.0), ([1.0, 2.0, 3.0], 3.0),
    ([float(v) for v in range(1, 11)], 9.0), ([float(v) for v in range(1, 21)], 18.0)])
def test_centile_is_nearest_rank(values: list[float], expected: float | None) -> None:
    assert centile(values, 90) == expected


def test_an_arrest_is_attributed_only_if_resuscitation_was_attempted() -> None:
    base = {"record_id": "cd" * 16, "sections": {"arrest": {"resuscitation_attempted": False},
                                                 "disposition": {"outcome": "conveyed"}},
            "items": {"arrest_events": [{"event": "rosc", "at": T.format(3)}]},
            "arrest": {}}
    assert evaluate(base) == []
    base["sections"]["arrest"] = {}
    base["items"]["arrest_events"].insert(0, {"event": "cpr-started", "at": T.format(1)})
    [finding] = evaluate(base)
    assert finding.met and finding.indicator == "rosc-at-hospital"


ROSC_TAPS = [{"event": "cpr-started", "at": T.format(1)}, {"event": "rosc", "at": T.format(9)}]


@pytest.mark.parametrize(("disposition", "incident", "missing"), [
    ({"outcome": "conveyed"}, {"at_hospital": T.format(30)}, ()),
    # No disposition, but an arrival at hospital: conveyed.
    ({}, {"at_hospital": T.format(30)}, ()),
    # Neither: said so, not taken for "not conveyed".
    ({}, {}, ("conveyance not recorded (rosc)",)),
    ({"outcome": "not-conveyed"}, {}, ("not conveyed (rosc)",)),
])
def test_rosc_at_hospital_needs_the_patient_conveyed(disposition: dict[str, Any],
                                                     incident: dict[str, Any],
                                                     missing: tuple[str, ...]) -> None:
    state = {"record_id": "ef" * 16, "arrest": {},
             "sections": {"arrest": {"resuscitation_attempted": True},
                          "disposition": disposition, "incident": incident},
             "items": {"arrest_events": ROSC_TAPS}}
    [finding] = evaluate(state)
    assert finding.missing == missing


def test_a_stroke_arriving_without_a_disposition_is_timed() -> None:
    state = {"record_id": "01" * 16,
             "sections": {"impression": {"category": "stroke"},
                          "incident": {"call_received": T.format(0),
                                       "at_hospital": T.format(45)}},
             "items": {}}
    timed = [f for f in evaluate(state) if f.indicator == "stroke-call-to-hospital"]
    assert [(f.met, f.minutes) for f in timed] == [(True, 45.0)]
