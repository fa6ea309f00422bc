"""NEWS2 over time: each parameter scored from its latest value measured within a window.

A set of observations rarely measures all seven NEWS2 parameters: a 12-lead ECG is a pulse
and the ST leads, a recheck may be a pulse and an SpO2. Scoring only the latest set makes
the headline fall because a parameter was not measured (a NEWS2 of 14 shown as 2 after an
ECG). So the score at any moment takes each parameter from its latest value measured within
the window before that moment; a set that did not measure a parameter never changes its
score. A value older than the window is stale: not scored, and named.

The window is 60 minutes. RCP NEWS2 (2017), chart 4 (clinical response to the NEWS2
trigger thresholds): a NEWS2 of 5 or more, or a 3 in any one parameter, calls for
observations at least hourly (7 or more: continuous monitoring). A value older than an
hour is older than the least frequent monitoring the chart allows for a patient at that
level, so it cannot stand for the patient now; a shorter window would drop values between
rechecks a busy crew has not yet made, which is the fall this module exists to prevent.
Ages are shown beside every value, so a value near the edge of the window is visible.

Times are compared to the second; sets taken in the same second keep the order given
(the caller passes them in recording order). Nothing here reads the clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from carechain.clinical._json import as_dict, to_json
from carechain.clinical.news2 import (
    PARAMETERS,
    News2Input,
    News2Result,
    News2Trend,
    component_scores,
    news2_trend,
    result_from_scores,
    temperature_1dp,
)

__all__ = [
    "NEWS2_WINDOW_MINUTES",
    "News2Series",
    "News2Set",
    "ParameterValue",
    "news2_series",
]

NEWS2_WINDOW_MINUTES = 60


@dataclass(frozen=True)
class News2Set:
    """One observation set: when it was taken, what it measured, and its reference."""

    at: datetime
    values: News2Input
    ref: str = ""


@dataclass(frozen=True)
class ParameterValue:
    """A parameter's latest value within the window: as recorded, its score, when, where."""

    value: int | float | str
    score: int
    taken_at: datetime
    entry: str

    def to_dict(self) -> dict[str, Any]:
        """Return the value as plain JSON types (times with seconds)."""
        out = as_dict(self)
        out["taken_at"] = self.taken_at.isoformat(timespec="seconds")
        return out


@dataclass(frozen=True)
class News2Series:
    """The latest NEWS2 with each parameter carried forward, and the trend it makes."""

    latest: News2Result
    parameters: Mapping[str, ParameterValue] = field(hash=False)
    stale: tuple[str, ...]
    last_complete_at: datetime | None
    taken_at: datetime
    window_minutes: int
    trend: News2Trend

    def to_dict(self) -> dict[str, Any]:
        """Return the latest score with `parameters`, `stale`, times and the window."""
        out = self.latest.to_dict()
        out.update(
            parameters={name: p.to_dict() for name, p in self.parameters.items()},
            stale=list(self.stale),
            window_minutes=self.window_minutes,
            last_complete_at=_iso(self.last_complete_at),
            taken_at=_iso(self.taken_at),
        )
        return out


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Seen:
    """The latest measurement of one parameter: its set, and that set's own scores."""

    at: datetime
    ref: str
    values: News2Input
    scores: Mapping[str, int | None]


def _recorded(name: str, values: News2Input) -> int | float | str | None:
    """Return a parameter's value as the set recorded it (air/oxygen as a word)."""
    if name == "air_or_oxygen":
        return None if values.on_oxygen is None else "oxygen" if values.on_oxygen else "air"
    if name == "temperature":
        return None if values.temperature is None else to_json(temperature_1dp(values.temperature))
    # The other five are News2Input fields of the same name.
    value: int | str | None = getattr(values, name)
    return value


def _at_moment(
    latest: Mapping[str, _Seen],
    at: datetime,
    window: timedelta,
    age_years: int | None,
    pregnant: bool | None,
) -> tuple[News2Result, dict[str, ParameterValue], tuple[str, ...]]:
    """Score the latest value of each parameter measured within `window` before `at`."""
    current = {name: seen for name, seen in latest.items() if seen.at >= at - window}
    stale = tuple(name for name in PARAMETERS if name in latest and name not in current)
    scores: dict[str, int | None] = {
        name: seen.scores[name] for name, seen in current.items()
    }
    spo2 = current.get("spo2")
    oxygen = current.get("air_or_oxygen")
    spo2_unscored = False
    if spo2 is not None and scores["spo2"] is None:
        # Scale 2 at 93 % or more needs air/oxygen: the set's own, else the current one.
        if oxygen is not None:
            carried = dataclasses.replace(spo2.values, on_oxygen=oxygen.values.on_oxygen)
            scores["spo2"] = component_scores(carried)["spo2"]
        spo2_unscored = scores["spo2"] is None
    result = result_from_scores(
        scores,
        spo2_scale=spo2.values.spo2_scale if spo2 is not None else 1,
        spo2_unscored=spo2_unscored,
        age_years=age_years,
        pregnant=pregnant,
    )
    parameters: dict[str, ParameterValue] = {}
    for name in PARAMETERS:
        seen, score = current.get(name), scores.get(name)
        value = None if seen is None else _recorded(name, seen.values)
        if seen is not None and score is not None and value is not None:
            parameters[name] = ParameterValue(value, score, seen.at, seen.ref)
    return result, parameters, stale


def news2_series(
    sets: Sequence[News2Set],
    *,
    window_minutes: int = NEWS2_WINDOW_MINUTES,
    age_years: int | None = None,
    pregnant: bool | None = None,
) -> News2Series | None:
    """Return NEWS2 now and at each set, each parameter carried forward within the window.

    A trend point is made at every set that measured a NEWS2 parameter; the latest point is
    the headline. None when no set measured any parameter.
    """
    window = timedelta(minutes=window_minutes)
    ordered = sorted(
        enumerate(sets), key=lambda pair: (pair[1].at.replace(microsecond=0), pair[0])
    )
    latest: dict[str, _Seen] = {}
    points: list[tuple[datetime, News2Result]] = []
    last_complete: datetime | None = None
    final: tuple[News2Result, dict[str, ParameterValue], tuple[str, ...]] | None = None
    for _, one in ordered:
        scores = component_scores(one.values)
        measured = [name for name in PARAMETERS if _recorded(name, one.values) is not None]
        if not measured:
            continue  # a glucose or 12-lead-only set is not a NEWS2 moment
        at = one.at.replace(microsecond=0)
        for name in measured:
            latest[name] = _Seen(at, one.ref, one.values, MappingProxyType(scores))
        final = _at_moment(latest, at, window, age_years, pregnant)
        points.append((at, final[0]))
        if final[0].complete:
            last_complete = at
    if final is None:
        return None
    result, parameters, stale = final
    return News2Series(
        latest=result,
        parameters=MappingProxyType(parameters),
        stale=stale,
        last_complete_at=last_complete,
        taken_at=points[-1][0],
        window_minutes=window_minutes,
        trend=news2_trend(points),
    )
