"""NEWS2 over time: each parameter from its latest value within the 60-minute window.

The hazard (issue 10, item 1): a full set scoring 14, then a 12-lead ECG recorded as its own
set with only a pulse, showed "NEWS2 2 (incomplete) · low" and a trend "falling −12".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.clinical import (
    NEWS2_WINDOW_MINUTES,
    News2Input,
    News2Set,
    news2_series,
    score_news2,
)
from carechain.clinical.news2 import PARAMETERS

T0 = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
# RR 26 (3), SpO2 91 (3), air (0), BP 95 (2), pulse 125 (2), new confusion (3), 38.5 °C (1)
FULL_14 = News2Input(
    resp_rate=26,
    spo2=91,
    on_oxygen=False,
    systolic=95,
    pulse=125,
    consciousness="C",
    temperature=Decimal("38.5"),
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_issue_scenario_never_falls() -> None:
    """A pulse-only 12-lead set after a NEWS2 of 14 keeps 14, high, and the trend stable."""
    assert score_news2(FULL_14).aggregate == 14
    series = news2_series(
        [News2Set(at(0), FULL_14, "full"), News2Set(at(4), News2Input(pulse=118), "ecg")]
    )
    assert series is not None
    assert (series.latest.aggregate, series.latest.band, series.latest.complete) == (
        14,
        "high",
        True,
    )
    assert series.trend.direction == "stable"
    assert [p.aggregate for p in series.trend.points] == [14, 14]
    assert series.parameters["pulse"].value == 118
    assert series.parameters["pulse"].entry == "ecg"
    assert series.parameters["resp_rate"].value == 26
    assert series.parameters["resp_rate"].taken_at == at(0)
    assert series.taken_at == at(4)
    assert series.last_complete_at == at(4)


# The window's boundary: a value exactly 60 minutes old still counts; a second more is stale.
@pytest.mark.parametrize(
    ("age", "scored"),
    [
        (timedelta(minutes=0), True),
        (timedelta(minutes=59, seconds=59), True),
        (timedelta(minutes=60), True),
        (timedelta(minutes=60, seconds=1), False),
        (timedelta(hours=3), False),
    ],
)
def test_window_boundary(age: timedelta, scored: bool) -> None:
    assert NEWS2_WINDOW_MINUTES == 60
    later = T0 + age
    series = news2_series([News2Set(T0, FULL_14, "full"), News2Set(later, News2Input(pulse=80))])
    assert series is not None
    others = [name for name in PARAMETERS if name != "pulse"]
    if scored:
        assert set(series.parameters) == set(PARAMETERS)
        assert series.stale == ()
        assert series.latest.aggregate == 12  # pulse 80 scores 0 instead of 2
    else:
        assert set(series.parameters) == {"pulse"}
        assert series.stale == tuple(others)
        assert set(series.latest.missing) == set(others)
        assert not series.latest.complete
        assert series.last_complete_at == T0


def test_stale_values_are_named_and_the_time_last_complete_kept() -> None:
    series = news2_series(
        [
            News2Set(at(0), FULL_14, "a"),
            News2Set(at(50), News2Input(resp_rate=30, spo2=90), "b"),
            News2Set(at(70), News2Input(pulse=140), "c"),
        ]
    )
    assert series is not None
    assert set(series.parameters) == {"resp_rate", "spo2", "pulse"}
    assert series.stale == ("air_or_oxygen", "systolic", "consciousness", "temperature")
    assert series.last_complete_at == at(50)
    assert series.latest.aggregate == 3 + 3 + 3
    assert series.latest.band == "high"


def test_the_latest_value_counts_even_when_lower() -> None:
    """A measured improvement lowers the score: carrying forward is only for the unmeasured."""
    series = news2_series([News2Set(at(0), FULL_14), News2Set(at(5), News2Input(resp_rate=16))])
    assert series is not None
    assert series.latest.components["resp_rate"] == 0
    assert series.latest.aggregate == 11
    assert series.trend.direction == "falling"


def test_sets_in_one_second_keep_the_order_given() -> None:
    """Two sets taken in one second: the later-given (recorded later) is the latest."""
    series = news2_series(
        [
            News2Set(T0.replace(microsecond=900_000), News2Input(pulse=77), "older"),
            News2Set(T0.replace(microsecond=100_000), News2Input(pulse=131), "newer"),
        ]
    )
    assert series is not None
    assert series.parameters["pulse"].value == 131
    assert series.parameters["pulse"].entry == "newer"


def test_no_parameter_measured_is_no_score() -> None:
    assert news2_series([]) is None
    ecg_only = News2Set(at(0), News2Input())
    assert news2_series([ecg_only]) is None


def test_a_set_without_news2_parameters_is_not_a_trend_point() -> None:
    series = news2_series([News2Set(at(0), FULL_14), News2Set(at(30), News2Input())])
    assert series is not None
    assert len(series.trend.points) == 1 and series.taken_at == at(0)


def test_scale_2_spo2_is_scored_with_the_current_air_or_oxygen() -> None:
    """SpO2 95 % on scale 2 with no air/oxygen in its own set takes the current one."""
    series = news2_series(
        [
            News2Set(at(0), News2Input(on_oxygen=True), "o2"),
            News2Set(at(2), News2Input(spo2=95, spo2_scale=2), "sat"),
        ]
    )
    assert series is not None
    assert series.latest.components["spo2"] == 2  # 95–96 on oxygen
    assert series.latest.spo2_scale == 2
    unscored = news2_series([News2Set(at(0), News2Input(spo2=95, spo2_scale=2))])
    assert unscored is not None
    assert "spo2" in unscored.latest.missing and "spo2" not in unscored.parameters
    assert any("air/oxygen" in note for note in unscored.latest.notes)


def test_to_dict_has_the_shared_contract() -> None:
    series = news2_series(
        [News2Set(at(0), FULL_14, "ab" * 32), News2Set(at(4), News2Input(pulse=118))]
    )
    assert series is not None
    data = series.to_dict()
    assert set(data) >= {
        "aggregate",
        "band",
        "response",
        "components",
        "missing",
        "complete",
        "single_three",
        "single_three_parameters",
        "applicable",
        "not_validated_reason",
        "notes",
        "spo2_scale",
        "taken_at",
        "parameters",
        "window_minutes",
        "stale",
        "last_complete_at",
    }
    assert data["parameters"]["resp_rate"] == {
        "value": 26,
        "score": 3,
        "taken_at": "2024-05-01T14:00:00+00:00",
        "entry": "ab" * 32,
    }
    assert data["parameters"]["air_or_oxygen"]["value"] == "air"
    assert data["parameters"]["temperature"]["value"] == 38.5
    assert data["parameters"]["consciousness"]["value"] == "C"
    assert data["taken_at"] == "2024-05-01T14:04:00+00:00"
    assert data["window_minutes"] == 60 and data["stale"] == []


# --- for all inputs ---------------------------------------------------------------------

VALUES: dict[str, Any] = {
    "resp_rate": st.integers(0, 80),
    "spo2": st.integers(50, 100),
    "on_oxygen": st.booleans(),
    "systolic": st.integers(40, 300),
    "pulse": st.integers(20, 300),
    "consciousness": st.sampled_from(["A", "C", "V", "P", "U"]),
    "temperature": st.integers(300, 420).map(lambda t: Decimal(t) / 10),
}
sets = st.fixed_dictionaries({}, optional=VALUES).map(lambda v: News2Input(**v))
minutes = st.integers(0, 240)


def _series_of(items: list[tuple[int, News2Input]]) -> Any:
    return news2_series([News2Set(at(m), v, str(i)) for i, (m, v) in enumerate(items)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(minutes, sets), max_size=8), sets)
def test_a_later_set_never_lowers_an_unmeasured_parameter_in_the_window(
    earlier: list[tuple[int, News2Input]], added: News2Input
) -> None:
    """Adding a set that measures fewer parameters changes nothing it did not measure,
    except that values older than the window before it fall out (and are named stale)."""
    before = _series_of(earlier)
    if before is None:
        return
    last = int((before.taken_at - T0).total_seconds() // 60)  # the latest NEWS2 moment
    after = _series_of([*earlier, (last, added)])
    assert after is not None
    measured = {
        name
        for name, field in (
            ("resp_rate", "resp_rate"),
            ("spo2", "spo2"),
            ("air_or_oxygen", "on_oxygen"),
            ("systolic", "systolic"),
            ("pulse", "pulse"),
            ("consciousness", "consciousness"),
            ("temperature", "temperature"),
        )
        if getattr(added, field) is not None
    }
    for name, value in before.parameters.items():
        if name in measured or (name == "spo2" and "air_or_oxygen" in measured):
            continue
        assert name in after.parameters, name  # same moment or later: never stale here
        assert after.parameters[name].score == value.score, name
    if not measured:
        assert after.latest == before.latest


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(minutes, sets), min_size=1, max_size=8), st.randoms())
def test_sets_at_distinct_times_give_one_result_in_any_order(
    items: list[tuple[int, News2Input]], rnd: Any
) -> None:
    distinct = list({m: (m, v) for m, v in items}.values())
    shuffled = list(distinct)
    rnd.shuffle(shuffled)
    expected, got = _series_of(distinct), _series_of(shuffled)
    assert (expected is None) == (got is None)
    if expected is not None:
        assert got.latest == expected.latest
        assert got.stale == expected.stale
        assert got.last_complete_at == expected.last_complete_at
        assert [p.aggregate for p in got.trend.points] == [
            p.aggregate for p in expected.trend.points
        ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(minutes, sets), min_size=1, max_size=8))
def test_each_parameter_is_its_latest_value_or_stale(items: list[tuple[int, News2Input]]) -> None:
    series = _series_of(items)
    if series is None:
        return
    window = timedelta(minutes=NEWS2_WINDOW_MINUTES)
    for value in series.parameters.values():
        assert series.taken_at - window <= value.taken_at <= series.taken_at
    assert set(series.parameters).isdisjoint(series.stale)
    assert series.latest.aggregate == sum(v.score for v in series.parameters.values())
