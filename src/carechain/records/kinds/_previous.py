"""`previous_calls.requested` and `previous_calls.answered`: a crew asks the trust's records
vault for this trust's earlier records of the same patient; the vault answers in the same
record (docs/previous-calls.md)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from carechain.records.kinds._common import FreeText, KindModel, one_of, rule_error
from carechain.records.kinds._patient import NhsNumber

Access = Literal["relationship", "break_glass", "refused"]
_HEX = re.compile(r"[0-9a-f]+")
# At most this many earlier records are granted for one request (the newest first).
MAX_PREVIOUS = 20


def _hex(length: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) != length or not _HEX.fullmatch(value):
            raise PydanticCustomError("hex", "must be {n} lower-case hex digits", {"n": length})
        return value

    return AfterValidator(check)


EntryId = Annotated[str, Strict(), _hex(64)]
RecordId = Annotated[str, Strict(), _hex(32)]


class PreviousCallsRequested(KindModel):
    """`previous_calls.requested`: the crew asks for earlier records of an NHS number; a
    number that is not this record's patient's needs a break-glass reason."""

    nhs_number: NhsNumber
    reason: FreeText | None = None

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if self.reason is not None and not 10 <= len(self.reason) <= 500:
            raise rule_error("reason", "a break-glass reason has 10 to 500 characters")
        return self


class PreviousCallsAnswered(KindModel):
    """`previous_calls.answered`: the vault's answer to one request, with the records it
    granted to the requesting crew node (or why it refused)."""

    request: EntryId
    access: Annotated[Access, one_of(Access)]
    records: list[RecordId] = Field(default_factory=list, max_length=MAX_PREVIOUS)
    rule: FreeText | None = None

    @model_validator(mode="after")
    def _refusal(self) -> Self:
        if self.access == "refused" and (self.records or not self.rule):
            raise rule_error("rule", "a refusal grants no record and names its rule")
        return self
