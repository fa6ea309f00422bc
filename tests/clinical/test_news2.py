"""NEWS2 against every published boundary of the RCP NEWS2 2017 chart."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.clinical import (
    ClinicalValueError,
    News2Input,
    News2Result,
    news2_trend,
    score_news2,
)
from carechain.clinical.news2 import PARAMETERS, temperature_1dp

# Every parameter in its 0 band: RR 16, SpO2 97 on air (scale 1), SBP 120, HR 70, alert, 37.0.
NORMAL = News2Input(
    resp_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic=120,
    pulse=70,
    consciousness="A",
    temperature=Decimal("37.0"),
)


def score(**changes: Any) -> News2Result:
    """Score NORMAL with some parameters changed."""
    return score_news2(replace(NORMAL, **changes))


def test_normal_observations_score_zero() -> None:
    result = score_news2(NORMAL)
    assert result.components == dict.fromkeys(PARAMETERS, 0)
    assert result.aggregate == 0
    assert result.complete
    assert result.missing == ()
    assert result.band == "low"
    assert result.response == "routine monitoring"
    assert not result.single_three
    assert result.applicable
    assert result.not_validated_reason is None
    assert result.notes == ()


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (80, 3)],
)
def test_respiration_rate_bands(rate: int, expected: int) -> None:
    assert score(resp_rate=rate).components["resp_rate"] == expected


@pytest.mark.parametrize(
    ("spo2", "expected"),
    [(0, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
)
@pytest.mark.parametrize("on_oxygen", [False, True])
def test_spo2_scale_1_bands_ignore_oxygen(spo2: int, expected: int, on_oxygen: bool) -> None:
    result = score(spo2=spo2, on_oxygen=on_oxygen)
    assert result.components["spo2"] == expected
    assert result.components["air_or_oxygen"] == (2 if on_oxygen else 0)


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "expected"),
    [
        (0, False, 3),
        (83, False, 3),
        (83, True, 3),
        (84, False, 2),
        (85, True, 2),
        (86, False, 1),
        (87, True, 1),
        (88, False, 0),
        (88, True, 0),
        (92, False, 0),
        (92, True, 0),
        # ≥93 on air scores 0; on oxygen 93–94 1, 95–96 2, ≥97 3.
        (93, False, 0),
        (97, False, 0),
        (100, False, 0),
        (93, True, 1),
        (94, True, 1),
        (95, True, 2),
        (96, True, 2),
        (97, True, 3),
        (100, True, 3),
    ],
)
def test_spo2_scale_2_bands(spo2: int, on_oxygen: bool, expected: int) -> None:
    result = score(spo2=spo2, spo2_scale=2, on_oxygen=on_oxygen)
    assert result.components["spo2"] == expected
    assert result.spo2_scale == 2


def test_spo2_93_differs_on_air_and_oxygen_on_scale_2() -> None:
    on_air = score(spo2=93, spo2_scale=2, on_oxygen=False)
    on_oxygen = score(spo2=93, spo2_scale=2, on_oxygen=True)
    assert (on_air.components["spo2"], on_air.aggregate) == (0, 0)
    # SpO2 1 plus oxygen 2.
    assert (on_oxygen.components["spo2"], on_oxygen.aggregate) == (1, 3)


def test_scale_2_high_spo2_without_air_or_oxygen_is_not_scored() -> None:
    result = score(spo2=95, spo2_scale=2, on_oxygen=None)
    assert "spo2" not in result.components
    assert result.missing == ("spo2", "air_or_oxygen")
    assert not result.complete
    assert result.notes[0].startswith("SpO2 of 93% or more on scale 2")


def test_scale_2_low_spo2_without_air_or_oxygen_is_scored() -> None:
    result = score(spo2=90, spo2_scale=2, on_oxygen=None)
    assert result.components["spo2"] == 0
    assert result.missing == ("air_or_oxygen",)


@pytest.mark.parametrize(("on_oxygen", "expected"), [(False, 0), (True, 2)])
def test_air_or_oxygen(on_oxygen: bool, expected: int) -> None:
    assert score(on_oxygen=on_oxygen).components["air_or_oxygen"] == expected


@pytest.mark.parametrize(
    ("systolic", "expected"),
    [(0, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_systolic_bands(systolic: int, expected: int) -> None:
    assert score(systolic=systolic).components["systolic"] == expected


@pytest.mark.parametrize(
    ("pulse", "expected"),
    [
        (0, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
        (300, 3),
    ],
)
def test_pulse_bands(pulse: int, expected: int) -> None:
    assert score(pulse=pulse).components["pulse"] == expected


@pytest.mark.parametrize(("level", "expected"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_consciousness(level: Any, expected: int) -> None:
    assert score(consciousness=level).components["consciousness"] == expected


TEMPERATURE_BANDS = [
    ("10.0", 3),
    ("35.0", 3),
    ("35.1", 1),
    ("36.0", 1),
    ("36.1", 0),
    ("38.0", 0),
    ("38.1", 1),
    ("39.0", 1),
    ("39.1", 2),
    ("45.0", 2),
]


@pytest.mark.parametrize(("text", "expected"), TEMPERATURE_BANDS)
def test_temperature_bands_as_decimal(text: str, expected: int) -> None:
    assert score(temperature=Decimal(text)).components["temperature"] == expected


@pytest.mark.parametrize(("text", "expected"), TEMPERATURE_BANDS)
def test_temperature_bands_as_float(text: str, expected: int) -> None:
    assert score(temperature=float(text)).components["temperature"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (35.04, 3),  # rounds to 35.0
        (35.05, 1),  # rounds half-up to 35.1
        (36.04, 1),
        (36.05, 0),
        (38.04, 0),
        (38.05, 1),
        (39.04, 1),
        (39.05, 2),
        (Decimal("36.05"), 0),
        (Decimal("38.049"), 0),
        (37, 0),
    ],
)
def test_temperature_rounds_half_up_to_one_decimal(value: Any, expected: int) -> None:
    assert score(temperature=value).components["temperature"] == expected


def test_temperature_1dp() -> None:
    assert temperature_1dp(38.05) == Decimal("38.1")
    assert temperature_1dp(Decimal("36.04")) == Decimal("36.0")


def band_input(**values: Any) -> News2Input:
    """Return NORMAL changed, for the band table."""
    return replace(NORMAL, **values)


@pytest.mark.parametrize(
    ("inp", "aggregate", "band", "single_three", "response"),
    [
        (band_input(), 0, "low", False, "routine monitoring"),
        (band_input(pulse=95), 1, "low", False, "clinical assessment and continued monitoring"),
        (band_input(pulse=95, temperature=38.5, resp_rate=21), 4, "low", False, None),
        # A single 3 with a total below 5 is low-medium.
        (band_input(resp_rate=25), 3, "low-medium", True, "urgent review"),
        (band_input(resp_rate=25, pulse=95), 4, "low-medium", True, "urgent review"),
        (band_input(consciousness="C"), 3, "low-medium", True, "urgent review"),
        # 5–6 is medium whether or not a single parameter scores 3.
        (band_input(resp_rate=21, pulse=111, temperature=38.5), 5, "medium", False, None),
        (band_input(resp_rate=25, pulse=111), 5, "medium", True, "urgent response"),
        (band_input(resp_rate=21, pulse=111, on_oxygen=True), 6, "medium", False, None),
        (band_input(resp_rate=25, pulse=111, temperature=38.5), 6, "medium", True, None),
        # 7 or more is high.
        (band_input(resp_rate=25, pulse=111, on_oxygen=True), 7, "high", True, None),
        (
            band_input(resp_rate=21, pulse=111, on_oxygen=True, temperature=38.5),
            7,
            "high",
            False,
            "emergency response",
        ),
    ],
)
def test_aggregate_bands(
    inp: News2Input, aggregate: int, band: str, single_three: bool, response: str | None
) -> None:
    result = score_news2(inp)
    assert result.aggregate == aggregate
    assert result.band == band
    assert result.single_three is single_three
    if response is not None:
        assert result.response == response


def test_maximum_score_is_twenty() -> None:
    worst = News2Input(
        resp_rate=8,
        spo2=91,
        on_oxygen=True,
        systolic=90,
        pulse=40,
        consciousness="U",
        temperature=Decimal("35.0"),
    )
    result = score_news2(worst)
    assert result.aggregate == 20
    assert result.band == "high"
    assert result.single_three_parameters == (
        "resp_rate",
        "spo2",
        "systolic",
        "pulse",
        "consciousness",
        "temperature",
    )


def test_incomplete_observations_sum_what_is_present() -> None:
    result = score_news2(News2Input(resp_rate=25, pulse=111))
    assert result.components == {"resp_rate": 3, "pulse": 2}
    assert result.aggregate == 5
    assert not result.complete
    assert result.missing == ("spo2", "air_or_oxygen", "systolic", "consciousness", "temperature")
    assert result.band == "medium"
    assert result.notes == ("incomplete: the aggregate and band are a minimum",)


def test_missing_air_or_oxygen_makes_the_score_incomplete() -> None:
    result = score(on_oxygen=None)
    assert result.missing == ("air_or_oxygen",)
    assert not result.complete


def test_nothing_recorded() -> None:
    result = score_news2(News2Input())
    assert result.components == {}
    assert result.missing == PARAMETERS
    assert result.aggregate == 0


@pytest.mark.parametrize(
    ("age", "pregnant", "applicable", "reason"),
    [
        (None, None, True, None),
        (16, None, True, None),
        (90, False, True, None),
        (15, None, False, "patient under 16"),
        (0, None, False, "patient under 16"),
        (None, True, False, "pregnancy"),
        (30, True, False, "pregnancy"),
        (15, True, False, "patient under 16; pregnancy"),
    ],
)
def test_not_validated_under_16_or_in_pregnancy(
    age: int | None, pregnant: bool | None, applicable: bool, reason: str | None
) -> None:
    result = score_news2(replace(NORMAL, resp_rate=25), age_years=age, pregnant=pregnant)
    assert result.applicable is applicable
    assert result.not_validated_reason == reason
    # Still computed, so the record shows what the adult chart would say.
    assert result.components["resp_rate"] == 3
    assert result.aggregate == 3


@pytest.mark.parametrize(
    ("age", "pregnant", "field"),
    [(-1, None, "age_years"), (131, None, "age_years"), (30, "no", "pregnant")],
)
def test_impossible_age_or_pregnancy_is_refused(age: int, pregnant: Any, field: str) -> None:
    with pytest.raises(ClinicalValueError) as info:
        score_news2(NORMAL, age_years=age, pregnant=pregnant)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resp_rate": -1}, "resp_rate"),
        ({"resp_rate": 81}, "resp_rate"),
        ({"resp_rate": 12.5}, "resp_rate"),
        ({"resp_rate": True}, "resp_rate"),
        ({"spo2": 101}, "spo2"),
        ({"spo2": -1}, "spo2"),
        ({"systolic": 301}, "systolic"),
        ({"pulse": 301}, "pulse"),
        ({"spo2_scale": 3}, "spo2_scale"),
        ({"spo2_scale": True}, "spo2_scale"),
        ({"on_oxygen": "yes"}, "on_oxygen"),
        ({"consciousness": "X"}, "consciousness"),
        ({"consciousness": "a"}, "consciousness"),
        ({"temperature": "37.0"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": float("inf")}, "temperature"),
        ({"temperature": Decimal("NaN")}, "temperature"),
        ({"temperature": 9.9}, "temperature"),
        ({"temperature": 45.1}, "temperature"),
    ],
)
def test_impossible_values_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClinicalValueError) as info:
        replace(NORMAL, **changes)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_range_error_names_the_range() -> None:
    with pytest.raises(ClinicalValueError, match=r"resp_rate: must be between 0 and 80"):
        News2Input(resp_rate=81)


def test_to_dict_is_plain_json() -> None:
    result = score(spo2=95, spo2_scale=2, on_oxygen=True, temperature=38.5)
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["components"]["spo2"] == 2
    assert data["components"]["air_or_oxygen"] == 2
    assert data["aggregate"] == 5
    assert data["band"] == "medium"
    assert data["missing"] == []


# ---------------------------------------------------------------------------- trend

T0 = datetime(2024, 5, 1, 10, 0)


def aggregate_of(total: int) -> News2Result:
    """Return a result with the given aggregate, built from pulse and respiration."""
    table = {
        0: NORMAL,
        2: replace(NORMAL, resp_rate=21),
        3: replace(NORMAL, resp_rate=21, pulse=95),
        5: replace(NORMAL, resp_rate=25, pulse=111),
    }
    return score_news2(table[total])


def test_trend_orders_by_time_and_reports_changes() -> None:
    trend = news2_trend(
        [
            (T0 + timedelta(minutes=20), aggregate_of(5)),
            (T0, aggregate_of(2)),
            (T0 + timedelta(minutes=10), aggregate_of(3)),
        ]
    )
    assert [point.aggregate for point in trend.points] == [2, 3, 5]
    assert [point.change_from_first for point in trend.points] == [0, 1, 3]
    assert [point.change_from_previous for point in trend.points] == [None, 1, 2]
    assert [point.band for point in trend.points] == ["low", "low", "medium"]
    assert trend.change_from_first == 3
    assert trend.change_from_previous == 2
    assert trend.direction == "rising"


@pytest.mark.parametrize(
    ("totals", "direction", "from_first", "from_previous"),
    [
        ([5, 3], "falling", -2, -2),
        ([2, 2], "stable", 0, 0),
        ([0, 5, 3], "falling", 3, -2),
        ([3], "stable", 0, 0),
    ],
)
def test_trend_direction_follows_latest_change(
    totals: list[int], direction: str, from_first: int, from_previous: int
) -> None:
    points = [(T0 + timedelta(minutes=i), aggregate_of(t)) for i, t in enumerate(totals)]
    trend = news2_trend(points)
    assert trend.direction == direction
    assert trend.change_from_first == from_first
    assert trend.change_from_previous == from_previous


def test_trend_needs_a_point() -> None:
    with pytest.raises(ClinicalValueError) as info:
        news2_trend([])
    assert info.value.field == "points"


def test_trend_to_dict() -> None:
    data = news2_trend(
        [(T0, aggregate_of(2)), (T0 + timedelta(hours=1), aggregate_of(0))]
    ).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["points"][0]["at"] == "2024-05-01T10:00:00"
    assert data["direction"] == "falling"
    assert data["points"][0]["complete"] is True
    point = news2_trend([(T0, aggregate_of(3))]).points[0]
    assert point.to_dict() == {
        "at": "2024-05-01T10:00:00",
        "aggregate": 3,
        "complete": True,
        "band": "low",
        "change_from_first": 0,
        "change_from_previous": None,
    }


# ---------------------------------------------------------------------------- properties

complete_inputs = st.builds(
    News2Input,
    resp_rate=st.integers(0, 80),
    spo2=st.integers(0, 100),
    spo2_scale=st.sampled_from([1, 2]),
    on_oxygen=st.booleans(),
    systolic=st.integers(0, 300),
    pulse=st.integers(0, 300),
    consciousness=st.sampled_from(["A", "C", "V", "P", "U"]),
    temperature=st.one_of(
        st.decimals(min_value="10.0", max_value="45.0", places=1),
        st.floats(min_value=10.0, max_value=45.0),
    ),
)


@given(complete_inputs)
def test_complete_aggregate_is_0_to_20_and_the_sum_of_components(inp: News2Input) -> None:
    result = score_news2(inp)
    assert result.complete
    assert set(result.components) == set(PARAMETERS)
    assert 0 <= result.aggregate <= 20
    assert result.aggregate == sum(result.components.values())
    assert result.single_three == (3 in result.components.values())
    expected_band = (
        "high"
        if result.aggregate >= 7
        else "medium"
        if result.aggregate >= 5
        else "low-medium"
        if result.single_three
        else "low"
    )
    assert result.band == expected_band


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


partial_inputs = st.builds(
    News2Input,
    resp_rate=_maybe(st.integers(0, 80)),
    spo2=_maybe(st.integers(0, 100)),
    spo2_scale=st.sampled_from([1, 2]),
    on_oxygen=_maybe(st.booleans()),
    systolic=_maybe(st.integers(0, 300)),
    pulse=_maybe(st.integers(0, 300)),
    consciousness=_maybe(st.sampled_from(["A", "C", "V", "P", "U"])),
    temperature=_maybe(st.decimals(min_value="10.0", max_value="45.0", places=1)),
)


@given(partial_inputs)
def test_partial_aggregate_is_the_sum_of_what_is_present(inp: News2Input) -> None:
    result = score_news2(inp)
    assert result.aggregate == sum(result.components.values())
    assert set(result.components) | set(result.missing) == set(PARAMETERS)
    assert not set(result.components) & set(result.missing)
    assert result.complete == (not result.missing)


@given(st.decimals(min_value="10.0", max_value="45.0", places=1))
def test_float_and_decimal_temperatures_score_alike(value: Decimal) -> None:
    as_decimal = score(temperature=value).components["temperature"]
    assert score(temperature=float(value)).components["temperature"] == as_decimal
