"""Prehospital sepsis screen: suspected infection with NEWS2 ≥5 or qSOFA ≥2.

Sources: RCP NEWS2 2017, which asks clinicians to think sepsis when a patient with known or
suspected infection scores 5 or more (also the NEWS2 threshold NICE NG51 uses for moderate to
high risk in over-16s), and Sepsis-3 qSOFA ≥2 (Singer et al., JAMA 2016). The screen here is:
infection suspected AND (NEWS2 ≥5 OR qSOFA ≥2), as written up in docs/clinical.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.clinical._json import as_dict
from carechain.clinical.news2 import News2Result
from carechain.clinical.qsofa import QsofaResult

NEWS2_THRESHOLD = 5  # RCP NEWS2 2017: aggregate 5 or more prompts the sepsis question.
QSOFA_THRESHOLD = 2  # Sepsis-3: qSOFA of 2 or more is positive.


@dataclass(frozen=True)
class SepsisScreen:
    """A sepsis screen; each trigger is True, False, or None when it could not be decided."""

    positive: bool
    suspected_infection: bool | None
    news2_aggregate: int | None
    news2_trigger: bool | None
    qsofa_score: int | None
    qsofa_trigger: bool | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the screen as plain JSON types."""
        return as_dict(self)


def _news2_trigger(news2: News2Result | None, reasons: list[str]) -> bool | None:
    """Decide the NEWS2 arm, adding the reason to `reasons`."""
    if news2 is None:
        reasons.append("NEWS2 not scored")
        return None
    label = f"NEWS2 {news2.aggregate}" + ("" if news2.complete else " (incomplete)")
    if not news2.applicable:
        reasons.append(f"NEWS2 not validated: {news2.not_validated_reason}")
    # An incomplete aggregate is a minimum, so ≥5 already triggers; below 5 it cannot rule out.
    if news2.aggregate >= NEWS2_THRESHOLD:
        reasons.append(f"{label} ≥{NEWS2_THRESHOLD}")
        return True
    if not news2.complete:
        reasons.append(f"{label} could still reach {NEWS2_THRESHOLD}")
        return None
    reasons.append(f"{label} <{NEWS2_THRESHOLD}")
    return False


def _qsofa_trigger(qsofa: QsofaResult | None, reasons: list[str]) -> bool | None:
    """Decide the qSOFA arm, adding the reason to `reasons`."""
    if qsofa is None:
        reasons.append("qSOFA not scored")
        return None
    if qsofa.positive:
        reasons.append(f"qSOFA {qsofa.score} ≥{QSOFA_THRESHOLD} ({qsofa.describe_met()})")
        return True
    if qsofa.could_be_positive:
        reasons.append(f"qSOFA {qsofa.score} with {', '.join(qsofa.unknown)} not assessed")
        return None
    reasons.append(f"qSOFA {qsofa.score} <{QSOFA_THRESHOLD}")
    return False


def screen_sepsis(
    *,
    suspected_infection: bool | None,
    news2: News2Result | None = None,
    qsofa: QsofaResult | None = None,
) -> SepsisScreen:
    """Screen for sepsis: positive when infection is suspected and NEWS2 or qSOFA triggers."""
    reasons: list[str] = []
    if suspected_infection is True:
        reasons.append("infection suspected")
    elif suspected_infection is False:
        reasons.append("infection not suspected")
    else:
        reasons.append("infection not assessed")
    news2_trigger = _news2_trigger(news2, reasons)
    qsofa_trigger = _qsofa_trigger(qsofa, reasons)
    positive = suspected_infection is True and (news2_trigger is True or qsofa_trigger is True)
    return SepsisScreen(
        positive=positive,
        suspected_infection=suspected_infection,
        news2_aggregate=None if news2 is None else news2.aggregate,
        news2_trigger=news2_trigger,
        qsofa_score=None if qsofa is None else qsofa.score,
        qsofa_trigger=qsofa_trigger,
        reasons=tuple(reasons),
    )
