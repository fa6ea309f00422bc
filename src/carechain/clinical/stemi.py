"""STEMI flag from a 12-lead ECG interpretation.

Rule: ST elevation in two or more contiguous leads (Fourth Universal Definition of Myocardial
Infarction, Thygesen et al. 2018; ESC STEMI guideline 2017), a new left bundle branch block
with suspected ischaemia (ESC 2017: treat as STEMI), or a clinician's interpretation that says
STEMI. Contiguous here means two leads in the same territory group below, or two neighbouring
chest leads across a group boundary (V2–V3, V4–V5), which face adjacent myocardium.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

from carechain.clinical._json import as_dict
from carechain.clinical.errors import ClinicalValueError

# Territory groups of contiguous leads (Thygesen et al. 2018, figure on lead groupings).
TERRITORIES: dict[str, tuple[str, ...]] = {
    "inferior": ("II", "III", "aVF"),
    "septal": ("V1", "V2"),
    "anterior": ("V3", "V4"),
    "lateral": ("I", "aVL", "V5", "V6"),
    "posterior": ("V7", "V8", "V9"),
}
# Neighbouring chest leads in different groups, which are still contiguous.
_BRIDGES: tuple[tuple[str, str], ...] = (("V2", "V3"), ("V4", "V5"))
# Leads that may be recorded but belong to no territory group in this rule.
_OTHER_LEADS: tuple[str, ...] = ("aVR", "V3R", "V4R")
_READING_ORDER: tuple[str, ...] = (
    *(lead for group in TERRITORIES.values() for lead in group),
    *_OTHER_LEADS,
)
_CANONICAL: dict[str, str] = {lead.upper(): lead for lead in _READING_ORDER}
_STEMI_WORDS = re.compile(
    r"\b(?:STEMI|ST[- ]?elevation (?:myocardial infarction|MI))\b", re.IGNORECASE
)
_NEGATED_BEFORE = re.compile(
    r"\b(?:no|not|non|without|negative for|rule out|ruled out|excluded?)[\s-]*$", re.IGNORECASE
)
_NEGATED_AFTER = re.compile(r"^\s*(?:excluded|ruled out|unlikely)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TwelveLead:
    """A 12-lead interpretation: leads with ST elevation, new LBBB, and free text."""

    st_elevation_leads: Set[str] = field(default_factory=frozenset)
    new_lbbb: bool = False
    interpretation: str = ""

    def __post_init__(self) -> None:
        """Normalise lead names (e.g. 'avf' → 'aVF'), refusing unknown leads."""
        leads = set()
        for lead in self.st_elevation_leads:
            canonical = _CANONICAL.get(str(lead).strip().upper())
            if canonical is None:
                raise ClinicalValueError("st_elevation_leads", f"unknown lead {lead!r}")
            leads.add(canonical)
        object.__setattr__(self, "st_elevation_leads", frozenset(leads))


@dataclass(frozen=True)
class StemiResult:
    """A STEMI flag with the territory and the reasons it was raised."""

    flagged: bool
    territories: tuple[str, ...]
    territory: str | None
    contiguous_leads: tuple[str, ...]
    new_lbbb: bool
    interpreted_as_stemi: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


def interpretation_says_stemi(text: str) -> bool:
    """Return whether free text calls the ECG a STEMI, ignoring negations like 'no STEMI'."""
    # A query ("?STEMI") counts: the flag prompts a call to the PPCI centre, who decide.
    for match in _STEMI_WORDS.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if not _NEGATED_BEFORE.search(before) and not _NEGATED_AFTER.match(after):
            return True
    return False


def contiguous_leads(leads: Set[str]) -> tuple[str, ...]:
    """Return the elevated leads that form at least one contiguous pair."""
    found: set[str] = set()
    for group in TERRITORIES.values():
        in_group = [lead for lead in group if lead in leads]
        if len(in_group) >= 2:
            found.update(in_group)
    for first, second in _BRIDGES:
        if first in leads and second in leads:
            found.update((first, second))
    return tuple(sorted(found, key=_READING_ORDER.index))


def flag_stemi(ecg: TwelveLead) -> StemiResult:
    """Flag a STEMI from ST elevation in contiguous leads, new LBBB, or the interpretation."""
    leads = contiguous_leads(ecg.st_elevation_leads)
    territories = tuple(
        name for name, group in TERRITORIES.items() if any(lead in leads for lead in group)
    )
    interpreted = interpretation_says_stemi(ecg.interpretation)
    reasons: list[str] = []
    if leads:
        reasons.append(f"ST elevation in contiguous leads {', '.join(leads)}")
    if ecg.new_lbbb:
        reasons.append("new left bundle branch block")
    if interpreted:
        reasons.append("interpreted as STEMI")
    return StemiResult(
        flagged=bool(reasons),
        territories=territories,
        territory=", ".join(territories) or None,
        contiguous_leads=leads,
        new_lbbb=ecg.new_lbbb,
        interpreted_as_stemi=interpreted,
        reasons=tuple(reasons),
    )
