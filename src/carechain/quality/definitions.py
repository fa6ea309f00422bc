"""The Ambulance Clinical Quality Indicators carechain computes, each with its source.

NHS England publishes the Ambulance Quality Indicators' clinical outcomes (AmbCO) monthly
for every ambulance trust in England, against its AmbCO specification (the series to 2024
is published "against specifications v1.31 and 20210610", NHS England, Ambulance Quality
Indicators page). The care-bundle elements below are those of the national ambulance
clinical performance indicators the AmbCO bundles come from (Siriwardena AN et al.,
"Development and pilot of clinical performance indicators for English ambulance services",
Emerg Med J 2010;27(4):327, table 1: STEMI M1 aspirin, M2 GTN, M3 initial and M4 final
pain score, M5 analgesia, morphine and/or Entonox; stroke S1 FAST, S2 blood glucose,
S3 blood pressure; cardiac arrest C1 ROSC on arrival at hospital). The Utstein comparator
group is the arrest witnessed by a bystander with a shockable first rhythm (Perkins GD et
al., Utstein out-of-hospital cardiac arrest registry template, Resuscitation 2015).

An indicator the record cannot support is listed with the reason and never scored, so a
report cannot show it as zero (docs/hazard-log.md H-062). docs/clinical-audit.md explains
each definition and what carechain's record holds for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ANALGESICS",
    "ASPIRIN",
    "GTN",
    "INDICATORS",
    "SHOCKABLE",
    "Indicator",
    "Kind",
    "by_id",
]

Kind = Literal["proportion", "time", "not-computable"]

SPEC = "NHS England AmbCO specification 20210610"
PILOT = "Siriwardena et al., Emerg Med J 2010;27(4):327, table 1"
UTSTEIN = "Perkins et al., Utstein OHCA registry template, Resuscitation 2015"

# Drug names as the crew records them, matched case-insensitively (the formulary's names
# and aliases, and the names in the bundle's source). Entonox is nitrous oxide and oxygen.
ASPIRIN = frozenset({"aspirin", "acetylsalicylic acid"})
GTN = frozenset({"glyceryl trinitrate", "gtn", "nitroglycerin"})
ANALGESICS = frozenset({"morphine", "morphine sulfate", "morphine sulphate", "entonox",
                        "nitrous oxide", "nitrous oxide and oxygen"})
# A shockable first rhythm (VF or pulseless VT; an AED's "shockable" advice is one of them).
SHOCKABLE = frozenset({"vf", "pvt", "aed-shockable"})


@dataclass(frozen=True)
class Indicator:
    """One quality indicator: what it counts, and where its definition comes from."""

    id: str
    title: str
    kind: Kind
    population: str
    numerator: str
    source: str
    reason: str = ""  # why the record cannot support it (kind "not-computable")


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "stemi-care-bundle", "STEMI care bundle", "proportion",
        "patients with a working impression of STEMI",
        "aspirin, GTN, two pain scores (one after analgesia) and analgesia all given or "
        "recorded", f"{SPEC}; {PILOT} (M1-M5)"),
    Indicator(
        "stemi-call-to-angiography", "STEMI call to angiography", "not-computable",
        "patients with a working impression of STEMI", "minutes from the call to angiography",
        SPEC,
        reason="the time of angiography is the hospital's (catheter laboratory) and is "
        "not part of the ambulance record"),
    Indicator(
        "stroke-diagnostic-bundle", "Stroke diagnostic bundle", "proportion",
        "patients with a working impression of stroke",
        "FAST (face, arm, speech), blood glucose and blood pressure all recorded",
        f"{SPEC}; {PILOT} (S1-S3)"),
    Indicator(
        "stroke-call-to-hospital", "Stroke call to hospital arrival", "time",
        "patients with a working impression of stroke who were conveyed",
        "minutes from the call (call_received) to arrival at hospital (at_hospital): "
        "mean and 90th centile", SPEC),
    Indicator(
        "rosc-at-hospital", "ROSC on arrival at hospital: all", "proportion",
        "cardiac arrests in which the crew attempted resuscitation",
        "return of spontaneous circulation on arrival at hospital",
        f"{SPEC}; {PILOT} (C1)"),
    Indicator(
        "rosc-at-hospital-utstein", "ROSC on arrival at hospital: Utstein comparator group",
        "proportion",
        "those arrests witnessed by a bystander with a shockable first rhythm (VF/VT)",
        "return of spontaneous circulation on arrival at hospital", f"{SPEC}; {UTSTEIN}"),
    Indicator(
        "survival-30-days", "Cardiac arrest survival to 30 days", "not-computable",
        "cardiac arrests in which the crew attempted resuscitation", "alive 30 days after",
        SPEC,
        reason="survival is known only from hospital or death records, which the ambulance "
        "record does not hold"),
    Indicator(
        "sepsis", "Sepsis", "not-computable", "patients screened for sepsis", "-", SPEC,
        reason="no published sepsis care-bundle definition could be obtained for this "
        "release, so none is computed (the record does hold the sepsis screen)"),
    Indicator(
        "falls", "Falls", "not-computable", "patients who fell", "-", SPEC,
        reason="no published falls indicator definition could be obtained for this "
        "release, so none is computed (the record does hold falls and referrals)"),
)


def by_id(indicator: str) -> Indicator:
    """Return the indicator with this id."""
    for found in INDICATORS:
        if found.id == indicator:
            return found
    raise KeyError(indicator)
