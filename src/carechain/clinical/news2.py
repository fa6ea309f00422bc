"""NEWS2: the Royal College of Physicians National Early Warning Score 2 (December 2017).

Every band below is taken from the RCP NEWS2 chart ("NEWS2 scoring system", chart 1) and the
"NEWS thresholds and triggers" table (chart 2), as restated in docs/clinical.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any, Literal

from carechain.clinical._json import as_dict
from carechain.clinical._news2_chart import (
    score_pulse,
    score_resp_rate,
    score_spo2_scale1,
    score_spo2_scale2,
    score_systolic,
    score_temperature,
)
from carechain.clinical._validate import as_decimal, check_int
from carechain.clinical.errors import ClinicalValueError

Consciousness = Literal["A", "C", "V", "P", "U"]
Band = Literal["low", "low-medium", "medium", "high"]
Direction = Literal["rising", "falling", "stable"]

# The seven NEWS2 parameters, in chart order; air_or_oxygen is the "air or oxygen?" row.
PARAMETERS: tuple[str, ...] = (
    "resp_rate",
    "spo2",
    "air_or_oxygen",
    "systolic",
    "pulse",
    "consciousness",
    "temperature",
)
# How each parameter is named to a crew.
PARAMETER_LABELS: dict[str, str] = {
    "resp_rate": "respiration rate",
    "spo2": "SpO2",
    "air_or_oxygen": "air or oxygen",
    "systolic": "systolic BP",
    "pulse": "pulse",
    "consciousness": "consciousness",
    "temperature": "temperature",
}

# Data-entry plausibility limits, not clinical bands: values outside them are refused as
# typing errors (DESIGN §8: out-of-range values are refused naming the field and range).
_LIMITS: dict[str, tuple[int, int]] = {
    "resp_rate": (0, 80),
    "spo2": (0, 100),
    "systolic": (0, 300),
    "pulse": (0, 300),
}
_TEMPERATURE_LIMITS = (Decimal("10.0"), Decimal("45.0"))
_ONE_DP = Decimal("0.1")

# RCP NEWS2 chart 2 (thresholds and triggers), response wording as in docs/clinical.md.
_RESPONSE: dict[Band, str] = {
    "low": "clinical assessment and continued monitoring",
    "low-medium": "urgent review",
    "medium": "urgent response",
    "high": "emergency response",
}
_RESPONSE_ZERO = "routine monitoring"


@dataclass(frozen=True)
class News2Input:
    """One set of observations to score; None means not recorded."""

    resp_rate: int | None = None
    spo2: int | None = None
    spo2_scale: Literal[1, 2] = 1
    on_oxygen: bool | None = None
    systolic: int | None = None
    pulse: int | None = None
    consciousness: Consciousness | None = None
    temperature: Decimal | float | None = None

    def __post_init__(self) -> None:
        """Refuse values that cannot be observations."""
        for name, (low, high) in _LIMITS.items():
            check_int(name, getattr(self, name), low, high)
        if isinstance(self.spo2_scale, bool) or self.spo2_scale not in (1, 2):
            raise ClinicalValueError("spo2_scale", "must be 1 or 2")
        if self.on_oxygen is not None and not isinstance(self.on_oxygen, bool):
            raise ClinicalValueError("on_oxygen", "must be true, false or not recorded")
        if self.consciousness is not None and self.consciousness not in ("A", "C", "V", "P", "U"):
            raise ClinicalValueError("consciousness", "must be one of A, C, V, P, U (ACVPU)")
        if self.temperature is not None:
            temperature_1dp(self.temperature)


@dataclass(frozen=True)
class News2Result:
    """A NEWS2 score with its parts; `band` is a floor when `complete` is False."""

    components: Mapping[str, int] = field(hash=False)
    missing: tuple[str, ...]
    complete: bool
    aggregate: int
    single_three: bool
    single_three_parameters: tuple[str, ...]
    band: Band
    response: str
    spo2_scale: int
    applicable: bool
    not_validated_reason: str | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


@dataclass(frozen=True)
class News2TrendPoint:
    """One scored observation set in a trend."""

    at: datetime
    aggregate: int
    complete: bool
    band: Band
    change_from_first: int
    change_from_previous: int | None

    def to_dict(self) -> dict[str, Any]:
        """Return the point as plain JSON types."""
        return as_dict(self)


@dataclass(frozen=True)
class News2Trend:
    """NEWS2 aggregates in time order; `direction` follows the latest change."""

    points: tuple[News2TrendPoint, ...]
    change_from_first: int
    change_from_previous: int
    direction: Direction

    def to_dict(self) -> dict[str, Any]:
        """Return the trend as plain JSON types."""
        return as_dict(self)


def temperature_1dp(value: Decimal | float) -> Decimal:
    """Return a temperature rounded half-up to one decimal place, as charted."""
    # as_decimal reads a float by its shortest repr, so 38.05 rounds to 38.1 and not down
    # from the binary value just below it.
    number = as_decimal(value)
    if number is None:
        raise ClinicalValueError("temperature", "must be a finite number in °C")
    rounded = number.quantize(_ONE_DP, rounding=ROUND_HALF_UP)
    low, high = _TEMPERATURE_LIMITS
    if not low <= rounded <= high:
        raise ClinicalValueError("temperature", f"must be between {low} and {high} °C")
    return rounded


def _band(aggregate: int, single_three: bool) -> Band:
    """Return the RCP NEWS2 chart 2 band for an aggregate score."""
    if aggregate >= 7:
        return "high"
    if aggregate >= 5:
        return "medium"
    # A 3 in any one parameter lifts an aggregate of 1–4 to low-medium (RCP chart 2).
    return "low-medium" if single_three else "low"


def _not_validated_reason(age_years: int | None, pregnant: bool | None) -> str | None:
    """Say why NEWS2 is not validated for this patient (RCP 2017: under 16, pregnancy)."""
    check_int("age_years", age_years, 0, 130)
    if pregnant is not None and not isinstance(pregnant, bool):
        raise ClinicalValueError("pregnant", "must be true, false or not recorded")
    reasons = []
    if age_years is not None and age_years < 16:
        reasons.append("patient under 16")
    if pregnant:
        reasons.append("pregnancy")
    return "; ".join(reasons) or None


def component_scores(inp: News2Input) -> dict[str, int | None]:
    """Score each parameter of one set that can be scored; None for the rest."""
    spo2: int | None = None
    if inp.spo2 is not None:
        spo2 = (
            score_spo2_scale1(inp.spo2)
            if inp.spo2_scale == 1
            else score_spo2_scale2(inp.spo2, inp.on_oxygen)
        )
    air_or_oxygen: int | None = None
    if inp.on_oxygen is not None:
        # RCP NEWS2 chart 1: supplemental oxygen scores 2, air 0.
        air_or_oxygen = 2 if inp.on_oxygen else 0
    consciousness: int | None = None
    if inp.consciousness is not None:
        # RCP NEWS2 chart 1: alert 0; new confusion, voice, pain or unresponsive 3.
        consciousness = 0 if inp.consciousness == "A" else 3
    temperature: int | None = None
    if inp.temperature is not None:
        temperature = score_temperature(temperature_1dp(inp.temperature))
    return {
        "resp_rate": None if inp.resp_rate is None else score_resp_rate(inp.resp_rate),
        "spo2": spo2,
        "air_or_oxygen": air_or_oxygen,
        "systolic": None if inp.systolic is None else score_systolic(inp.systolic),
        "pulse": None if inp.pulse is None else score_pulse(inp.pulse),
        "consciousness": consciousness,
        "temperature": temperature,
    }


def result_from_scores(
    scores: Mapping[str, int | None],
    *,
    spo2_scale: int = 1,
    spo2_unscored: bool = False,
    age_years: int | None = None,
    pregnant: bool | None = None,
) -> News2Result:
    """Return the NEWS2 result of per-parameter scores (None: not scored).

    `spo2_unscored` says an SpO2 was recorded but could not be scored (scale 2 at 93 % or
    more with air/oxygen unknown), which the result notes.
    """
    reason = _not_validated_reason(age_years, pregnant)
    components = {name: s for name in PARAMETERS if (s := scores.get(name)) is not None}
    missing = tuple(name for name in PARAMETERS if scores.get(name) is None)
    aggregate = sum(components.values())
    threes = tuple(name for name, s in components.items() if s == 3)
    band = _band(aggregate, bool(threes))
    notes: list[str] = []
    if spo2_unscored:
        notes.append("SpO2 of 93% or more on scale 2 cannot be scored without air/oxygen")
    if missing:
        notes.append("incomplete: the aggregate and band are a minimum")
    return News2Result(
        components=MappingProxyType(components),
        missing=missing,
        complete=not missing,
        aggregate=aggregate,
        single_three=bool(threes),
        single_three_parameters=threes,
        band=band,
        response=_RESPONSE_ZERO if aggregate == 0 else _RESPONSE[band],
        spo2_scale=spo2_scale,
        applicable=reason is None,
        not_validated_reason=reason,
        notes=tuple(notes),
    )


def score_news2(
    inp: News2Input, *, age_years: int | None = None, pregnant: bool | None = None
) -> News2Result:
    """Score one observation set on the RCP NEWS2 chart."""
    scores = component_scores(inp)
    return result_from_scores(
        scores,
        spo2_scale=inp.spo2_scale,
        spo2_unscored=inp.spo2 is not None and scores["spo2"] is None,
        age_years=age_years,
        pregnant=pregnant,
    )


def news2_trend(points: Sequence[tuple[datetime, News2Result]]) -> News2Trend:
    """Return NEWS2 aggregates in time order with changes and the latest direction."""
    if not points:
        raise ClinicalValueError("points", "at least one scored observation set is required")
    ordered = sorted(points, key=lambda point: point[0])
    first = ordered[0][1].aggregate
    trend: list[News2TrendPoint] = []
    previous: int | None = None
    for at, result in ordered:
        trend.append(
            News2TrendPoint(
                at=at,
                aggregate=result.aggregate,
                complete=result.complete,
                band=result.band,
                change_from_first=result.aggregate - first,
                change_from_previous=None if previous is None else result.aggregate - previous,
            )
        )
        previous = result.aggregate
    latest = trend[-1].change_from_previous or 0
    direction: Direction = "rising" if latest > 0 else "falling" if latest < 0 else "stable"
    return News2Trend(
        points=tuple(trend),
        change_from_first=trend[-1].change_from_first,
        change_from_previous=latest,
        direction=direction,
    )
