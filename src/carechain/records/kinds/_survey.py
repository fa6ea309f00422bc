"""`survey.primary` (<C>ABCDE) and `survey.secondary` (head to toe, BE-FAST)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import model_validator

from carechain.records.kinds._common import Bool, FreeText, KindModel, one_of, rule_error

HaemorrhageStatus = Literal["none", "controlled", "uncontrolled"]
AirwayStatus = Literal[
    "patent", "at-risk", "partially-obstructed", "obstructed", "adjunct", "secured"
]
FindingStatus = Literal["normal", "abnormal", "not-assessed"]


class _Finding(KindModel):
    notes: FreeText | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if all(value is None for value in self.__dict__.values()):
            raise rule_error("", "record a status, notes, or both")
        return self


class HaemorrhageFinding(_Finding):
    """<C>: catastrophic haemorrhage."""

    status: Annotated[HaemorrhageStatus, one_of(HaemorrhageStatus)] | None = None


class AirwayFinding(_Finding):
    """A: airway."""

    status: Annotated[AirwayStatus, one_of(AirwayStatus)] | None = None


class Finding(_Finding):
    """B, C, D or E: a normal/abnormal/not-assessed status and notes."""

    status: Annotated[FindingStatus, one_of(FindingStatus)] | None = None


class SurveyPrimary(KindModel):
    """`survey.primary`: <C>ABCDE, each a status and notes, filled in piecemeal."""

    catastrophic_haemorrhage: HaemorrhageFinding | None = None
    airway: AirwayFinding | None = None
    breathing: Finding | None = None
    circulation: Finding | None = None
    disability: Finding | None = None
    exposure: Finding | None = None


class Befast(KindModel):
    """BE-FAST: true means that sign is present (abnormal)."""

    balance: Bool | None = None
    eyes: Bool | None = None
    face: Bool | None = None
    arm: Bool | None = None
    speech: Bool | None = None


class SurveySecondary(KindModel):
    """`survey.secondary`: findings by body region, and the BE-FAST signs."""

    head: FreeText | None = None
    neck: FreeText | None = None
    chest: FreeText | None = None
    abdomen: FreeText | None = None
    pelvis: FreeText | None = None
    limbs: FreeText | None = None
    back: FreeText | None = None
    other: FreeText | None = None
    befast: Befast | None = None
