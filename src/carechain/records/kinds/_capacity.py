"""Capacity, refusal and non-conveyance: `capacity.assessed`, `refusal.recorded`,
`referral.made`, `safeguarding.raised` and `signature.captured`.

Sources for the rules (docs/entry-kinds.md lists them): the Mental Capacity Act 2005
sections 2 and 3 and its Code of Practice (chapter 4), the two-stage test: stage 1, is
there an impairment of, or disturbance in the functioning of, the mind or brain; stage 2,
can the person understand, retain, use or weigh the information, and communicate their
decision. A person lacks capacity for the decision only when stage 1 is yes and any
stage-2 ability is no. JRCALC's guidance on patients declining care: risks explained,
worsening advice given and who the patient was left with.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Strict, model_validator
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
    unique,
)

Conclusion = Literal["has-capacity", "lacks-capacity"]
Refused = Literal[
    "conveyance", "assessment", "observations", "treatment", "medication", "cannulation", "other"
]
LeftWith = Literal[
    "alone", "family", "friend", "carer", "care-home-staff", "police", "other-professional"
]
ReferralService = Literal[
    "gp", "urgent-community-response", "mental-health-team", "falls-service", "other"
]
SafeguardingFor = Literal["adult", "child"]
Signer = Literal["patient", "witness"]
SignatureFormat = Literal["png", "svg-path"]
Signed = Literal["refusal", "consent", "other"]

# The stage-2 abilities of the two-stage test, in the Act's order.
ABILITIES = ("understand", "retain", "weigh", "communicate")
# A drawn signature, as the data URL or path text stored in the body, at most this long.
SIGNATURE_MAX = 64 * 1024
PNG_PREFIX = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_PATH = re.compile(r"[MmLlHhVvCcSsQqTtZz0-9eE .,+\-]+")


def lacks_capacity(impairment: bool, abilities: dict[str, bool | None]) -> bool:
    """Return the two-stage test's conclusion: stage 1 yes and any stage-2 ability no."""
    return impairment and any(value is False for value in abilities.values())


class CapacityAssessed(KindModel):
    """`capacity.assessed`: the two-stage test for one decision, each answer with a note."""

    decision: ShortText
    impairment: Bool
    impairment_notes: FreeText | None = None
    understand: Bool | None = None
    understand_notes: FreeText | None = None
    retain: Bool | None = None
    retain_notes: FreeText | None = None
    weigh: Bool | None = None
    weigh_notes: FreeText | None = None
    communicate: Bool | None = None
    communicate_notes: FreeText | None = None
    conclusion: Annotated[Conclusion, one_of(Conclusion)]
    assessed_at: Time
    assessed_by: StaffId

    @model_validator(mode="after")
    def _two_stage_test(self) -> Self:
        broken = Broken()
        abilities = {name: getattr(self, name) for name in ABILITIES}
        if self.impairment:
            if self.impairment_notes is None:
                broken.add("impairment_notes", "is required when impairment is true")
            for name, value in abilities.items():
                if value is None:
                    broken.add(name, "is required when impairment is true (stage 2)")
                elif value is False and getattr(self, f"{name}_notes") is None:
                    broken.add(f"{name}_notes", f"is required when {name} is false")
        if not any(field for field, _ in broken.rules if field in ABILITIES):
            expected = (
                "lacks-capacity" if lacks_capacity(self.impairment, abilities) else ("has-capacity")
            )
            if self.conclusion != expected:
                broken.add("conclusion", _why(expected, self.impairment, abilities))
        broken.raise_any()
        return self


def _why(expected: str, impairment: bool, abilities: dict[str, bool | None]) -> str:
    if expected == "has-capacity" and not impairment:
        return "must be has-capacity: stage 1 (an impairment of mind or brain) is no"
    if expected == "has-capacity":
        return "must be has-capacity: the patient can understand, retain, weigh and communicate"
    cannot = ", ".join(name for name, value in abilities.items() if value is False)
    return f"must be lacks-capacity: stage 1 is yes and the patient cannot {cannot}"


class RefusalRecorded(KindModel):
    """`refusal.recorded`: what the patient declined, what they were told, who they are with."""

    refused: Annotated[
        list[Annotated[Refused, one_of(Refused)]],
        AfterValidator(unique("must not repeat a refusal")),
    ]
    details: FreeText | None = None
    capacity: Annotated[Conclusion, one_of(Conclusion)]
    risks_explained: FreeText | None = None
    best_interests: FreeText | None = None
    worsening_advice: FreeText
    left_with: Annotated[LeftWith, one_of(LeftWith)]
    left_with_name: ShortText | None = None
    recorded_at: Time
    recorded_by: StaffId

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if not self.refused:
            broken.add("refused", "must list at least one thing refused")
        if self.capacity == "has-capacity" and self.risks_explained is None:
            broken.add("risks_explained", "is required when a patient with capacity refuses")
        if self.capacity == "lacks-capacity" and self.best_interests is None:
            broken.add("best_interests", "is required when the patient lacks capacity")
        broken.raise_any()
        return self


class ReferralMade(KindModel):
    """`referral.made`: a non-conveyance referral to another service, with its reference."""

    service: Annotated[ReferralService, one_of(ReferralService)]
    service_name: ShortText | None = None
    reference: ShortText | None = None
    notes: FreeText | None = None
    made_at: Time
    made_by: StaffId

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.service == "other" and self.service_name is None:
            broken = Broken()
            broken.add("service_name", "is required when service is other")
            broken.raise_any()
        return self


class SafeguardingRaised(KindModel):
    """`safeguarding.raised`: a concern for an adult or a child, and the referral sent."""

    concern_for: Annotated[SafeguardingFor, one_of(SafeguardingFor)]
    concern: FreeText
    referral_sent: Bool
    reference: ShortText | None = None
    reason_not_sent: FreeText | None = None
    raised_at: Time
    raised_by: StaffId

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if self.referral_sent and self.reference is None:
            broken.add("reference", "is required when referral_sent is true")
        if not self.referral_sent and self.reference is not None:
            broken.add("reference", "is only recorded when referral_sent is true")
        if not self.referral_sent and self.reason_not_sent is None:
            broken.add("reason_not_sent", "is required when referral_sent is false")
        broken.raise_any()
        return self


def _signature(value: str) -> str:
    if len(value) > SIGNATURE_MAX:
        raise PydanticCustomError("signature_size", "must be at most 64 KB")
    return value


class SignatureCaptured(KindModel):
    """`signature.captured`: a signature drawn on the screen, as a PNG or an SVG path."""

    signer: Annotated[Signer, one_of(Signer)]
    name: ShortText
    signed_for: Annotated[Signed, one_of(Signed)]
    format: Annotated[SignatureFormat, one_of(SignatureFormat)]
    image: Annotated[str, Strict(), AfterValidator(_signature)]
    signed_at: Time

    @model_validator(mode="after")
    def _image_fits_format(self) -> Self:
        broken = Broken()
        if self.format == "png" and not _is_png(self.image):
            broken.add("image", "must be a data:image/png;base64 URL of a PNG image")
        if self.format == "svg-path" and not _SVG_PATH.fullmatch(self.image):
            broken.add("image", "must be SVG path data (commands and numbers only)")
        broken.raise_any()
        return self


def _is_png(image: str) -> bool:
    if not image.startswith(PNG_PREFIX):
        return False
    try:
        raw = base64.b64decode(image[len(PNG_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_PNG_MAGIC)
