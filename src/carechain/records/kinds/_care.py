"""Care given: `medication.administered` and `procedure.performed`."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, model_validator

from carechain.records.kinds._common import (
    Between,
    Bool,
    FreeText,
    Int,
    KindModel,
    Num,
    ShortText,
    StaffId,
    Time,
    one_of,
    positive,
    rule_error,
)

DoseUnit = Literal[
    "mg", "mcg", "g", "ml", "units", "mmol", "L/min", "puffs", "sprays", "tablets", "drops",
]  # fmt: skip
Route = Literal[
    "IV", "IO", "IM", "SC", "PO", "SL", "buccal", "IN", "neb", "inhaled", "PR", "topical",
]  # fmt: skip
Procedure = Literal[
    "airway-opa",
    "airway-npa",
    "airway-igel",
    "airway-ett",
    "cannulation-iv",
    "cannulation-io",
    "splinting",
    "pelvic-binder",
    "traction-splint",
    "tourniquet",
    "cpr",
    "defibrillation",
    "needle-decompression",
    "other",
]


class MedicationAdministered(KindModel):
    """`medication.administered`: one dose of one drug."""

    drug: ShortText
    dose: Annotated[Num, AfterValidator(positive)]
    unit: Annotated[DoseUnit, one_of(DoseUnit)]
    route: Annotated[Route, one_of(Route)]
    given_at: Time
    given_by: StaffId
    batch: ShortText | None = None
    override_reason: FreeText | None = None


class ProcedurePerformed(KindModel):
    """`procedure.performed`: one procedure, how many attempts, whether it worked."""

    procedure: Annotated[Procedure, one_of(Procedure)]
    details: ShortText | None = None
    site: ShortText | None = None
    attempts: Annotated[Int, Between(1, 10)] | None = None
    successful: Bool | None = None
    performed_at: Time
    performed_by: StaffId

    @model_validator(mode="after")
    def _other_described(self) -> Self:
        if self.procedure == "other" and self.details is None:
            raise rule_error("details", 'is required when procedure is "other"')
        return self
