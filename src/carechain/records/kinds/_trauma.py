"""Trauma: `trauma.mechanism`, `trauma.triage`, `injury.marked` (one mark on the body map),
`haemorrhage.controlled` and `immobilisation.applied`.

The handover's ATMIST reads them: M from the mechanism, I from the marked injuries, T from
the haemorrhage control (a tourniquet with the time it went on) and immobilisation.
docs/entry-kinds.md lists each field, range and rule.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, model_validator

from carechain.records.kinds._common import (
    Between,
    Bool,
    Broken,
    FreeText,
    KindModel,
    Num,
    ShortText,
    StaffId,
    Time,
    one_of,
    unique,
)

Mechanism = Literal["rtc", "fall", "assault", "penetrating", "blast", "crush", "other"]
RtcType = Literal[
    "car-occupant",
    "lorry-or-bus-occupant",
    "motorcyclist",
    "cyclist",
    "pedestrian",
    "other-vehicle",
]
TriageCriterion = Literal[
    # physiology
    "gcs-13-or-less",
    "systolic-bp-below-90",
    "respiratory-rate-below-10-or-above-29",
    # anatomy
    "penetrating-head-neck-torso-or-proximal-limb",
    "chest-wall-deformity-or-flail",
    "two-or-more-proximal-long-bone-fractures",
    "crushed-degloved-or-mangled-limb",
    "amputation-proximal-to-wrist-or-ankle",
    "suspected-pelvic-fracture",
    "open-or-depressed-skull-fracture",
    "new-paralysis",
    "burns-with-trauma",
    # mechanism and judgement
    "fall-over-6-metres",
    "high-energy-rtc",
    "clinician-judgement",
]
Destination = Literal["major-trauma-centre", "trauma-unit", "emergency-department", "other"]
View = Literal["front", "back"]
Region = Literal[
    "head",
    "face",
    "neck",
    "chest",
    "abdomen",
    "pelvis",
    "upper-back",
    "lower-back",
    "buttocks",
    "left-arm",
    "right-arm",
    "left-hand",
    "right-hand",
    "left-leg",
    "right-leg",
    "left-foot",
    "right-foot",
]
InjuryType = Literal[
    "laceration",
    "abrasion",
    "bruise",
    "burn",
    "deformity",
    "swelling",
    "penetrating",
    "amputation",
    "pain",
    "other",
]
InjurySeverity = Literal["minor", "moderate", "severe"]
HaemorrhageMethod = Literal[
    "direct-pressure", "dressing", "wound-packing", "haemostatic-dressing", "tourniquet"
]
Immobilisation = Literal[
    "splint", "traction-splint", "pelvic-binder", "collar", "head-blocks", "scoop",
    "vacuum-mattress",
]  # fmt: skip

# Regions drawn on one side of the body map only.
FRONT_ONLY = frozenset({"face", "chest", "abdomen"})
BACK_ONLY = frozenset({"upper-back", "lower-back", "buttocks"})
LIMBS = frozenset(
    {"left-arm", "right-arm", "left-hand", "right-hand", "left-leg", "right-leg"}
    | {"left-foot", "right-foot"}
)
# Devices that go on a limb, so the limb must be named.
ON_A_LIMB = frozenset({"splint", "traction-splint"})


class TraumaMechanism(KindModel):
    """`trauma.mechanism`: how the patient was injured (the M of ATMIST)."""

    mechanism: Annotated[Mechanism, one_of(Mechanism)] | None = None
    occurred_at: Time | None = None
    rtc_type: Annotated[RtcType, one_of(RtcType)] | None = None
    speed_mph: Annotated[Num, Between(1, 200, "mph")] | None = None
    ejected: Bool | None = None
    trapped: Bool | None = None
    height_m: Annotated[Num, Between(0.1, 100, "m")] | None = None
    weapon: ShortText | None = None
    details: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        kind = self.mechanism
        if kind is not None:
            for name in ("rtc_type", "speed_mph", "ejected", "trapped"):
                if kind != "rtc" and getattr(self, name) is not None:
                    broken.add(name, "is only for an rtc")
            if kind != "fall" and self.height_m is not None:
                broken.add("height_m", "is only for a fall")
            if kind not in ("assault", "penetrating") and self.weapon is not None:
                broken.add("weapon", "is only for an assault or a penetrating injury")
            if kind == "other" and self.details is None:
                broken.add("details", 'is required when mechanism is "other"')
        broken.raise_any()
        return self


class TraumaTriage(KindModel):
    """`trauma.triage`: the major-trauma triage decision and where the patient goes."""

    positive_criteria: (
        Annotated[
            list[Annotated[TriageCriterion, one_of(TriageCriterion)]],
            AfterValidator(unique("must not repeat a criterion")),
        ]
        | None
    ) = None
    mtc_pre_alert: Bool | None = None
    destination: Annotated[Destination, one_of(Destination)] | None = None
    destination_name: ShortText | None = None
    bypass_reason: FreeText | None = None
    decided_at: Time | None = None
    decided_by: StaffId | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        positive = bool(self.positive_criteria)
        if self.mtc_pre_alert is True and self.positive_criteria == []:
            broken.add("positive_criteria", "must list the criteria met for an MTC pre-alert")
        elsewhere = self.destination not in (None, "major-trauma-centre")
        if positive and elsewhere and self.bypass_reason is None:
            broken.add(
                "bypass_reason",
                "is required when the triage is positive and the destination is not "
                "a major-trauma-centre",
            )
        if self.mtc_pre_alert is True and elsewhere:
            broken.add("mtc_pre_alert", "needs destination major-trauma-centre")
        if self.destination == "other" and self.destination_name is None:
            broken.add("destination_name", 'is required when destination is "other"')
        broken.raise_any()
        return self


class InjuryMarked(KindModel):
    """`injury.marked`: one injury marked on the body map (the I of ATMIST)."""

    view: Annotated[View, one_of(View)]
    region: Annotated[Region, one_of(Region)]
    x: Annotated[Num, Between(0, 1)] | None = None
    y: Annotated[Num, Between(0, 1)] | None = None
    type: Annotated[InjuryType, one_of(InjuryType)]
    severity: Annotated[InjurySeverity, one_of(InjurySeverity)] | None = None
    note: FreeText | None = None
    marked_at: Time | None = None
    marked_by: StaffId | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.region in FRONT_ONLY and self.view == "back":
            broken.add("region", f"{self.region} is on the front view")
        if self.region in BACK_ONLY and self.view == "front":
            broken.add("region", f"{self.region} is on the back view")
        if (self.x is None) != (self.y is None):
            broken.add("x" if self.x is None else "y", "x and y go together")
        if self.type == "other" and self.note is None:
            broken.add("note", 'is required when type is "other"')
        broken.raise_any()
        return self


class HaemorrhageControlled(KindModel):
    """`haemorrhage.controlled`: one method of controlling bleeding, when it was applied."""

    method: Annotated[HaemorrhageMethod, one_of(HaemorrhageMethod)]
    region: Annotated[Region, one_of(Region)]
    applied_at: Time
    applied_by: StaffId
    effective: Bool | None = None
    note: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.method == "tourniquet" and self.region not in LIMBS:
            broken = Broken()
            broken.add("region", "must be a limb for a tourniquet")
            broken.raise_any()
        return self


class ImmobilisationApplied(KindModel):
    """`immobilisation.applied`: a splint, pelvic binder, collar, scoop or vacuum mattress."""

    device: Annotated[Immobilisation, one_of(Immobilisation)]
    region: Annotated[Region, one_of(Region)] | None = None
    applied_at: Time
    applied_by: StaffId
    note: FreeText | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.device in ON_A_LIMB and self.region not in LIMBS:
            broken.add("region", f"must be a limb for a {self.device}")
        broken.raise_any()
        return self
