"""Maternity: `pregnancy.recorded`, `labour.assessed`, `blood_loss.estimated`,
`birth.recorded`, `apgar.scored`, and `record.linked` (the mother's and the baby's records
named in each other).

A birth on the crew device opens the baby's own record (`carechain.operations.maternity`):
the mother's record holds the `birth.recorded` entry naming the baby's record and a
`record.linked` to it; the baby's record holds a `record.linked` back to the mother's and
its own APGAR scores. Ranges here are data-entry plausibility limits, not clinical
thresholds; the clinical rules read from these entries cite their sources in
`carechain.records.maternity`. docs/entry-kinds.md lists each field, range and rule.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Strict, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from carechain.records.kinds._common import (
    Between,
    Bool,
    Broken,
    Day,
    FreeText,
    Int,
    KindModel,
    ShortText,
    StaffId,
    Time,
    merged,
    one_of,
)
from carechain.records.kinds._patient import Sex

Membranes = Literal["intact", "ruptured", "unknown"]
Liquor = Literal["clear", "meconium-stained", "blood-stained", "offensive"]
Presentation = Literal["cephalic", "breech", "limb", "cord-visible", "unknown"]
BirthPresentation = Literal["cephalic", "breech", "other"]
LossStage = Literal["antepartum", "intrapartum", "postpartum"]
BreathingAtBirth = Literal["crying", "breathing", "not-breathing"]
Relation = Literal["baby", "mother"]
# Apgar (1953) scored at 1 and 5 minutes; AAP/ACOG (2015) go on every 5 minutes to 20
# minutes while the score is below 7.
ApgarMinute = Literal[1, 5, 10, 15, 20]
ApgarSign = Literal[0, 1, 2]

_RECORD_ID = re.compile(r"[0-9a-f]{32}")


def _record_id(value: str) -> str:
    if not _RECORD_ID.fullmatch(value):
        raise PydanticCustomError(
            "record_id", "must be a record id: 32 lower-case hexadecimal characters"
        )
    return value


RecordId = Annotated[str, Strict(), AfterValidator(_record_id)]


class PregnancyRecorded(KindModel):
    """`pregnancy.recorded`: gestation, gravida and para, and what the handheld notes say."""

    gestation_weeks: Annotated[Int, Between(1, 45, "weeks")] | None = None
    gestation_days: Annotated[Int, Between(0, 6, "days")] | None = None
    due_date: Day | None = None
    gravida: Annotated[Int, Between(1, 30)] | None = None
    para: Annotated[Int, Between(0, 29)] | None = None
    babies_expected: Annotated[Int, Between(1, 8)] | None = None
    booked_unit: ShortText | None = None
    handheld_notes_seen: Bool | None = None
    complications: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Self:
        broken = Broken()
        # Days alone may correct an earlier entry's weeks; the section merged needs both.
        if self.gestation_days is not None and self.gestation_weeks is None and merged(info):
            broken.add("gestation_days", "needs gestation_weeks")
        if self.gravida is not None and self.para is not None and self.para >= self.gravida:
            broken.add(
                "para",
                f"must be less than gravida ({self.para} ≥ {self.gravida}): para counts "
                "births before this pregnancy, gravida includes this one",
            )
        broken.raise_any()
        return self


class LabourAssessed(KindModel):
    """`labour.assessed`: contractions, membranes and the presenting part at one time."""

    assessed_at: Time
    contractions_per_10_min: Annotated[Int, Between(0, 10, "in 10 minutes")] | None = None
    contraction_duration_s: Annotated[Int, Between(5, 300, "s")] | None = None
    membranes: Annotated[Membranes, one_of(Membranes)] | None = None
    membranes_ruptured_at: Time | None = None
    liquor: Annotated[Liquor, one_of(Liquor)] | None = None
    presenting_part: Annotated[Presentation, one_of(Presentation)] | None = None
    urge_to_push: Bool | None = None
    crowning: Bool | None = None
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        for name in ("membranes_ruptured_at", "liquor"):
            if getattr(self, name) is not None and self.membranes != "ruptured":
                broken.add(name, 'is only for membranes "ruptured"')
        ruptured = self.membranes_ruptured_at
        if ruptured is not None and ruptured > self.assessed_at:
            broken.add("membranes_ruptured_at", "must not be after assessed_at")
        if self.contraction_duration_s is not None and self.contractions_per_10_min == 0:
            broken.add("contraction_duration_s", "is only when there are contractions")
        broken.raise_any()
        return self


class BloodLossEstimated(KindModel):
    """`blood_loss.estimated`: the loss so far in one stage, estimated at one time."""

    stage: Annotated[LossStage, one_of(LossStage)]
    estimated_ml: Annotated[Int, Between(0, 10000, "ml")]
    estimated_at: Time
    notes: FreeText | None = None


class BirthRecorded(KindModel):
    """`birth.recorded` (on the mother's record): one baby's birth, naming its record."""

    baby_record: RecordId
    born_at: Time
    sex: Annotated[Sex, one_of(Sex)] | None = None
    presentation: Annotated[BirthPresentation, one_of(BirthPresentation)] | None = None
    breathing_at_birth: Annotated[BreathingAtBirth, one_of(BreathingAtBirth)] | None = None
    resuscitation: Bool | None = None
    cord_clamped_at: Time | None = None
    placenta_delivered: Bool | None = None
    placenta_delivered_at: Time | None = None
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        for name in ("cord_clamped_at", "placenta_delivered_at"):
            at = getattr(self, name)
            if at is not None and at < self.born_at:
                broken.add(name, "must not be before born_at")
        if self.placenta_delivered_at is not None and self.placenta_delivered is False:
            broken.add("placenta_delivered_at", "needs placenta_delivered true")
        if self.breathing_at_birth == "not-breathing" and self.resuscitation is False:
            broken.add(
                "resuscitation", 'must not be false for a baby "not-breathing" at birth'
            )
        broken.raise_any()
        return self


class ApgarScored(KindModel):
    """`apgar.scored` (on the baby's record): the five signs of Apgar (1953), 0–2 each."""

    minute: Annotated[ApgarMinute, one_of(ApgarMinute)]
    appearance: Annotated[ApgarSign, one_of(ApgarSign)]
    pulse: Annotated[ApgarSign, one_of(ApgarSign)]
    grimace: Annotated[ApgarSign, one_of(ApgarSign)]
    activity: Annotated[ApgarSign, one_of(ApgarSign)]
    respiration: Annotated[ApgarSign, one_of(ApgarSign)]
    scored_at: Time | None = None
    scored_by: StaffId | None = None


class RecordLinked(KindModel):
    """`record.linked`: another record of the same episode, and how it relates to this one."""

    relation: Annotated[Relation, one_of(Relation)]
    record: RecordId
    linked_at: Time | None = None
    note: FreeText | None = None
