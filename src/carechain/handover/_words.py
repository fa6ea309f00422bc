"""How a handover says things: times, durations, quantities, age and sex, coded values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from carechain.handover._read import number, text, time

# Coded values read aloud; anything not listed reads as its code with hyphens as spaces.
_SAY: dict[str, str] = {
    # ECG rhythms
    "atrial-fibrillation": "AF",
    "atrial-flutter": "atrial flutter",
    "svt": "SVT",
    "vt": "VT",
    "vf": "VF",
    "pea": "PEA",
    "second-degree-heart-block-type-1": "second-degree heart block (Mobitz I)",
    "second-degree-heart-block-type-2": "second-degree heart block (Mobitz II)",
    "first-degree-heart-block": "first-degree heart block",
    "third-degree-heart-block": "complete heart block",
    "paced": "paced rhythm",
    "junctional": "junctional rhythm",
    # oxygen devices
    "venturi-24": "24% venturi",
    "venturi-28": "28% venturi",
    "venturi-35": "35% venturi",
    "venturi-40": "40% venturi",
    "venturi-60": "60% venturi",
    "non-rebreather": "non-rebreather mask",
    # procedures
    "airway-opa": "OPA",
    "airway-npa": "NPA",
    "airway-igel": "i-gel",
    "airway-ett": "ETT",
    "cannulation-iv": "IV cannulation",
    "cannulation-io": "IO access",
    "cpr": "CPR",
    # pre-alert categories
    "stemi": "STEMI",
}


def say(code: object) -> str | None:
    """Return a coded value as a crew says it."""
    word = text(code)
    if word is None:
        return None
    return _SAY.get(word, word.replace("-", " "))


def quantity(value: object) -> str | None:
    """Return a number without a trailing .0: 300.0 → '300', 0.5 → '0.5'."""
    n = number(value)
    if n is None:
        return None
    return f"{n:g}" if isinstance(n, float) else str(n)


def clock(value: object, now: datetime) -> str | None:
    """Return a time as HH:MM in now's time zone, with the date (and year) when not today."""
    when = time(value)
    if when is None:
        return None
    try:
        local = when.astimezone(now.tzinfo)
    except OverflowError:  # a date at the edge of the calendar: show it as written
        local = when
    if local.year != now.year:
        return local.strftime("%d %b %Y %H:%M")
    if local.date() != now.date():
        return local.strftime("%d %b %H:%M")
    return local.strftime("%H:%M")


def duration(minutes: int) -> str:
    """Return minutes as '45 min', '2 h' or '1 h 20 min'."""
    hours, mins = divmod(minutes, 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h" if not mins else f"{hours} h {mins} min"


def relative(value: object, now: datetime) -> str | None:
    """Return '52 min ago' or 'in 12 min' for a time relative to now."""
    when = time(value)
    if when is None:
        return None
    seconds = (now - when).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes == 0:
        return "now"
    return f"{duration(minutes)} ago" if seconds > 0 else f"in {duration(minutes)}"


def clock_and_relative(value: object, now: datetime) -> str | None:
    """Return '14:32 (52 min ago)'."""
    shown = clock(value, now)
    if shown is None:
        return None
    return f"{shown} ({relative(value, now)})"


def age(patient: Mapping[str, Any], now: datetime) -> str | None:
    """Return age from the date of birth at `now`, else the estimate: '67', '8 months'."""
    born = _date(patient.get("date_of_birth"))
    today = now.date()
    if born is not None and born <= today:
        months = (today.year - born.year) * 12 + today.month - born.month
        if today.day < born.day:
            months -= 1
        if months >= 24:
            return str(months // 12)
        if months >= 1:
            return f"{months} month" + ("s" if months > 1 else "")
        days = (today - born).days
        return f"{days} day" + ("s" if days != 1 else "")
    estimated = number(patient.get("estimated_age_years"))
    if estimated is not None:
        return f"approx. {quantity(estimated)}"
    return None


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_SEX = {"male": "M", "female": "F"}


def age_sex(patient: Mapping[str, Any], now: datetime) -> str | None:
    """Return '24 M', 'approx. 40 F', '67, sex unknown', or None when neither is known."""
    years = age(patient, now)
    sex = text(patient.get("sex"))
    if years is None and sex is None:
        return None
    letter = _SEX.get(sex or "")
    if years is not None and letter is not None:
        out = f"{years} {letter}"
    else:
        out = ", ".join(
            (
                years or "age not recorded",
                letter or (f"sex {sex}" if sex else "sex not recorded"),
            )
        )
    if patient.get("pregnant") is True:
        out += ", pregnant"
    return out
