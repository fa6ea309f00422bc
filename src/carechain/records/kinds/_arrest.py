"""Cardiac arrest: `arrest.recorded` (the Utstein circumstances) and `arrest.event` (one
timed event on the resuscitation timeline).

Drugs given in the arrest are `medication.administered` entries and airways
`airway.managed`, as in any other record; the arrest's summary (`carechain.records.arrest`)
reads them from there. Sources: the Utstein resuscitation registry template for
out-of-hospital cardiac arrest (Perkins et al., Resuscitation 2015; core data elements) and
JRCALC's recognition of life extinct (ROLE) and termination of resuscitation criteria
(docs/entry-kinds.md names each rule).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, model_validator
from pydantic_core import PydanticCustomError

from carechain.records.kinds._common import (
    Between,
    Bool,
    Broken,
    FreeText,
    KindModel,
    Num,
    StaffId,
    Time,
    one_of,
    unique,
)

Witnessed = Literal["unwitnessed", "bystander", "ambulance-crew"]
Aetiology = Literal[
    "medical", "trauma", "drug-overdose", "drowning", "electrocution", "asphyxia", "unknown"
]
ArrestLocation = Literal["home", "public-place", "workplace", "care-home", "street", "other"]
ArrestRhythm = Literal["vf", "pvt", "pea", "asystole", "aed-shockable", "aed-non-shockable"]
ArrestEvent = Literal[
    "cpr-started",
    "rhythm-check",
    "shock",
    "rosc",
    "re-arrest",
    "resuscitation-stopped",
    "life-extinct",
]
RoleCriterion = Literal[
    "massive-cranial-destruction",
    "hemicorporectomy",
    "decomposition",
    "incineration",
    "hypostasis",
    "rigor-mortis",
    "valid-dnacpr-or-respect",
    "asystole-after-20-minutes-als",
    "no-reversible-causes",
    "senior-clinician-decision",
]
# Events that end the attempt: each needs the criteria met and who decided.
ENDINGS = frozenset({"resuscitation-stopped", "life-extinct"})


def _criteria(items: list[RoleCriterion]) -> list[RoleCriterion]:
    if not items:
        raise PydanticCustomError("list_empty", "must list at least one criterion")
    return items


class ArrestRecorded(KindModel):
    """`arrest.recorded`: who saw the arrest, what bystanders did, why, and the first rhythm."""

    arrest_at: Time | None = None
    witnessed: Annotated[Witnessed, one_of(Witnessed)] | None = None
    location: Annotated[ArrestLocation, one_of(ArrestLocation)] | None = None
    aetiology: Annotated[Aetiology, one_of(Aetiology)] | None = None
    bystander_cpr: Bool | None = None
    bystander_cpr_at: Time | None = None
    public_aed_applied: Bool | None = None
    public_aed_shocked: Bool | None = None
    first_rhythm: Annotated[ArrestRhythm, one_of(ArrestRhythm)] | None = None
    resuscitation_attempted: Bool | None = None
    dnacpr_seen: Bool | None = None
    respect_seen: Bool | None = None
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.bystander_cpr is False and self.bystander_cpr_at is not None:
            broken.add("bystander_cpr_at", "must be left out when bystander_cpr is false")
        if self.public_aed_shocked is True and self.public_aed_applied is False:
            broken.add("public_aed_shocked", "needs public_aed_applied true")
        if self.witnessed == "ambulance-crew" and self.bystander_cpr is True:
            broken.add("bystander_cpr", "must be false for an arrest the ambulance crew witnessed")
        broken.raise_any()
        return self


class ArrestEventRecorded(KindModel):
    """`arrest.event`: one tap on the arrest timeline, timed by the device."""

    event: Annotated[ArrestEvent, one_of(ArrestEvent)]
    at: Time
    by: StaffId
    energy_j: Annotated[Num, Between(1, 360, "J")] | None = None
    rhythm: Annotated[ArrestRhythm, one_of(ArrestRhythm)] | None = None
    criteria: (
        Annotated[
            list[Annotated[RoleCriterion, one_of(RoleCriterion)]],
            AfterValidator(_criteria),
            AfterValidator(unique("must not repeat a criterion")),
        ]
        | None
    ) = None
    decision_by: StaffId | None = None
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.event == "shock" and self.energy_j is None:
            broken.add("energy_j", "is required for a shock")
        if self.event != "shock" and self.energy_j is not None:
            broken.add("energy_j", "is only for a shock")
        if self.rhythm is not None and self.event not in ("rhythm-check", "shock"):
            broken.add("rhythm", "is only for a rhythm check or a shock")
        if self.event in ENDINGS:
            if self.criteria is None:
                broken.add("criteria", f"is required for {self.event}")
            if self.decision_by is None:
                broken.add("decision_by", f"is required for {self.event}")
        elif self.criteria is not None or self.decision_by is not None:
            field = "criteria" if self.criteria is not None else "decision_by"
            broken.add(field, "is only for resuscitation-stopped or life-extinct")
        broken.raise_any()
        return self
