"""Medication safety for a record: a proposed administration checked against the trust's
formulary with what the record already holds (allergies with their severity, weight, age,
earlier doses), and the second clinician's confirmation a severe allergy may need.

A second clinician confirms at the same device, offline, with their own staff id and PIN,
checked against the node's accounts through `Authenticator` (an `AccountStore` is one).
The PIN is never stored; the `safety.override` entry records who confirmed. A refused
confirmation is a FieldInvalid whose cause is the accounts error, with the audit bodies
of the failed attempt in its `events`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from carechain.clinical import (
    Breach,
    Formulary,
    PriorAdministration,
    RecordedAllergy,
    check_administration,
)
from carechain.clinical.errors import ClinicalValueError
from carechain.clinical.weight import age_in_months, working_weight
from carechain.errors import CarechainError, FieldInvalid

__all__ = [
    "Authenticator",
    "SecondClinician",
    "check_medication",
    "confirm_second_clinician",
]


class Account(Protocol):
    """What a confirmation needs of an account: who it is and its role."""

    @property
    def staff_id(self) -> str:
        """The account's staff id."""
        ...

    @property
    def display_name(self) -> str:
        """The name shown for the account."""
        ...

    @property
    def role(self) -> str:
        """The account's role (carechain.accounts roles)."""
        ...


class Authenticator(Protocol):
    """Checks a staff id and PIN against a node's accounts (`AccountStore.authenticate`)."""

    def authenticate(
        self, staff_id: str, secret: str, totp: str | None = None, *, now_ms: int
    ) -> Account:
        """Return the account, or raise a CarechainError (wrong PIN, locked, …)."""
        ...


@dataclass(frozen=True)
class SecondClinician:
    """A second clinician's confirmation as typed at the device; the PIN is never kept."""

    staff_id: str
    pin: str = field(repr=False)
    accounts: Authenticator = field(repr=False, compare=False)


def _age(patient: dict[str, Any], at: datetime) -> tuple[int | None, int | None]:
    """Return the patient's age in completed years and, from a date of birth, months."""
    if "date_of_birth" in patient:
        born = date.fromisoformat(str(patient["date_of_birth"]))
        months = age_in_months(born, at.date())
        return months // 12, months
    age = patient.get("estimated_age_years")
    return (None, None) if age is None else (int(age), None)


def _allergies(history: dict[str, Any]) -> list[RecordedAllergy]:
    return [
        RecordedAllergy(str(a["substance"]), a.get("severity"), a.get("reaction"))
        for a in history.get("allergies", []) or []
    ]


def check_medication(
    formulary: Formulary, state: dict[str, Any], data: dict[str, Any]
) -> list[Breach]:
    """Return the formulary rules a `medication.administered` entry would break."""
    sections = state.get("sections", {})
    patient, history = sections.get("patient", {}), sections.get("history", {})
    given_at = datetime.fromisoformat(str(data["given_at"]))
    age_years, age_months = _age(patient, given_at)
    previous = [
        PriorAdministration(
            str(m["drug"]), m["dose"], str(m["unit"]), datetime.fromisoformat(str(m["given_at"]))
        )
        for m in state.get("items", {}).get("medications", [])
    ]
    try:
        # A measured weight always wins; a child not weighed is checked against the APLS
        # estimate for their age, and any breach says the weight was estimated.
        weight = working_weight(
            measured_kg=patient.get("weight_kg"), age_years=age_years, age_months=age_months
        )
        return check_administration(
            formulary,
            drug=str(data["drug"]),
            dose=data["dose"],
            unit=str(data["unit"]),
            route=str(data["route"]),
            given_at=given_at,
            allergies=_allergies(history),
            previous=previous,
            weight_kg=None if weight is None else weight.kg,
            weight_estimated=weight is not None and weight.source == "estimated",
            age_years=age_years,
            age_months=age_months,
        )
    except ClinicalValueError as exc:
        raise FieldInvalid(f"data.{exc.field}", exc.rule) from None


def confirm_second_clinician(
    formulary: Formulary,
    confirmation: SecondClinician,
    *,
    given_by: str,
    user: str,
    now_ms: int,
) -> dict[str, str]:
    """Check a second clinician's staff id and PIN; return who confirmed.

    The confirmer must be someone other than the clinician giving the dose and the one
    recording it, hold an account on this node whose PIN matches, and have a role the
    formulary lets confirm (`second_clinician_roles`). A wrong PIN counts against their
    account's failed logins, exactly as at the login page.
    """
    staff_id = confirmation.staff_id.strip()
    if not staff_id:
        raise FieldInvalid("confirmation.staff_id", "is required")
    if not confirmation.pin:
        raise FieldInvalid("confirmation.pin", "is required")
    if staff_id in (given_by, user):
        raise FieldInvalid(
            "confirmation.staff_id",
            "must be a second clinician, not the one giving or recording the dose",
        )
    try:
        account = confirmation.accounts.authenticate(staff_id, confirmation.pin, now_ms=now_ms)
    except CarechainError as exc:
        locked = exc.code == "account-locked"
        rule = (
            "this account is locked after too many wrong PINs; another clinician must confirm"
            if locked
            else "the staff id and PIN do not match an account on this device"
        )
        raise FieldInvalid("confirmation.pin", rule) from exc
    roles = formulary.second_clinician_roles
    if account.role not in roles:
        raise FieldInvalid(
            "confirmation.staff_id",
            f"must be a clinician who may confirm ({', '.join(roles)}), not a {account.role}",
        )
    return {"staff_id": account.staff_id, "name": account.display_name, "role": account.role}
