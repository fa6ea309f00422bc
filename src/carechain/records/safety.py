"""Medication safety for a record: a proposed administration checked against the trust's
formulary with what the record already holds (allergies, weight, age, earlier doses)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from carechain.clinical import Breach, Formulary, PriorAdministration, check_administration
from carechain.clinical.errors import ClinicalValueError
from carechain.errors import FieldInvalid

__all__ = ["check_medication"]


def _age(patient: dict[str, Any], at: datetime) -> int | None:
    if "date_of_birth" in patient:
        born = date.fromisoformat(str(patient["date_of_birth"]))
        return at.year - born.year - ((at.month, at.day) < (born.month, born.day))
    age = patient.get("estimated_age_years")
    return None if age is None else int(age)


def check_medication(
    formulary: Formulary, state: dict[str, Any], data: dict[str, Any]
) -> list[Breach]:
    """Return the formulary rules a `medication.administered` entry would break."""
    sections = state.get("sections", {})
    patient, history = sections.get("patient", {}), sections.get("history", {})
    given_at = datetime.fromisoformat(str(data["given_at"]))
    allergies = [str(a["substance"]) for a in history.get("allergies", []) or []]
    previous = [
        PriorAdministration(
            str(m["drug"]), m["dose"], str(m["unit"]), datetime.fromisoformat(str(m["given_at"]))
        )
        for m in state.get("items", {}).get("medications", [])
    ]
    try:
        return check_administration(
            formulary,
            drug=str(data["drug"]),
            dose=data["dose"],
            unit=str(data["unit"]),
            route=str(data["route"]),
            given_at=given_at,
            allergies=allergies,
            previous=previous,
            weight_kg=patient.get("weight_kg"),
            age_years=_age(patient, given_at),
        )
    except ClinicalValueError as exc:
        raise FieldInvalid(f"data.{exc.field}", exc.rule) from None
