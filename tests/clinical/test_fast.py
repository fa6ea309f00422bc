"""BE-FAST and the stroke pre-alert window (NICE NG128)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from carechain.clinical import BeFastInput, ClinicalValueError, assess_befast
from carechain.clinical.fast import format_minutes

AT = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
NORMAL = {"balance": False, "eyes": False, "face": False, "arm": False, "speech": False}


def assess(since: timedelta | None, **signs: bool | None) -> BeFastInput:
    """Return an assessment at AT with last known well `since` before it."""
    values: dict[str, bool | None] = {**NORMAL, **signs}
    return BeFastInput(
        assessed_at=AT,
        last_known_well=None if since is None else AT - since,
        **values,
    )


@pytest.mark.parametrize("sign", ["balance", "eyes", "face", "arm", "speech"])
def test_any_single_sign_is_positive(sign: str) -> None:
    result = assess_befast(assess(timedelta(hours=1), **{sign: True}))
    assert result.positive
    assert result.positive_signs == (sign,)
    assert result.pre_alert


def test_all_normal_is_negative_and_no_pre_alert() -> None:
    result = assess_befast(assess(timedelta(minutes=30)))
    assert not result.positive
    assert not result.pre_alert
    assert result.complete
    assert result.reason == "no BE-FAST sign positive"
    # The window flags still describe the time, whatever the signs.
    assert result.thrombolysis_window is True


@pytest.mark.parametrize(
    ("since", "thrombolysis", "thrombectomy", "within", "pre_alert", "reason"),
    [
        (timedelta(0), True, True, True, True, "within the 4.5 h thrombolysis window"),
        (timedelta(hours=4, minutes=30), True, True, True, True, "4.5 h thrombolysis"),
        (timedelta(hours=4, minutes=31), False, True, True, True, "6 h thrombectomy window"),
        (timedelta(hours=6), False, True, True, True, "6 h thrombectomy window"),
        (timedelta(hours=6, minutes=1), False, False, True, True, "thrombectomy possible"),
        (timedelta(hours=24), False, False, True, True, "within 24 h"),
        (timedelta(hours=24, seconds=1), False, False, False, False, "outside the 24 h"),
        (timedelta(hours=30), False, False, False, False, "outside the 24 h"),
    ],
)
def test_treatment_windows(
    since: timedelta,
    thrombolysis: bool,
    thrombectomy: bool,
    within: bool,
    pre_alert: bool,
    reason: str,
) -> None:
    result = assess_befast(assess(since, face=True))
    assert result.onset_known
    assert result.thrombolysis_window is thrombolysis
    assert result.thrombectomy_window is thrombectomy
    assert result.within_pre_alert_window is within
    assert result.pre_alert is pre_alert
    assert reason in result.reason


def test_minutes_since_last_known_well_and_reason() -> None:
    result = assess_befast(assess(timedelta(hours=1, minutes=20, seconds=59), arm=True))
    assert result.minutes_since_last_known_well == 80
    assert result.reason == "last known well 1 h 20 min ago: within the 4.5 h thrombolysis window"


def test_unknown_last_known_well_is_explicit_and_pre_alerts() -> None:
    result = assess_befast(assess(None, speech=True))
    assert result.positive
    assert not result.onset_known
    assert result.minutes_since_last_known_well is None
    assert result.thrombolysis_window is None
    assert result.thrombectomy_window is None
    assert result.within_pre_alert_window is None
    assert result.pre_alert
    assert "onset is unknown" in result.reason


def test_unknown_last_known_well_negative() -> None:
    result = assess_befast(assess(None))
    assert not result.pre_alert
    assert not result.onset_known


def test_untested_signs_are_reported() -> None:
    result = assess_befast(BeFastInput(assessed_at=AT, face=False, arm=False, speech=False))
    assert not result.positive
    assert not result.complete
    assert result.unknown_signs == ("balance", "eyes")


def test_last_known_well_after_assessment_is_refused() -> None:
    with pytest.raises(ClinicalValueError) as info:
        assess_befast(assess(timedelta(minutes=-1), face=True))
    assert info.value.field == "last_known_well"


def test_sign_values_must_be_true_false_or_none() -> None:
    with pytest.raises(ClinicalValueError) as info:
        BeFastInput(assessed_at=AT, arm="yes")  # type: ignore[arg-type]
    assert info.value.field == "arm"


def test_mixed_time_zones_are_refused() -> None:
    naive = datetime(2024, 5, 1, 13, 0)
    with pytest.raises(ClinicalValueError) as info:
        assess_befast(BeFastInput(assessed_at=AT, face=True, last_known_well=naive))
    assert info.value.field == "last_known_well"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (45, "45 min"), (60, "1 h"), (80, "1 h 20 min"), (1500, "25 h")],
)
def test_format_minutes(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


def test_to_dict() -> None:
    data = assess_befast(assess(timedelta(hours=2), face=True, arm=True)).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["positive_signs"] == ["face", "arm"]
    assert data["minutes_since_last_known_well"] == 120
