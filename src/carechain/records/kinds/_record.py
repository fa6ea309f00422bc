"""The record's frame: `record.opened`, `record.signed`, and free-text `note.added`."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

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

CREW_MAX = 10

ClinicianRole = Literal[
    "paramedic",
    "specialist-paramedic",
    "advanced-paramedic",
    "technician",
    "emergency-care-assistant",
    "student-paramedic",
    "nurse",
    "doctor",
    "other",
]
# Roles registered with the HCPC as paramedics: their registration is required.
PARAMEDIC_ROLES = frozenset({"paramedic", "specialist-paramedic", "advanced-paramedic"})
_HCPC_PARAMEDIC = re.compile(r"PA\d{5,6}")
_REGISTRATION = re.compile(r"[A-Z0-9]{1,20}")


def _compact_upper(value: str) -> str:
    return value.replace(" ", "").upper()


class RecordOpened(KindModel):
    """`record.opened`: the vehicle and crew that opened the record."""

    callsign: ShortText | None = None
    vehicle: ShortText | None = None
    opened_at: Time | None = None
    crew: (
        Annotated[
            list[StaffId],
            Field(max_length=CREW_MAX),
            AfterValidator(unique("must not list the same staff id twice")),
        ]
        | None
    ) = None


class RecordSigned(KindModel):
    """`record.signed`: the clinician's declaration that the record is complete."""

    clinician_name: ShortText
    clinician_role: Annotated[ClinicianRole, one_of(ClinicianRole)]
    registration: Annotated[ShortText, AfterValidator(_compact_upper)] | None = None
    signed_at: Time
    declaration: Bool

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        reg = self.registration
        if reg is not None:
            if self.clinician_role in PARAMEDIC_ROLES and not _HCPC_PARAMEDIC.fullmatch(reg):
                broken.add(
                    "registration",
                    "must be an HCPC paramedic registration: PA followed by 5 or 6 digits, "
                    "e.g. PA123456",
                )
            elif not _REGISTRATION.fullmatch(reg):
                broken.add("registration", "must be 1 to 20 letters or digits")
        elif self.clinician_role in PARAMEDIC_ROLES:
            broken.add(
                "registration", f"is required for a {self.clinician_role} (HCPC registration)"
            )
        if self.declaration is not True:
            broken.add("declaration", "must be true: the clinician declares the record accurate")
        broken.raise_any()
        return self


class NoteAdded(KindModel):
    """`note.added`: one free-text note."""

    text: FreeText
