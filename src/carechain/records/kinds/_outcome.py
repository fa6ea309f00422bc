"""The outcome: `impression.recorded` and `disposition.recorded`."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Strict, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from carechain.records.kinds._common import (
    Bool,
    Broken,
    FreeText,
    KindModel,
    ShortText,
    StaffId,
    Time,
    one_of,
)

ImpressionCategory = Literal[
    "cardiac-chest-pain",
    "non-cardiac-chest-pain",
    "stemi",
    "arrhythmia",
    "cardiac-arrest",
    "stroke",
    "seizure",
    "sepsis",
    "respiratory",
    "anaphylaxis",
    "diabetic-emergency",
    "overdose-poisoning",
    "abdominal",
    "obstetric",
    "fall",
    "trauma",
    "mental-health",
    "other",
]
Outcome = Literal["conveyed", "not-conveyed"]
PreAlertCategory = Literal["stemi", "stroke", "trauma", "sepsis", "cardiac-arrest", "other"]
Referral = Literal[
    "gp",
    "out-of-hours-gp",
    "falls-team",
    "community-nursing",
    "urgent-community-response",
    "mental-health-team",
    "pharmacy",
    "social-care",
    "other",
    "none",
]
CONVEYED_ONLY = (
    "hospital",
    "hospital_node",
    "pre_alert",
    "pre_alert_category",
    "pre_alert_ecg",
    "eta",
    "requirements",
)
NOT_CONVEYED_ONLY = ("referral", "safety_netting", "decision_by")
NOT_CONVEYED_REQUIRED = ("safety_netting", "decision_by")

_NODE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _node_id(value: str) -> str:
    if not _NODE_ID.fullmatch(value):
        raise PydanticCustomError(
            "node_id", "must be a node id: 1 to 128 letters, digits or . _ : -"
        )
    return value


class ImpressionRecorded(KindModel):
    """`impression.recorded`: the working impression and its category."""

    working_impression: FreeText | None = None
    category: Annotated[ImpressionCategory, one_of(ImpressionCategory)] | None = None
    trauma: Bool | None = None


class DispositionRecorded(KindModel):
    """`disposition.recorded`: conveyed (where, pre-alert, ETA) or not (with safety-netting)."""

    outcome: Annotated[Outcome, one_of(Outcome)] | None = None
    hospital: ShortText | None = None
    hospital_node: Annotated[str, Strict(), AfterValidator(_node_id)] | None = None
    pre_alert: Bool | None = None
    pre_alert_category: Annotated[PreAlertCategory, one_of(PreAlertCategory)] | None = None
    # The 12-lead the pre-alert carries: the attachment id of an `ecg.recorded` of this
    # record (checked against the record, and filled in for a STEMI pre-alert, by the
    # application layer: `carechain.operations.prealert`).
    pre_alert_ecg: Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{32}$")] \
        | None = None
    eta: Time | None = None
    requirements: FreeText | None = None
    referral: Annotated[Referral, one_of(Referral)] | None = None
    safety_netting: FreeText | None = None
    decision_by: StaffId | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.outcome == "not-conveyed":
            for name in CONVEYED_ONLY:
                if getattr(self, name) is not None:
                    broken.add(name, "is only recorded when outcome is conveyed")
            for name in NOT_CONVEYED_REQUIRED:
                if getattr(self, name) is None:
                    broken.add(name, "is required when outcome is not-conveyed")
        elif self.outcome == "conveyed":
            for name in NOT_CONVEYED_ONLY:
                if getattr(self, name) is not None:
                    broken.add(name, "is only recorded when outcome is not-conveyed")
        if self.pre_alert is False and self.pre_alert_category is not None:
            broken.add("pre_alert_category", "is only recorded when pre_alert is true")
        if self.pre_alert is True and self.pre_alert_category is None:
            broken.add("pre_alert_category", "is required when pre_alert is true")
        if self.pre_alert_ecg is not None and self.pre_alert is not True:
            broken.add("pre_alert_ecg", "is only recorded with pre_alert true (same entry)")
        broken.raise_any()
        return self
