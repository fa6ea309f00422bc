"""The NHS Personal Demographics Service (PDS) FHIR API's answers, as values.

Pure: no I/O. A search is `GET /Patient?family=&given=&birthdate=eq…&gender=&address-postalcode=`
and answers a FHIR `Bundle` of type `searchset` with `total` and one entry per matched
patient, best first, each with `search.score` (1.0 an exact match); a read is
`GET /Patient/{nhs-number}` and answers one `Patient`. Too many matches is HTTP 200 with an
`OperationOutcome` whose issue code is `TOO_MANY_MATCHES`. Source: the PDS FHIR API's
OpenAPI specification (NHS England, `NHSDigital/personal-demographics-service-api`,
`specification/components/paths/patient-search.yaml` and `patient-get.yaml`).

The NHS number's verification status is the UK Core extension
`Extension-UKCore-NHSNumberVerificationStatus` on `Patient.identifier`, coded from the
CodeSystem `UKCore-NHSNumberVerificationStatus` (`clinical.nhs_number.VERIFICATION_STATUS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from carechain.clinical.nhs_number import VERIFICATION_STATUS, check_nhs_number
from carechain.errors import FieldInvalid

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "VERIFICATION_EXTENSION",
    "VERIFICATION_STATUS",
    "Answer",
    "Outcome",
    "PdsPatient",
    "Search",
    "parse_patient",
    "parse_read",
    "parse_search",
]

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
VERIFICATION_EXTENSION = (
    "https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)

Outcome = Literal["match", "no_match", "multiple"]
Gender = Literal["male", "female", "other", "unknown"]
_NAME = re.compile(r"[A-Za-z][A-Za-z' .-]{0,34}\*?")
_POSTCODE = re.compile(r"[A-Za-z0-9 ]{2,8}\*?")


@dataclass(frozen=True)
class Search:
    """A PDS search: family name and date of birth at least (PDS's minimum for a non-fuzzy
    search), optionally given name, gender and postcode (wildcards `*` at the end allowed)."""

    family: str
    birthdate: date
    given: str | None = None
    gender: Gender | None = None
    postcode: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("family_name", self.family), ("given_name", self.given)):
            if value is not None and not _NAME.fullmatch(value):
                raise FieldInvalid(name, "must be 1 to 35 letters, spaces, ' . or -, "
                                         "optionally ending in *")
        if self.postcode is not None and not _POSTCODE.fullmatch(self.postcode):
            raise FieldInvalid("postcode", "must be 2 to 8 letters, digits or spaces, "
                                           "optionally ending in *")
        if self.gender is not None and self.gender not in ("male", "female", "other", "unknown"):
            raise FieldInvalid("sex", "must be male, female, other or unknown")

    def params(self) -> list[tuple[str, str]]:
        """Return the query parameters of this search, in PDS's names."""
        out = [("family", self.family), ("birthdate", f"eq{self.birthdate.isoformat()}")]
        if self.given:
            out.append(("given", self.given))
        if self.gender:
            out.append(("gender", self.gender))
        if self.postcode:
            out.append(("address-postalcode", self.postcode))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return this search as JSON-ready fields (the queue keeps it so)."""
        return {"family": self.family, "birthdate": self.birthdate.isoformat(),
                "given": self.given, "gender": self.gender, "postcode": self.postcode}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Search:
        """Return the search `to_dict` wrote."""
        return cls(family=data["family"], birthdate=date.fromisoformat(data["birthdate"]),
                   given=data.get("given"), gender=data.get("gender"),
                   postcode=data.get("postcode"))


@dataclass(frozen=True)
class PdsPatient:
    """What a crew can use of a PDS patient: the fields of `patient.recorded`, the NHS
    number's verification status, the match score and whether the record is restricted."""

    nhs_number: str
    verification_status: str | None
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    address: str | None = None
    postcode: str | None = None
    gp_practice: str | None = None
    score: float | None = None
    restricted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the patient as JSON-ready fields."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def patient_fields(self) -> dict[str, Any]:
        """Return the `patient.recorded` fields this answer offers (None left out)."""
        keys = ("nhs_number", "given_name", "family_name", "date_of_birth", "sex", "address",
                "postcode", "gp_practice")
        out = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if self.verification_status is not None:
            out["nhs_number_status"] = self.verification_status
        return out


@dataclass(frozen=True)
class Answer:
    """PDS's answer: match (one patient), no match, or several (or too many) to choose from."""

    outcome: Outcome
    patients: tuple[PdsPatient, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the answer as JSON-ready fields."""
        return {"outcome": self.outcome, "patients": [p.to_dict() for p in self.patients]}


def _malformed(what: str) -> ValueError:
    return ValueError(f"PDS answered a malformed {what}")


def _verification(identifier: dict[str, Any]) -> str | None:
    for ext in identifier.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == VERIFICATION_EXTENSION:
            codings = (ext.get("valueCodeableConcept") or {}).get("coding") or []
            for coding in codings:
                code = coding.get("code") if isinstance(coding, dict) else None
                if code in VERIFICATION_STATUS:
                    return str(code)
    return None


def _current_name(names: list[Any]) -> dict[str, Any]:
    for wanted in ("usual", None):
        for name in names:
            if isinstance(name, dict) and (wanted is None or name.get("use") == wanted):
                return name
    return {}


def _home_address(addresses: list[Any]) -> dict[str, Any]:
    homes = [a for a in addresses if isinstance(a, dict) and a.get("use") == "home"]
    return homes[0] if homes else {}


def parse_patient(resource: Any, score: float | None = None) -> PdsPatient:
    """Return the crew's view of a PDS `Patient` resource."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        raise _malformed("Patient")
    ids = [i for i in resource.get("identifier") or []
           if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM]
    number = str(ids[0].get("value", "")) if ids else str(resource.get("id", ""))
    if not check_nhs_number(number).valid:
        raise _malformed("Patient (its NHS number fails the modulus-11 check)")
    name = _current_name(resource.get("name") or [])
    given = name.get("given") or []
    home = _home_address(resource.get("address") or [])
    lines = [str(x) for x in home.get("line") or []]
    gp = [g for g in resource.get("generalPractitioner") or [] if isinstance(g, dict)]
    security = (resource.get("meta") or {}).get("security") or []
    gender = resource.get("gender")
    return PdsPatient(
        nhs_number=number,
        verification_status=_verification(ids[0]) if ids else None,
        given_name=" ".join(str(g) for g in given) or None,
        family_name=name.get("family"),
        date_of_birth=resource.get("birthDate"),
        sex=gender if gender in ("male", "female", "other", "unknown") else None,
        address=", ".join(lines) or None,
        postcode=home.get("postalCode"),
        gp_practice=(gp[0].get("identifier") or {}).get("value") if gp else None,
        score=score,
        restricted=any(isinstance(s, dict) and s.get("code") == "R" for s in security),
    )


def _too_many(body: dict[str, Any]) -> bool:
    for issue in body.get("issue") or []:
        codings = ((issue or {}).get("details") or {}).get("coding") or []
        if any(isinstance(c, dict) and c.get("code") == "TOO_MANY_MATCHES" for c in codings):
            return True
    return False


def parse_search(body: Any) -> Answer:
    """Return the answer of a search from PDS's JSON body (a searchset Bundle, or the
    OperationOutcome of too many matches)."""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        if _too_many(body):
            return Answer("multiple")
        raise _malformed("OperationOutcome")
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise _malformed("search result")
    patients = []
    for entry in body.get("entry") or []:
        if not isinstance(entry, dict):
            raise _malformed("Bundle entry")
        score = (entry.get("search") or {}).get("score")
        patients.append(parse_patient(entry.get("resource"),
                                      float(score) if score is not None else None))
    patients.sort(key=lambda p: -(p.score or 0.0))
    total = body.get("total", len(patients))
    if total == 0 or not patients:
        return Answer("no_match")
    return Answer("match" if len(patients) == 1 else "multiple", tuple(patients))


def parse_read(body: Any) -> Answer:
    """Return the answer of a read by NHS number from PDS's `Patient`."""
    return Answer("match", (parse_patient(body, 1.0),))
