"""The newborn's Apgar score and the classification of a postpartum blood loss.

- **Apgar score.** Apgar V. A proposal for a new method of evaluation of the newborn
  infant. Curr Res Anesth Analg 1953;32(4):260–267: five signs, each scored 0, 1 or 2 —
  heart rate, respiratory effort, reflex irritability, muscle tone and colour — added to
  a total of 0–10, at 1 minute and 5 minutes after birth. The reading of the total is the
  American Academy of Pediatrics and American College of Obstetricians and Gynecologists'
  statement "The Apgar Score" (Pediatrics 2015;136(4):819–822): 7–10 reassuring, 4–6
  moderately abnormal, 0–3 low; while the 5-minute score is below 7, score again every
  5 minutes up to 20 minutes.
- **Postpartum haemorrhage.** RCOG Green-top Guideline No. 52, Prevention and management
  of postpartum haemorrhage (Mavrides et al., BJOG 2016): primary PPH is a loss of 500 ml
  or more within 24 hours of the birth; minor 500–1000 ml, major more than 1000 ml
  (moderate 1000–2000 ml, severe more than 2000 ml; 1000 ml itself is minor, since major
  is more than 1000).

No maternity early warning score is computed here: the thresholds of the national MEWS
could not be obtained from a published source this project can cite (docs/clinical.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from carechain.clinical._json import as_dict
from carechain.clinical._validate import check_int
from carechain.clinical.errors import ClinicalValueError

__all__ = [
    "APGAR_SIGNS",
    "ApgarResult",
    "PphClass",
    "classify_postpartum_loss",
    "score_apgar",
]

ApgarBand = Literal["reassuring", "moderately-abnormal", "low"]
PphClass = Literal["none", "minor", "moderate", "severe"]

# The five signs in Apgar's order (the acronym's letters), with what scores 0, 1 and 2.
APGAR_SIGNS: tuple[tuple[str, str, tuple[str, str, str]], ...] = (
    ("appearance", "Colour", ("blue or pale all over", "body pink, hands and feet blue",
                              "pink all over")),
    ("pulse", "Heart rate", ("absent", "below 100 a minute", "100 a minute or more")),
    ("grimace", "Reflex irritability", ("no response", "grimace",
                                        "cry, cough or sneeze")),
    ("activity", "Muscle tone", ("limp", "some flexion of the limbs", "active movement")),
    ("respiration", "Respiratory effort", ("absent", "slow or irregular, weak cry",
                                           "good, crying")),
)  # fmt: skip
APGAR_MINUTES = (1, 5, 10, 15, 20)


@dataclass(frozen=True)
class ApgarResult:
    """An Apgar score at one minute after birth: the total, its band, the signs."""

    minute: int
    total: int
    band: ApgarBand
    signs: dict[str, int]
    rescore: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


def _band(total: int) -> ApgarBand:
    # AAP/ACOG 2015: 7–10 reassuring, 4–6 moderately abnormal, 0–3 low.
    if total >= 7:
        return "reassuring"
    return "moderately-abnormal" if total >= 4 else "low"


def score_apgar(minute: int, signs: Mapping[str, object]) -> ApgarResult:
    """Score one Apgar assessment: each of the five signs 0–2.

    `rescore` says the next 5-minute score is due: a score below 7 at 5 minutes or later,
    before 20 minutes (AAP/ACOG 2015). Raises ClinicalValueError naming a missing or
    out-of-range sign, or a minute Apgar scoring does not use.
    """
    if isinstance(minute, bool) or minute not in APGAR_MINUTES:
        raise ClinicalValueError("minute", "must be one of 1, 5, 10, 15, 20")
    found: dict[str, int] = {}
    for name, _, _ in APGAR_SIGNS:
        value = signs.get(name)
        if value is None:
            raise ClinicalValueError(name, "is required: every sign is scored")
        check_int(name, value, 0, 2)
        assert isinstance(value, int)  # check_int refuses anything else
        found[name] = value
    total = sum(found.values())
    return ApgarResult(minute, total, _band(total), found, 5 <= minute < 20 and total < 7)


def classify_postpartum_loss(estimated_ml: int) -> PphClass:
    """Return the RCOG (GTG 52, 2016) class of a loss after the birth."""
    check_int("estimated_ml", estimated_ml, 0, 100_000)
    if estimated_ml < 500:
        return "none"
    if estimated_ml <= 1000:
        return "minor"
    return "moderate" if estimated_ml <= 2000 else "severe"
