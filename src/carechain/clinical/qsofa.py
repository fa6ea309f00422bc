"""qSOFA, the quick Sequential Organ Failure Assessment (Sepsis-3, Singer et al. JAMA 2016)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.clinical._json import as_dict
from carechain.clinical._validate import check_int

# The three Sepsis-3 qSOFA criteria, in the order they are reported.
CRITERIA: tuple[str, ...] = ("resp_rate", "systolic", "altered_mentation")
_LABELS = {
    "resp_rate": "respiratory rate ≥22/min",
    "systolic": "systolic BP ≤100 mmHg",
    "altered_mentation": "altered mentation",
}


@dataclass(frozen=True)
class QsofaResult:
    """A qSOFA score: which criteria were met, not met, or could not be assessed."""

    score: int
    positive: bool
    met: tuple[str, ...]
    not_met: tuple[str, ...]
    unknown: tuple[str, ...]
    complete: bool

    @property
    def could_be_positive(self) -> bool:
        """Return whether the unknown criteria could still make the score positive."""
        return self.score + len(self.unknown) >= 2

    def describe_met(self) -> str:
        """Return the met criteria as words, e.g. 'respiratory rate ≥22/min'."""
        return ", ".join(_LABELS[name] for name in self.met)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return as_dict(self)


def score_qsofa(
    resp_rate: int | None,
    systolic: int | None,
    gcs_total: int | None = None,
    altered_mentation: bool | None = None,
) -> QsofaResult:
    """Score qSOFA: one point each for RR ≥22, SBP ≤100 and altered mentation; ≥2 positive."""
    check_int("resp_rate", resp_rate, 0, 80)
    check_int("systolic", systolic, 0, 300)
    check_int("gcs_total", gcs_total, 3, 15)
    mentation: bool | None
    # Sepsis-3: altered mentation is GCS <15; a clinician's statement of altered mentation
    # also counts, and either source saying "altered" wins over the other saying "normal".
    if altered_mentation or (gcs_total is not None and gcs_total < 15):
        mentation = True
    elif altered_mentation is False or gcs_total == 15:
        mentation = False
    else:
        mentation = None
    values: dict[str, bool | None] = {
        "resp_rate": None if resp_rate is None else resp_rate >= 22,
        "systolic": None if systolic is None else systolic <= 100,
        "altered_mentation": mentation,
    }
    met = tuple(name for name in CRITERIA if values[name] is True)
    unknown = tuple(name for name in CRITERIA if values[name] is None)
    return QsofaResult(
        score=len(met),
        positive=len(met) >= 2,
        met=met,
        not_met=tuple(name for name in CRITERIA if values[name] is False),
        unknown=unknown,
        complete=not unknown,
    )
