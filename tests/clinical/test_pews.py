"""The National PEWS (England, SPOT) at every band boundary of every age band's chart.

The expected bands below are written out as the charts print them (≤9, 10–19, …, ≥70),
independently of `_pews_chart`, and each band's both edges are scored: the first value of
a band and the last value of the band below must differ exactly where the chart says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.clinical import ClinicalValueError
from carechain.clinical.pews import (
    PEWS_PARAMETERS,
    PewsInput,
    PewsResult,
    PewsSet,
    pews_applies,
    pews_series,
    score_pews,
)

# The charts, as printed (NHS England SPOT National PEWS, 0–11 months, 1–4 years, 5–12
# years, 13 years and over). Score per band, low to high.
CHART: dict[str, dict[str, str]] = {
    "0-11m": {
        "resp_rate": "≤9:4 10-19:2 20-29:1 30-49:0 50-59:1 60-69:2 ≥70:4",
        "pulse": "≤79:4 80-89:2 90-109:1 110-149:0 150-169:1 170-179:2 ≥180:4",
        "systolic": "≤49:4 50-59:2 60-69:1 70-89:0 90-99:1 100-109:2 ≥110:4",
    },
    "1-4y": {
        "resp_rate": "≤9:4 10-19:2 20-39:0 40-49:1 50-59:2 ≥60:4",
        "pulse": "≤59:4 60-69:2 70-89:1 90-139:0 140-149:1 150-169:2 ≥170:4",
        "systolic": "≤49:4 50-59:2 60-79:1 80-99:0 100-119:1 120-129:2 ≥130:4",
    },
    "5-12y": {
        "resp_rate": "≤9:4 10-14:2 15-19:1 20-24:0 25-39:1 40-49:2 ≥50:4",
        "pulse": "≤59:4 60-69:2 70-79:1 80-119:0 120-139:1 140-159:2 ≥160:4",
        "systolic": "≤69:4 70-79:2 80-89:1 90-109:0 110-119:1 120-129:2 ≥130:4",
    },
    "13+y": {
        "resp_rate": "≤9:4 10-14:1 15-24:0 25-29:1 30-39:2 ≥40:4",
        "pulse": "≤49:4 50-59:2 60-69:1 70-99:0 100-119:1 120-129:2 ≥130:4",
        "systolic": "≤79:4 80-89:2 90-99:1 100-119:0 120-129:1 130-139:2 ≥140:4",
    },
}
SPO2 = "≤91:4 92-94:1 ≥95:0"
# Each age band, by its first and last completed year of age.
AGES = {"0-11m": (0, 0), "1-4y": (1, 4), "5-12y": (5, 12), "13+y": (13, 15)}
# The largest value the record accepts for each parameter (observation.recorded limits).
TOP = {"resp_rate": 80, "pulse": 300, "systolic": 300, "spo2": 100}
BOTTOM = {"resp_rate": 0, "pulse": 20, "systolic": 40, "spo2": 50}


def edges(parameter: str, printed: str) -> list[tuple[int, int]]:
    """Return (value, score) at both edges of every printed band."""
    cases: list[tuple[int, int]] = []
    for band in printed.split():
        span, score = band.split(":")
        if span.startswith("≤"):
            low, high = BOTTOM[parameter], int(span[1:])
        elif span.startswith("≥"):
            low, high = int(span[1:]), TOP[parameter]
        else:
            found = re.fullmatch(r"(\d+)-(\d+)", span)
            assert found, span
            low, high = int(found[1]), int(found[2])
        cases += [(low, int(score)), (high, int(score))]
    return cases


BOUNDARIES = [
    (band, age, parameter, value, score)
    for band, tables in CHART.items()
    for age in AGES[band]
    for parameter, printed in [*tables.items(), ("spo2", SPO2)]
    for value, score in edges(parameter, printed)
]

# A well 7-year-old: every parameter in its white band.
NORMAL = PewsInput(
    resp_rate=22,
    respiratory_distress="none",
    spo2=98,
    on_oxygen=False,
    pulse=100,
    systolic=100,
    capillary_refill_s=2,
    consciousness="A",
    temperature=Decimal("37.0"),
)


def score(age: int = 7, **changes: Any) -> PewsResult:
    """Score NORMAL with some parameters changed."""
    return score_pews(replace(NORMAL, **changes), age_years=age)


@pytest.mark.parametrize(("band", "age", "parameter", "value", "expected"), BOUNDARIES)
def test_every_band_boundary_of_every_chart(
    band: str, age: int, parameter: str, value: int, expected: int
) -> None:
    result = score_pews(PewsInput(**{parameter: value}), age_years=age)
    assert result.age_band == band
    assert result.components == {parameter: expected}


def test_the_boundary_table_covers_every_band_edge() -> None:
    # 4 bands × 2 ages × (3 tables of 6–7 bands + SpO2's 3) × 2 edges.
    assert len(BOUNDARIES) == 2 * 2 * (
        sum(len(t.split()) for tables in CHART.values() for t in tables.values()) + 4 * 3
    )


@pytest.mark.parametrize(
    ("age", "band", "label"),
    [(0, "0-11m", "0–11 months"), (1, "1-4y", "1–4 years"), (4, "1-4y", "1–4 years"),
     (5, "5-12y", "5–12 years"), (12, "5-12y", "5–12 years"), (13, "13+y", "13 years and over"),
     (15, "13+y", "13 years and over")],
)  # fmt: skip
def test_the_chart_changes_on_the_1st_5th_and_13th_birthday(
    age: int, band: str, label: str
) -> None:
    result = score(age)
    assert (result.age_band, result.age_band_label) == (band, label)


def test_pews_applies_under_16_and_news2_from_16() -> None:
    assert [pews_applies(a) for a in (None, 0, 15, 16, 40)] == [False, True, True, False, False]
    with pytest.raises(ClinicalValueError) as caught:
        score_pews(NORMAL, age_years=16)
    assert caught.value.field == "age_years"


def test_a_well_child_scores_zero_and_needs_routine_observations() -> None:
    result = score()
    assert result.components == dict.fromkeys(PEWS_PARAMETERS, 0)
    assert (result.aggregate, result.band, result.complete) == (0, "none", True)
    assert result.response == "routine observations"
    assert result.notes == () and result.triggers == ()


@pytest.mark.parametrize(
    ("distress", "expected"), [("none", 0), ("mild", 1), ("moderate", 2), ("severe", 4)]
)
def test_respiratory_distress(distress: str, expected: int) -> None:
    assert score(respiratory_distress=distress).components["respiratory_distress"] == expected


@pytest.mark.parametrize(("seconds", "expected"), [(0, 0), (2, 0), (3, 2), (10, 2)])
def test_capillary_refill(seconds: int, expected: int) -> None:
    assert score(capillary_refill_s=seconds).components["capillary_refill"] == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"on_oxygen": False}, 0),
        ({"on_oxygen": True, "oxygen_flow_l_min": Decimal("0.1")}, 1),
        ({"on_oxygen": True, "oxygen_flow_l_min": Decimal("1.9")}, 1),
        ({"on_oxygen": True, "oxygen_flow_l_min": Decimal("2.0")}, 2),
        ({"on_oxygen": True, "oxygen_flow_l_min": Decimal("5.9")}, 2),
        ({"on_oxygen": True, "oxygen_flow_l_min": Decimal("6.0")}, 4),
        ({"on_oxygen": True, "oxygen_flow_l_min": 15}, 4),
        # Very low support still scores 1.
        ({"on_oxygen": True, "oxygen_flow_l_min": 0}, 1),
        # Venturi valves by their inspired oxygen: 16–29 % 1, 30–49 % 2, ≥50 % 4.
        ({"on_oxygen": True, "oxygen_device": "venturi-24"}, 1),
        ({"on_oxygen": True, "oxygen_device": "venturi-28"}, 1),
        ({"on_oxygen": True, "oxygen_device": "venturi-35"}, 2),
        ({"on_oxygen": True, "oxygen_device": "venturi-40"}, 2),
        ({"on_oxygen": True, "oxygen_device": "venturi-60"}, 4),
        # Both known: the higher.
        ({"on_oxygen": True, "oxygen_device": "venturi-28", "oxygen_flow_l_min": 8}, 4),
        ({"on_oxygen": True, "oxygen_device": "venturi-60", "oxygen_flow_l_min": 1}, 4),
    ],
)
def test_oxygen_support(changes: dict[str, Any], expected: int) -> None:
    assert score(**changes).components["oxygen"] == expected


def test_oxygen_without_a_flow_is_not_scored_and_says_why() -> None:
    result = score(on_oxygen=True, oxygen_device="non-rebreather")
    assert "oxygen" in result.missing and not result.complete
    assert "record the flow" in " ".join(result.notes)


# Totals built on the 5–12 chart from the pink (4) values and a mild distress (1).
PINK = {"resp_rate": 50, "pulse": 160, "systolic": 130, "spo2": 90}


@pytest.mark.parametrize(
    ("changes", "total", "level"),
    [
        ({}, 0, "none"),
        ({"respiratory_distress": "mild"}, 1, "low"),
        ({"resp_rate": 50}, 4, "low"),
        ({"resp_rate": 50, "respiratory_distress": "mild"}, 5, "medium"),
        ({"resp_rate": 50, "pulse": 160}, 8, "medium"),
        ({"resp_rate": 50, "pulse": 160, "respiratory_distress": "mild"}, 9, "high"),
        ({"resp_rate": 50, "pulse": 160, "systolic": 130}, 12, "high"),
        ({"resp_rate": 50, "pulse": 160, "systolic": 130, "respiratory_distress": "mild"},
         13, "emergency"),
        ({**PINK, "respiratory_distress": "severe", "on_oxygen": True, "oxygen_flow_l_min": 6,
          "capillary_refill_s": 3}, 26, "emergency"),
    ],
)  # fmt: skip
def test_escalation_level_at_every_threshold(
    changes: dict[str, Any], total: int, level: str
) -> None:
    result = score(**changes)
    assert (result.aggregate, result.score_level, result.band) == (total, level, level)


@pytest.mark.parametrize(
    ("avpu", "level", "trigger"),
    [("A", "none", ()), ("V", "high", ("AVPU V: high concern",)),
     ("P", "emergency", ("AVPU P: emergency concern",)),
     ("U", "emergency", ("AVPU U: emergency concern",))],
)  # fmt: skip
def test_avpu_raises_the_level_but_adds_nothing(
    avpu: str, level: str, trigger: tuple[str, ...]
) -> None:
    result = score(consciousness=avpu)
    assert result.aggregate == 0
    assert (result.band, result.triggers) == (level, trigger)


def test_a_trigger_never_lowers_the_score_level() -> None:
    result = score(consciousness="V", resp_rate=50, pulse=160, systolic=130, spo2=90)
    assert (result.aggregate, result.score_level, result.band) == (16, "emergency", "emergency")


def test_new_confusion_is_noted_not_scored() -> None:
    result = score(consciousness="C")
    assert result.band == "none"
    assert "new confusion" in result.notes[0]


@pytest.mark.parametrize(
    ("temperature", "think"),
    [("35.9", True), ("36.0", False), ("37.9", False), ("38.0", True), ("40.1", True)],
)
def test_temperature_says_think_sepsis_without_scoring(temperature: str, think: bool) -> None:
    result = score(temperature=Decimal(temperature))
    assert (result.aggregate, result.think_sepsis) == (0, think)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"resp_rate": -1}, "resp_rate"), ({"pulse": 301}, "pulse"),
     ({"respiratory_distress": "some"}, "respiratory_distress"),
     ({"capillary_refill_s": 11}, "capillary_refill_s"), ({"consciousness": "X"}, "consciousness"),
     ({"temperature": float("nan")}, "temperature")],
)  # fmt: skip
def test_impossible_values_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClinicalValueError) as caught:
        replace(NORMAL, **changes)
    assert caught.value.field == field


T0 = datetime(2026, 12, 3, 10, 0)


def test_series_carries_each_value_forward_within_the_window() -> None:
    sets = [
        PewsSet(T0, replace(NORMAL, resp_rate=50), "e1"),  # 4
        PewsSet(T0 + timedelta(minutes=10), PewsInput(pulse=160), "e2"),  # 4, RR carried
    ]
    out = pews_series(sets, age_years=7)
    assert out is not None
    assert out["aggregate"] == 8 and out["band"] == "medium"
    assert out["parameters"]["resp_rate"]["entry"] == "e1"
    assert out["parameters"]["resp_rate"]["expected"] == "20–24"
    assert out["parameters"]["spo2"]["expected"] == "95 or more"
    assert [p["aggregate"] for p in out["trend"]] == [4, 8]
    later = [*sets, PewsSet(T0 + timedelta(minutes=71), PewsInput(pulse=100), "e3")]
    out = pews_series(later, age_years=7)
    assert out is not None
    # Everything from e1 is now older than 60 minutes: stale, not scored.
    assert out["aggregate"] == 0 and not out["complete"]
    assert "resp_rate" in out["stale"]
    assert out["last_complete_at"] == (T0 + timedelta(minutes=10)).isoformat()


def test_series_of_sets_without_pews_observations_is_none() -> None:
    assert pews_series([], age_years=3) is None


@given(
    st.builds(
        PewsInput,
        resp_rate=st.none() | st.integers(0, 80),
        spo2=st.none() | st.integers(0, 100),
        pulse=st.none() | st.integers(0, 300),
        systolic=st.none() | st.integers(0, 300),
        capillary_refill_s=st.none() | st.integers(0, 10),
        respiratory_distress=st.none() | st.sampled_from(["none", "mild", "moderate", "severe"]),
    ),
    st.integers(0, 15),
)
def test_total_is_the_sum_of_scores_from_the_chart_set(inp: PewsInput, age: int) -> None:
    result = score_pews(inp, age_years=age)
    assert set(result.components.values()) <= {0, 1, 2, 4}
    assert result.aggregate == sum(result.components.values())
    assert set(result.components) | set(result.missing) == set(PEWS_PARAMETERS)
