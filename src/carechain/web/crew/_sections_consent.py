"""The crew app's forms for capacity, refusal and non-conveyance: the two-stage capacity
test, a refusal, a referral, a safeguarding concern and a signature drawn on the screen
(the `signature` widget: a canvas taking a finger, stylus or mouse, sent as a PNG)."""

from __future__ import annotations

from carechain.records.kinds.choices import (
    Conclusion,
    LeftWith,
    ReferralService,
    Refused,
    SafeguardingFor,
    Signed,
    Signer,
)
from carechain.web.crew._builders import YES_NO, choices, text, when
from carechain.web.crew._fields import Field, Fieldset, Section

__all__ = ["CAPACITY", "REFERRAL", "REFUSAL", "SAFEGUARDING", "SIGNATURE"]


def _ability(path: str, label: str) -> tuple[Field, Field]:
    return (
        Field(path, label, "yesno", YES_NO),
        Field(f"{path}_notes", f"{label}: notes", "textarea", hint="required when no"),
    )


CAPACITY = Section(
    "capacity",
    "capacity.assessed",
    "Mental capacity",
    (
        Fieldset(
            "The decision",
            (
                text("decision", "Decision assessed", hint="e.g. whether to go to hospital"),
                when("assessed_at", "Assessed at", default="now"),
                text("assessed_by", "Assessed by (staff id)", default="me"),
            ),
        ),
        Fieldset(
            "Stage 1",
            _ability("impairment", "Impairment of, or disturbance in, the mind or brain"),
        ),
        Fieldset(
            "Stage 2: can the patient…",
            (
                *_ability("understand", "Understand the information"),
                *_ability("retain", "Retain it"),
                *_ability("weigh", "Use or weigh it"),
                *_ability("communicate", "Communicate the decision"),
            ),
        ),
        Fieldset(
            "Conclusion",
            (
                Field(
                    "conclusion",
                    "Conclusion",
                    "select",
                    choices(Conclusion),
                    hint="lacks capacity only if stage 1 is yes and any stage-2 answer is no",
                ),
            ),
        ),
    ),
    multi=True,
)

REFUSAL = Section(
    "refusal",
    "refusal.recorded",
    "Refusal",
    (
        Fieldset(
            "What was refused",
            (
                Field("refused", "Refused", "checks", choices(Refused)),
                Field("details", "In the patient's words", "textarea"),
                Field("capacity", "Capacity for this decision", "select", choices(Conclusion)),
            ),
        ),
        Fieldset(
            "What the patient was told",
            (
                Field("risks_explained", "Risks explained", "textarea",
                      hint="required when the patient has capacity"),
                Field("best_interests", "Best-interests decision", "textarea",
                      hint="required when the patient lacks capacity"),
                Field("worsening_advice", "Worsening advice given", "textarea"),
            ),
        ),
        Fieldset(
            "Left with",
            (
                Field("left_with", "Left with", "select", choices(LeftWith)),
                text("left_with_name", "Name or relationship"),
                when("recorded_at", "Recorded at", default="now"),
                text("recorded_by", "Recorded by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

REFERRAL = Section(
    "referral",
    "referral.made",
    "Referral",
    (
        Fieldset(
            "Referral",
            (
                Field("service", "Service", "select", choices(ReferralService)),
                text("service_name", "Service name", hint="required for other"),
                text("reference", "Reference"),
                Field("notes", "Notes", "textarea"),
                when("made_at", "Made at", default="now"),
                text("made_by", "Made by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

SAFEGUARDING = Section(
    "safeguarding",
    "safeguarding.raised",
    "Safeguarding",
    (
        Fieldset(
            "Concern",
            (
                Field("concern_for", "Concern for", "select", choices(SafeguardingFor)),
                Field("concern", "Concern", "textarea"),
                Field("referral_sent", "Referral sent", "yesno", YES_NO),
                text("reference", "Referral reference number"),
                Field("reason_not_sent", "Why no referral was sent", "textarea"),
                when("raised_at", "Raised at", default="now"),
                text("raised_by", "Raised by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

SIGNATURE = Section(
    "signature",
    "signature.captured",
    "Signature",
    (
        Fieldset(
            "Signature",
            (
                Field("signer", "Signed by", "select", choices(Signer)),
                text("name", "Signer's name"),
                Field("signed_for", "Signed for", "select", choices(Signed)),
                Field("image", "Sign here", "signature",
                      hint="draw with a finger, stylus or mouse"),
                Field("format", "Format", "hidden", default="png"),
                when("signed_at", "Signed at", default="now"),
            ),
        ),
    ),
    multi=True,
)
