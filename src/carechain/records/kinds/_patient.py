"""`patient.recorded`: who the patient is."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Strict, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from carechain.clinical.nhs_number import check_nhs_number
from carechain.records.kinds._common import (
    Between,
    Bool,
    Day,
    FreeText,
    Int,
    KindModel,
    Num,
    ShortText,
    merged,
    one_of,
    rule_error,
)

Sex = Literal["male", "female", "other", "unknown"]
# UK Core CodeSystem UKCore-NHSNumberVerificationStatus: 01 present and verified, 02 present
# but not traced, 03 trace required, 04 no or multiple match, 05 conflict to resolve,
# 06 trace in progress, 07 not present and trace not required, 08 trace postponed (baby).
NhsNumberStatus = Literal["01", "02", "03", "04", "05", "06", "07", "08"]
# The codes that describe a number the patient has: the entry must carry that number.
_STATUS_OF_A_NUMBER = ("01", "02", "05")
EARLIEST_BIRTH = date(1900, 1, 1)

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?([0-9][A-Z]{2})")
_PHONE = re.compile(r"\+?[0-9 ()-]+")


def _birth_date(value: date) -> date:
    # "Today" is the latest calendar date anywhere (UTC+14), so a baby born today in the
    # UK is never refused whatever the clock's zone; anything later is in the future.
    latest = (datetime.now(UTC) + timedelta(hours=14)).date()
    if value > latest:
        raise PydanticCustomError("birth_future", "must not be in the future")
    if value < EARLIEST_BIRTH:
        raise PydanticCustomError("birth_early", "must be on or after 1900-01-01")
    return value


def _nhs_number(value: str) -> str:
    # One NHS number rule for the whole product: carechain.clinical's modulus-11 check.
    check = check_nhs_number(value)
    if not check.valid or check.number is None:
        raise PydanticCustomError("nhs_number", "{reason}", {"reason": check.reason or "invalid"})
    return check.number


def _postcode(value: str) -> str:
    match = _POSTCODE.fullmatch(value.upper())
    if match is None:
        raise PydanticCustomError("postcode", "must be a UK postcode, e.g. SW1A 1AA")
    return f"{match.group(1)} {match.group(2)}"


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.fullmatch(value) or not 6 <= digits <= 15:
        raise PydanticCustomError(
            "phone", "must be a phone number: 6 to 15 digits, with spaces and + ( ) - allowed"
        )
    return value


NhsNumber = Annotated[str, Strict(), AfterValidator(_nhs_number)]
Postcode = Annotated[str, Strict(), AfterValidator(_postcode)]
Phone = Annotated[ShortText, AfterValidator(_phone)]


class NextOfKin(KindModel):
    """Next of kin: any of name, relationship and phone, at least one."""

    name: ShortText | None = None
    relationship: ShortText | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.name is None and self.relationship is None and self.phone is None:
            raise rule_error("", "record at least one of name, relationship, phone")
        return self


class PatientRecorded(KindModel):
    """`patient.recorded`: identity, demographics and next of kin, filled in piecemeal."""

    unknown_patient: Bool | None = None
    given_name: ShortText | None = None
    family_name: ShortText | None = None
    date_of_birth: Annotated[Day, AfterValidator(_birth_date)] | None = None
    estimated_age_years: Annotated[Int, Between(0, 120, "years")] | None = None
    sex: Annotated[Sex, one_of(Sex)] | None = None
    nhs_number: NhsNumber | None = None
    nhs_number_status: Annotated[NhsNumberStatus, one_of(NhsNumberStatus)] | None = None
    address: FreeText | None = None
    postcode: Postcode | None = None
    gp_practice: ShortText | None = None
    next_of_kin: NextOfKin | None = None
    pregnant: Bool | None = None
    weight_kg: Annotated[Num, Between(0.3, 350, "kg")] | None = None

    @model_validator(mode="before")
    @classmethod
    def _untraced(cls, data: Any) -> Any:
        # A number typed without a status has not been traced (02): the status of an
        # earlier number never stays on a new one when the section is merged (H-120).
        if isinstance(data, dict) and data.get("nhs_number") and "nhs_number_status" not in data:
            return {**data, "nhs_number_status": "02"}
        return data

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Self:
        if merged(info):
            # A known patient needs a name once the whole section is put together.
            if self.unknown_patient is False and not (self.given_name or self.family_name):
                raise rule_error(
                    "family_name",
                    "a patient who is not unknown needs a given_name or family_name; "
                    "set unknown_patient to true when the patient cannot be identified",
                )
        elif self.nhs_number_status in _STATUS_OF_A_NUMBER and self.nhs_number is None:
            raise rule_error(
                "nhs_number",
                f"verification status {self.nhs_number_status} describes a number: "
                "give the nhs_number it describes in the same entry",
            )
        elif self.date_of_birth is not None and self.estimated_age_years is not None:
            raise rule_error(
                "estimated_age_years",
                "give date_of_birth or estimated_age_years in one entry, not both "
                "(a known date of birth replaces an estimate)",
            )
        return self
