"""BE-FAST stroke screen and the stroke pre-alert rule.

BE-FAST (Balance, Eyes, Face, Arm, Speech, Time) extends FAST (JRCALC stroke guideline) with
balance and eyes (Aroor et al., Stroke 2017). The treatment windows come from NICE NG128
(Stroke and TIA in over 16s, 2019, updated 2022) and NICE TA264 (alteplase):

- thrombolysis: within 4.5 h of onset;
- thrombectomy: within 6 h of onset, and from 6 h up to 24 h after last known well when
  imaging shows salvageable brain.

Rule chosen here: a positive BE-FAST is a stroke pre-alert when last known well is at most
24 h before the assessment (the longest window in NG128), with flags for the 4.5 h and 6 h
windows. When last known well is unknown the pre-alert still fires, flagged `onset_known=False`:
an unknown onset cannot be shown to be outside the 24 h window (wake-up strokes may still be
treated after imaging), so the receiving stroke unit decides, told that onset is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from carechain.clinical._json import as_dict
from carechain.clinical.errors import ClinicalValueError

SIGNS: tuple[str, ...] = ("balance", "eyes", "face", "arm", "speech")
THROMBOLYSIS_WINDOW = timedelta(hours=4, minutes=30)  # NICE TA264 / NG128: alteplase ≤4.5 h
THROMBECTOMY_WINDOW = timedelta(hours=6)  # NICE NG128: thrombectomy within 6 h of onset
PRE_ALERT_WINDOW = timedelta(hours=24)  # NICE NG128: thrombectomy up to 24 h after last well


@dataclass(frozen=True)
class BeFastInput:
    """A BE-FAST assessment: each sign True (abnormal), False (normal) or None (not tested)."""

    assessed_at: datetime
    balance: bool | None = None
    eyes: bool | None = None
    face: bool | None = None
    arm: bool | None = None
    speech: bool | None = None
    last_known_well: datetime | None = None

    def __post_init__(self) -> None:
        """Refuse sign values other than True, False or None."""
        for name in SIGNS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise ClinicalValueError(name, "must be true, false or not tested")


@dataclass(frozen=True)
class BeFastResult:
    """A BE-FAST result with the time since last known well and the pre-alert decision."""

    positive: bool
    positive_signs: tuple[str, ...]
    unknown_signs: tuple[str, ...]
    complete: bool
    onset_known: bool
    minutes_since_last_known_well: int | None
    thrombolysis_window: bool | None
    thrombectomy_window: bool | None
    within_pre_alert_window: bool | None
    pre_alert: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


def format_minutes(minutes: int) -> str:
    """Return a duration such as '1 h 20 min', '45 min' or '3 h'."""
    hours, mins = divmod(minutes, 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h" if not mins else f"{hours} h {mins} min"


def _elapsed(inp: BeFastInput) -> timedelta | None:
    """Return the time from last known well to assessment, refusing impossible times."""
    if inp.last_known_well is None:
        return None
    try:
        elapsed = inp.assessed_at - inp.last_known_well
    except TypeError:
        raise ClinicalValueError(
            "last_known_well", "must have a time zone if assessed_at has one, and not otherwise"
        ) from None
    if elapsed < timedelta(0):
        raise ClinicalValueError("last_known_well", "must not be after assessed_at")
    return elapsed


def _reason(positive: bool, elapsed: timedelta | None, pre_alert: bool) -> str:
    """Explain the pre-alert decision in one sentence."""
    if not positive:
        return "no BE-FAST sign positive"
    if elapsed is None:
        return "last known well not recorded: pre-alert and tell the stroke unit onset is unknown"
    since = f"last known well {format_minutes(int(elapsed.total_seconds() // 60))} ago"
    if not pre_alert:
        return f"{since}: outside the 24 h treatment window"
    if elapsed <= THROMBOLYSIS_WINDOW:
        return f"{since}: within the 4.5 h thrombolysis window"
    if elapsed <= THROMBECTOMY_WINDOW:
        return f"{since}: within the 6 h thrombectomy window"
    return f"{since}: within 24 h, thrombectomy possible after imaging"


def assess_befast(inp: BeFastInput) -> BeFastResult:
    """Assess BE-FAST and decide whether it is a stroke pre-alert."""
    values = {name: getattr(inp, name) for name in SIGNS}
    positive_signs = tuple(name for name in SIGNS if values[name] is True)
    unknown_signs = tuple(name for name in SIGNS if values[name] is None)
    positive = bool(positive_signs)
    elapsed = _elapsed(inp)
    within = None if elapsed is None else elapsed <= PRE_ALERT_WINDOW
    pre_alert = positive and within is not False
    return BeFastResult(
        positive=positive,
        positive_signs=positive_signs,
        unknown_signs=unknown_signs,
        complete=not unknown_signs,
        onset_known=elapsed is not None,
        minutes_since_last_known_well=(
            None if elapsed is None else int(elapsed.total_seconds() // 60)
        ),
        thrombolysis_window=None if elapsed is None else elapsed <= THROMBOLYSIS_WINDOW,
        thrombectomy_window=None if elapsed is None else elapsed <= THROMBECTOMY_WINDOW,
        within_pre_alert_window=within,
        pre_alert=pre_alert,
        reason=_reason(positive, elapsed, pre_alert),
    )
