"""A month's report: the records whose call was received in the month, against every
indicator, with the records that miss and why.

A record belongs to the month its `incident.call_received` falls in, in UK local time (a
trust's month); a record without a call time belongs to no month and is counted apart
(`undated`), never dropped unseen (docs/hazard-log.md H-060). Time indicators give the mean
and the 90th centile by the nearest-rank method (the smallest value with at least 90% of
the values at or below it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carechain.errors import FieldInvalid
from carechain.quality.definitions import INDICATORS, Indicator
from carechain.quality.evaluate import Finding, evaluate

__all__ = [
    "Judged",
    "Report",
    "Result",
    "build_report",
    "centile",
    "check_month",
    "judge",
    "last_month",
    "month_of",
    "report_of",
]

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def check_month(value: str) -> str:
    """Return `value` if it is a month written YYYY-MM, else raise FieldInvalid."""
    if not _MONTH.fullmatch(value.strip()):
        raise FieldInvalid("month", "must be a month written YYYY-MM, e.g. 2026-11")
    return value.strip()


def _zone() -> tzinfo:
    try:
        return ZoneInfo("Europe/London")
    except (ZoneInfoNotFoundError, ValueError):  # no time zone database: months in UTC
        return UTC


def month_of(state: Mapping[str, Any]) -> str | None:
    """Return the month (YYYY-MM, UK local time) of the record's call, or None."""
    incident = state.get("sections", {}).get("incident", {})
    try:
        call = datetime.fromisoformat(str(incident.get("call_received") or ""))
    except ValueError:
        return None
    if call.tzinfo is None:
        return None
    return call.astimezone(_zone()).strftime("%Y-%m")


def last_month(now_ms: int) -> str:
    """Return the last whole month before the one `now_ms` falls in (UK time), YYYY-MM."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(_zone())
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def centile(values: Iterable[float], percent: int) -> float | None:
    """Return the nearest-rank centile of `values`, or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Result:
    """One indicator over one month."""

    indicator: Indicator
    findings: tuple[Finding, ...] = ()

    @property
    def computable(self) -> bool:
        """Return whether the record supports this indicator."""
        return self.indicator.kind != "not-computable"

    @property
    def denominator(self) -> int:
        """Return how many records the indicator counts."""
        return len(self.findings)

    @property
    def numerator(self) -> int:
        """Return how many met it (for a time indicator: how many have both times)."""
        return sum(1 for f in self.findings if f.met)

    @property
    def percent(self) -> float | None:
        """Return the numerator as a percentage of the denominator, or None without one."""
        if self.indicator.kind != "proportion" or not self.findings:
            return None
        return 100 * self.numerator / self.denominator

    @property
    def minutes(self) -> list[float]:
        """Return the measured minutes of a time indicator."""
        return [f.minutes for f in self.findings if f.minutes is not None]

    @property
    def mean(self) -> float | None:
        """Return the mean of the minutes, or None."""
        values = self.minutes
        return sum(values) / len(values) if values else None

    @property
    def centile90(self) -> float | None:
        """Return the 90th centile of the minutes, or None."""
        return centile(self.minutes, 90)

    @property
    def misses(self) -> list[Finding]:
        """Return the counted records that missed, in record order."""
        return sorted((f for f in self.findings if not f.met), key=lambda f: f.record)


@dataclass(frozen=True)
class Report:
    """Every indicator over one month, and the records that could not be placed in one."""

    month: str
    records: int
    undated: tuple[str, ...]
    results: tuple[Result, ...]
    unreadable: tuple[str, ...] = ()  # records the node holds but could not fold

    def result(self, indicator: str) -> Result:
        """Return the result of one indicator."""
        for found in self.results:
            if found.indicator.id == indicator:
                return found
        raise KeyError(indicator)


@dataclass(frozen=True)
class Judged:
    """What a month's report needs of one record: its month and its findings (small, so a
    caller may keep it while the record is unchanged instead of folding it again)."""

    record: str
    month: str | None
    findings: tuple[Finding, ...]


def judge(state: Mapping[str, Any]) -> Judged:
    """Return a folded record's month and its findings against every indicator."""
    return Judged(str(state.get("record_id", "")), month_of(state), tuple(evaluate(state)))


def report_of(month: str, judged: Iterable[Judged], *, unreadable: Iterable[str] = ()) -> Report:
    """Return the month's report over judged records (others' months ignored);
    `unreadable` names records that could not be folded, shown so none is lost unseen."""
    month = check_month(month)
    per: dict[str, list[Finding]] = {i.id: [] for i in INDICATORS}
    records = 0
    undated: list[str] = []
    for one in judged:
        if one.month is None:
            undated.append(one.record)
            continue
        if one.month != month:
            continue
        records += 1
        for finding in one.findings:
            per[finding.indicator].append(finding)
    results = tuple(Result(i, tuple(sorted(per[i.id], key=lambda f: f.record)))
                    for i in INDICATORS)
    return Report(month, records, tuple(sorted(undated)), results, tuple(sorted(unreadable)))


def build_report(month: str, states: Iterable[Mapping[str, Any]], *,
                 unreadable: Iterable[str] = ()) -> Report:
    """Return the month's report over the given record states (others' months ignored)."""
    return report_of(month, (judge(s) for s in states), unreadable=unreadable)
