"""`history.recorded`: presenting complaint, history, allergies, capacity and consent."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from carechain.records.kinds._common import (
    LIST_MAX,
    Bool,
    FreeText,
    KindModel,
    ShortText,
    Time,
    one_of,
    rule_error,
)

Severity = Literal["mild", "moderate", "severe", "life-threatening"]
Consent = Literal["given", "refused", "implied", "not-applicable"]


class Allergy(KindModel):
    """One allergy: the substance, and what it does if known."""

    substance: ShortText
    reaction: ShortText | None = None
    severity: Annotated[Severity, one_of(Severity)] | None = None


class Safeguarding(KindModel):
    """Whether there are safeguarding concerns; a concern must be described."""

    concerns: Bool
    details: FreeText | None = None

    @model_validator(mode="after")
    def _described(self) -> Self:
        if self.concerns and self.details is None:
            raise rule_error("details", "is required when concerns is true")
        return self


class Capacity(KindModel):
    """Mental capacity: a patient found to lack capacity needs the assessment written."""

    has_capacity: Bool
    assessment: FreeText | None = None

    @model_validator(mode="after")
    def _assessed(self) -> Self:
        if not self.has_capacity and self.assessment is None:
            raise rule_error("assessment", "is required when has_capacity is false")
        return self


TextList = Annotated[list[ShortText], Field(max_length=LIST_MAX)]


class HistoryRecorded(KindModel):
    """`history.recorded`: SAMPLE/OPQRST history, filled in piecemeal."""

    presenting_complaint: FreeText | None = None
    history_of_presenting_complaint: FreeText | None = None
    past_medical_history: TextList | None = None
    medications: TextList | None = None
    allergies: Annotated[list[Allergy], Field(max_length=LIST_MAX)] | None = None
    no_known_allergies: Bool | None = None
    social_concerns: FreeText | None = None
    safeguarding: Safeguarding | None = None
    capacity: Capacity | None = None
    consent: Annotated[Consent, one_of(Consent)] | None = None
    suspected_infection: Bool | None = None
    mechanism_of_injury: FreeText | None = None
    time_last_known_well: Time | None = None
    trauma: Bool | None = None

    @model_validator(mode="after")
    def _allergies_or_none(self) -> Self:
        # Checked on one entry and again on the merged section: a list of allergies and
        # "no known allergies" can never both stand.
        if self.no_known_allergies and self.allergies:
            raise rule_error(
                "no_known_allergies",
                "cannot be true while allergies are recorded; record allergies or "
                "no_known_allergies, not both",
            )
        return self
