"""The National Paediatric Early Warning Score (PEWS) for England, for children under 16.

Scored from the NHS England / RCPCH / RCN SPOT National PEWS chart for the child's age
band (`_pews_chart`, with its source). Seven parameters add to the total: respiratory
rate, respiratory distress, SpO2, oxygen support, heart rate, systolic blood pressure and
capillary refill time. AVPU and temperature are recorded but not added (as on the chart):
a child responding only to voice raises the escalation level to high, to pain or
unresponsive to emergency; 38.0 °C or more, or under 36.0 °C, says "think sepsis".

NEWS2 is not validated under 16 (RCP 2017), so the record scores PEWS instead for a child
whose age is known; from 16 it scores NEWS2 (JRCALC uses NEWS2 from 16).

The chart is a hospital chart. The national charts were written for children in hospital;
an ambulance crew uses the same bands and escalation levels as decision support, and the
response wording here is the chart's minimum observation frequency and review time, not
the ward's call-out instructions.

Over time each parameter is scored from its latest value measured within the window, as
the headline NEWS2 is (`news2_series`): a set that did not measure a parameter never
lowers the score, and a value older than the window is stale and named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from carechain.clinical import _pews_chart as chart
from carechain.clinical._json import as_dict, to_json
from carechain.clinical._validate import as_decimal, check_int
from carechain.clinical.errors import ClinicalValueError

__all__ = [
    "PEWS_PARAMETERS",
    "PEWS_UPPER_AGE_YEARS",
    "PEWS_WINDOW_MINUTES",
    "PewsInput",
    "PewsResult",
    "PewsSet",
    "pews_age_band",
    "pews_applies",
    "pews_series",
    "score_pews",
]

Level = chart.Level
Distress = Literal["none", "mild", "moderate", "severe"]

PEWS_WINDOW_MINUTES = 60
# PEWS is scored below this age, NEWS2 from it (RCP NEWS2 2017: not validated under 16).
PEWS_UPPER_AGE_YEARS = 16
# The scored parameters in chart order, and the two recorded beside them.
PEWS_PARAMETERS: tuple[str, ...] = (
    "resp_rate",
    "respiratory_distress",
    "spo2",
    "oxygen",
    "pulse",
    "systolic",
    "capillary_refill",
)
_UNSCORED = ("consciousness", "temperature")
_OBSERVED = (*PEWS_PARAMETERS, *_UNSCORED)
# Venturi valves deliver a stated inspired oxygen; the other devices are scored by flow.
_VENTURI_PERCENT = {"venturi-24": 24, "venturi-28": 28, "venturi-35": 35, "venturi-40": 40,
                    "venturi-60": 60}  # fmt: skip
_LIMITS = {"resp_rate": (0, 80), "spo2": (0, 100), "pulse": (0, 300), "systolic": (0, 300),
           "capillary_refill_s": (0, 10)}  # fmt: skip


def pews_applies(age_years: int | None) -> bool:
    """Say whether the record scores PEWS (a known age under 16) rather than NEWS2."""
    return age_years is not None and 0 <= age_years < PEWS_UPPER_AGE_YEARS


def pews_age_band(age_years: int) -> dict[str, str]:
    """Return the chart a child of this age is scored on: its id and its label."""
    check_int("age_years", age_years, 0, PEWS_UPPER_AGE_YEARS - 1)
    band = chart.age_band(age_years)
    return {"age_band": band, "age_band_label": chart.AGE_BAND_LABELS[band]}


@dataclass(frozen=True)
class PewsInput:
    """One set of a child's observations; None means not recorded."""

    resp_rate: int | None = None
    respiratory_distress: Distress | None = None
    spo2: int | None = None
    on_oxygen: bool | None = None
    oxygen_flow_l_min: Decimal | float | None = None
    oxygen_device: str | None = None
    pulse: int | None = None
    systolic: int | None = None
    capillary_refill_s: int | None = None
    consciousness: str | None = None
    temperature: Decimal | float | None = None

    def __post_init__(self) -> None:
        """Refuse values that cannot be observations."""
        for name, (low, high) in _LIMITS.items():
            check_int(name, getattr(self, name), low, high)
        if (
            self.respiratory_distress is not None
            and self.respiratory_distress not in chart.RESPIRATORY_DISTRESS
        ):
            raise ClinicalValueError(
                "respiratory_distress", "must be one of none, mild, moderate, severe"
            )
        if self.consciousness is not None and self.consciousness not in "ACVPU":
            raise ClinicalValueError("consciousness", "must be one of A, C, V, P, U (ACVPU)")
        for name in ("oxygen_flow_l_min", "temperature"):
            value = getattr(self, name)
            if value is not None and as_decimal(value) is None:
                raise ClinicalValueError(name, "must be a finite number")


@dataclass(frozen=True)
class PewsResult:
    """A PEWS total with its parts; the level is a floor when `complete` is False."""

    age_band: str
    age_band_label: str
    components: Mapping[str, int] = field(hash=False)
    missing: tuple[str, ...]
    complete: bool
    aggregate: int
    score_level: Level
    band: Level  # the escalation level: the higher of the total's and any trigger's
    response: str
    triggers: tuple[str, ...]
    think_sepsis: bool
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


@dataclass(frozen=True)
class PewsSet:
    """One observation set: when it was taken, what it measured, and its reference."""

    at: datetime
    values: PewsInput
    ref: str = ""


def _oxygen_score(inp: PewsInput) -> int | None:
    """Score oxygen support: air 0; else the higher of its flow and its stated percent."""
    if inp.on_oxygen is None:
        return None
    if not inp.on_oxygen:
        return 0
    scores: list[int] = []
    flow = as_decimal(inp.oxygen_flow_l_min)
    if flow is not None:
        scores.append(next(s for floor, s in chart.OXYGEN_FLOW_L_MIN if flow >= Decimal(floor)))
    percent = _VENTURI_PERCENT.get(inp.oxygen_device or "")
    if percent is not None:
        scores.append(next(s for floor, s in chart.OXYGEN_PERCENT if percent >= floor))
    return max(scores) if scores else None


def component_scores(inp: PewsInput, band: chart.AgeBand) -> dict[str, int | None]:
    """Score each parameter of one set on the chart for `band`; None when not recorded."""
    crt = inp.capillary_refill_s
    return {
        "resp_rate": None
        if inp.resp_rate is None
        else chart.band_score(chart.RESP_RATE[band], inp.resp_rate),
        "respiratory_distress": None
        if inp.respiratory_distress is None
        else chart.RESPIRATORY_DISTRESS[inp.respiratory_distress],
        "spo2": None if inp.spo2 is None else chart.band_score(chart.SPO2, inp.spo2),
        "oxygen": _oxygen_score(inp),
        "pulse": None if inp.pulse is None else chart.band_score(chart.HEART_RATE[band], inp.pulse),
        "systolic": None
        if inp.systolic is None
        else chart.band_score(chart.SYSTOLIC[band], inp.systolic),
        "capillary_refill": None
        if crt is None
        else chart.CRT_SCORE if crt >= chart.CRT_PROLONGED_S else 0,
    }


def _level(aggregate: int) -> Level:
    """Return the chart's escalation level for a total."""
    return next(level for floor, level in chart.ESCALATION if aggregate >= floor)


def result_from_scores(
    scores: Mapping[str, int | None],
    band: chart.AgeBand,
    *,
    consciousness: str | None = None,
    temperature: Decimal | float | None = None,
    oxygen_unscored: bool = False,
) -> PewsResult:
    """Return the PEWS result of per-parameter scores and the two unscored observations."""
    components = {name: s for name in PEWS_PARAMETERS if (s := scores.get(name)) is not None}
    missing = tuple(name for name in PEWS_PARAMETERS if scores.get(name) is None)
    aggregate = sum(components.values())
    score_level = _level(aggregate)
    triggers: list[str] = []
    level = score_level
    trigger = chart.AVPU_TRIGGER.get(consciousness or "")
    if trigger is not None:
        triggers.append(f"AVPU {consciousness}: {trigger} concern")
        level = max(level, trigger, key=chart.LEVELS.index)
    notes: list[str] = []
    if consciousness == "C":
        notes.append("new confusion is not on the PEWS chart: escalate on clinical concern")
    degrees = as_decimal(temperature)
    think_sepsis = degrees is not None and not (
        Decimal(str(chart.THINK_SEPSIS_LOW)) <= degrees < Decimal(str(chart.THINK_SEPSIS_HIGH))
    )
    if think_sepsis:
        notes.append("temperature 38.0 °C or more, or under 36.0 °C: think sepsis")
    if oxygen_unscored:
        notes.append("oxygen given without a flow or a venturi percentage: record the flow")
    if missing:
        notes.append("incomplete: the total and level are a minimum")
    return PewsResult(
        age_band=band,
        age_band_label=chart.AGE_BAND_LABELS[band],
        components=MappingProxyType(components),
        missing=missing,
        complete=not missing,
        aggregate=aggregate,
        score_level=score_level,
        band=level,
        response=chart.RESPONSE[level],
        triggers=tuple(triggers),
        think_sepsis=think_sepsis,
        notes=tuple(notes),
    )


def score_pews(inp: PewsInput, *, age_years: int) -> PewsResult:
    """Score one set of observations on the National PEWS chart for the child's age."""
    check_int("age_years", age_years, 0, PEWS_UPPER_AGE_YEARS - 1)
    band = chart.age_band(age_years)
    scores = component_scores(inp, band)
    return result_from_scores(
        scores,
        band,
        consciousness=inp.consciousness,
        temperature=inp.temperature,
        oxygen_unscored=inp.on_oxygen is True and scores["oxygen"] is None,
    )


def _recorded(name: str, values: PewsInput) -> int | float | str | None:
    """Return a parameter's value as the set recorded it."""
    value: Any
    if name == "oxygen":
        if values.on_oxygen is None:
            return None
        if not values.on_oxygen:
            return "air"
        flow = values.oxygen_flow_l_min
        device = values.oxygen_device
        parts = [f"{to_json(as_decimal(flow))} L/min" if flow is not None else None, device]
        return " ".join(p for p in parts if p) or "oxygen"
    if name == "capillary_refill":
        value = values.capillary_refill_s
    elif name == "temperature":
        value = to_json(as_decimal(values.temperature))
    else:
        value = getattr(values, name)
    return value  # type: ignore[no-any-return]


def _expected(name: str, band: chart.AgeBand) -> str | None:
    """Return the chart's white band for a parameter at this age, as text."""
    tables = {"resp_rate": chart.RESP_RATE[band], "pulse": chart.HEART_RATE[band],
              "systolic": chart.SYSTOLIC[band], "spo2": chart.SPO2}  # fmt: skip
    if name not in tables:
        return None
    low, high = chart.expected_range(tables[name])
    return f"{low}–{high}" if high is not None else f"{low} or more"


@dataclass(frozen=True)
class _Seen:
    at: datetime
    ref: str
    values: PewsInput
    scores: Mapping[str, int | None]


def _moment(
    latest: Mapping[str, _Seen], at: datetime, window: timedelta, band: chart.AgeBand
) -> dict[str, Any]:
    """Return the PEWS at `at` from each parameter's latest value within the window."""
    current = {name: seen for name, seen in latest.items() if seen.at >= at - window}
    scores = {name: current[name].scores.get(name) for name in PEWS_PARAMETERS if name in current}
    avpu, temp = current.get("consciousness"), current.get("temperature")
    result = result_from_scores(
        scores,
        band,
        consciousness=None if avpu is None else avpu.values.consciousness,
        temperature=None if temp is None else temp.values.temperature,
        oxygen_unscored="oxygen" in current and scores.get("oxygen") is None,
    )
    parameters: dict[str, Any] = {}
    for name in _OBSERVED:
        seen = current.get(name)
        if seen is None:
            continue
        parameters[name] = {
            "value": _recorded(name, seen.values),
            "score": scores.get(name),
            "taken_at": seen.at.isoformat(timespec="seconds"),
            "entry": seen.ref,
            "expected": _expected(name, band),
        }
    out = result.to_dict()
    out.update(
        parameters=parameters,
        stale=[name for name in _OBSERVED if name in latest and name not in current],
        taken_at=at.isoformat(timespec="seconds"),
    )  # fmt: skip
    return out


def pews_series(
    sets: Sequence[PewsSet], *, age_years: int, window_minutes: int = PEWS_WINDOW_MINUTES
) -> dict[str, Any] | None:
    """Return the headline PEWS (as JSON) with each parameter carried forward in the window.

    Adds `trend` (the total and level at every set that measured a PEWS observation),
    `window_minutes` and `last_complete_at`. None when no set measured any.
    """
    check_int("age_years", age_years, 0, PEWS_UPPER_AGE_YEARS - 1)
    band = chart.age_band(age_years)
    window = timedelta(minutes=window_minutes)
    ordered = sorted(enumerate(sets), key=lambda pair: (pair[1].at.replace(microsecond=0), pair[0]))
    latest: dict[str, _Seen] = {}
    trend: list[dict[str, Any]] = []
    final: dict[str, Any] | None = None
    last_complete: str | None = None
    for _, one in ordered:
        measured = [n for n in _OBSERVED if _recorded(n, one.values) is not None]
        if not measured:
            continue
        at = one.at.replace(microsecond=0)
        scores = MappingProxyType(component_scores(one.values, band))
        for name in measured:
            latest[name] = _Seen(at, one.ref, one.values, scores)
        final = _moment(latest, at, window, band)
        trend.append({"at": final["taken_at"], "aggregate": final["aggregate"],
                      "band": final["band"], "complete": final["complete"]})  # fmt: skip
        if final["complete"]:
            last_complete = final["taken_at"]
    if final is None:
        return None
    final.update(trend=trend, window_minutes=window_minutes, last_complete_at=last_complete)
    return final
