"""Check a FHIR document: the R4B models (fhir.resources) and the UK Core rules we emit.

`check_document(bundle)` returns a list of `Problem(path, rule)`, empty when the document
is sound. The UK Core rules are a table of their own (`PROFILE_RULES`), written from the
StructureDefinitions and compared with them by the test suite, not shared with the
builder, so a builder mistake cannot hide behind its own table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from carechain.clinical import nhs_number_valid

__all__ = ["PROFILE_RULES", "Problem", "ProfileRule", "check_document"]

_UK = "https://fhir.hl7.org.uk/StructureDefinition/"
_UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Problem:
    """One rule a document breaks, at a path inside it."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}"


@dataclass(frozen=True)
class ProfileRule:
    """What a UK Core Observation profile fixes."""

    loinc: str | None = None
    snomed: str | None = None  # a fixed SNOMED CT code (ACVPU)
    category: str | None = None  # fixed category code
    unit: tuple[str, str] | None = None  # (unit, UCUM code)
    status: str = "final"


PROFILE_RULES: dict[str, ProfileRule] = {
    "UKCore-Observation-VitalSigns-RespirationRate": ProfileRule(
        "9279-1", category="vital-signs", unit=("per minute", "/min")),
    "UKCore-Observation-VitalSigns-OxygenSaturation": ProfileRule(
        "2708-6", category="vital-signs", unit=("percent", "%")),
    "UKCore-Observation-VitalSigns-HeartRate": ProfileRule(
        "8867-4", category="vital-signs", unit=("per minute", "/min")),
    "UKCore-Observation-VitalSigns-BodyTemperature": ProfileRule(
        "8310-5", category="vital-signs", unit=("degree Celsius", "Cel")),
    "UKCore-Observation-VitalSigns-BloodPressure": ProfileRule(
        "85354-9", category="vital-signs"),
    "UKCore-Observation-BloodGlucose": ProfileRule(
        unit=("millimoles per litre", "mmol/L")),
    "UKCore-Observation-ACVPU": ProfileRule(snomed="1104441000000107"),
    "UKCore-Observation-EarlyWarningTotalScore": ProfileRule(
        category="survey", unit=("score", "{ScoreOf}")),
    "UKCore-Observation-InspiredOxygen": ProfileRule(),
}
BP_COMPONENTS = {"8480-6": "Systolic blood pressure", "8462-4": "Diastolic blood pressure"}
NEWS2_SUBSCORE_CODES = frozenset({
    "1104301000000104", "1104311000000102", "1104321000000108", "1104331000000105",
    "1104341000000101", "1104351000000103", "1104361000000100", "1104371000000107",
})
RECORD_HEADINGS = frozenset({
    "886891000000102", "717711000000103", "1102421000000108", "933361000000108",
    "887171000000109", "886921000000105", "887201000000105",
})
# PRSB record standard headings (UK Core's CompositionSectionCode value set) the newer
# sections use; compared with that value set by the test suite.
STANDARD_HEADINGS_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-RecordStandardHeadings"
STANDARD_HEADINGS = frozenset({
    "treatments-and-interventions", "examination-findings", "procedures-and-therapies",
    "mental-capacity-assessment", "consent-for-treatment-record", "safeguarding",
    "documents-including-correspondence-audio-and-images",
})
KNOWN_PROFILES = frozenset(_UK + p for p in (
    *PROFILE_RULES, "UKCore-Bundle", "UKCore-Composition", "UKCore-Patient", "UKCore-Encounter",
    "UKCore-MedicationAdministration", "UKCore-Procedure", "UKCore-AllergyIntolerance",
    "UKCore-Condition", "UKCore-Provenance", "UKCore-Observation", "UKCore-Flag",
    "UKCore-Consent", "UKCore-ServiceRequest", "UKCore-DocumentReference",
))
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
NHS_EXTENSION = _UK + "Extension-UKCore-NHSNumberVerificationStatus"


def _codes(concept: Any, system: str | None = None) -> list[str]:
    if not isinstance(concept, dict):
        return []
    return [str(c.get("code")) for c in concept.get("coding", [])
            if system is None or c.get("system") == system]


def _references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield path, item
            else:
                yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _references(item, f"{path}[{i}]")


def _models(bundle: dict[str, Any]) -> list[Problem]:
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        return [Problem(".".join(str(x) for x in e["loc"]) or "Bundle", e["msg"])
                for e in exc.errors()]
    return []


def _quantity(q: Any, unit: tuple[str, str], path: str) -> list[Problem]:
    if not isinstance(q, dict):
        return [Problem(path, "a Quantity is required")]
    found = []
    if q.get("system") != _UCUM:
        found.append(Problem(f"{path}.system", f"must be {_UCUM}"))
    if q.get("code") != unit[1]:
        found.append(Problem(f"{path}.code", f"must be {unit[1]!r}"))
    if unit[0] != "score" and q.get("unit") != unit[0]:
        found.append(Problem(f"{path}.unit", f"must be {unit[0]!r}"))
    return found


def _observation(r: dict[str, Any], path: str, urls: set[str]) -> list[Problem]:
    found: list[Problem] = []
    for url in r.get("meta", {}).get("profile", []):
        name = url.removeprefix(_UK)
        rule = PROFILE_RULES.get(name)
        if rule is None:
            continue
        if r.get("status") != rule.status:
            found.append(Problem(f"{path}.status", f"{name} fixes status to {rule.status}"))
        if not r.get("category"):
            found.append(Problem(f"{path}.category", "is required"))
        if rule.category and rule.category not in [c for cat in r.get("category", [])
                                                   for c in _codes(cat)]:
            found.append(Problem(f"{path}.category", f"must include {rule.category}"))
        if "VitalSigns" in name and not _codes(r.get("code"), "http://snomed.info/sct"):
            found.append(Problem(f"{path}.code", "needs a SNOMED CT coding (slice snomedCT)"))
        if rule.loinc and rule.loinc not in _codes(r.get("code"), "http://loinc.org"):
            found.append(Problem(f"{path}.code", f"needs LOINC {rule.loinc}"))
        if rule.snomed and rule.snomed not in _codes(r.get("code"), "http://snomed.info/sct"):
            found.append(Problem(f"{path}.code", f"needs SNOMED CT {rule.snomed}"))
        if rule.unit:
            found += _quantity(r.get("valueQuantity"), rule.unit, f"{path}.valueQuantity")
        if name.endswith("BloodPressure"):
            found += _blood_pressure(r, path)
        if name.endswith("EarlyWarningTotalScore"):
            found += _news2(r, path, urls)
    return found


def _blood_pressure(r: dict[str, Any], path: str) -> list[Problem]:
    found = []
    seen = set()
    for i, comp in enumerate(r.get("component", [])):
        codes = set(_codes(comp.get("code"), "http://loinc.org")) & set(BP_COMPONENTS)
        if not _codes(comp.get("code"), "http://snomed.info/sct"):
            found.append(Problem(f"{path}.component[{i}].code", "needs a SNOMED CT coding"))
        for code in codes:
            seen.add(code)
            if comp["code"].get("text") != BP_COMPONENTS[code]:
                found.append(Problem(f"{path}.component[{i}].code.text",
                                     f"must be {BP_COMPONENTS[code]!r}"))
            found += _quantity(comp.get("valueQuantity"), ("millimeter of mercury", "mm[Hg]"),
                               f"{path}.component[{i}].valueQuantity")
    if "8480-6" not in seen:
        found.append(Problem(f"{path}.component", "slice SystolicBP (8480-6) is required"))
    return found


def _news2(r: dict[str, Any], path: str, urls: set[str]) -> list[Problem]:
    found = []
    total = 0
    for i, comp in enumerate(r.get("component", [])):
        if not set(_codes(comp.get("code"))) & NEWS2_SUBSCORE_CODES:
            found.append(Problem(f"{path}.component[{i}].code", "must be a NEWS2 subscore"))
        found += _quantity(comp.get("valueQuantity"), ("score", "{ScoreOf}"),
                           f"{path}.component[{i}].valueQuantity")
        total += int(comp.get("valueQuantity", {}).get("value") or 0)
    if r.get("valueQuantity", {}).get("value") != total:
        found.append(Problem(f"{path}.valueQuantity.value", "must be the sum of the subscores"))
    if r.get("component") and not r.get("derivedFrom"):
        found.append(Problem(f"{path}.derivedFrom", "must name the scored observations"))
    return found


def _patient(r: dict[str, Any], path: str) -> list[Problem]:
    found = []
    for i, ident in enumerate(r.get("identifier", [])):
        if ident.get("system") != NHS_SYSTEM:
            continue
        if not nhs_number_valid(str(ident.get("value", ""))):
            found.append(Problem(f"{path}.identifier[{i}].value", "is not a valid NHS number"))
        exts = [e for e in ident.get("extension", []) if e.get("url") == NHS_EXTENSION]
        if len(exts) != 1 or not _codes(exts[0].get("valueCodeableConcept")):
            found.append(Problem(f"{path}.identifier[{i}].extension",
                                 "needs one NHS number verification status"))
    return found


def check_document(bundle: dict[str, Any]) -> list[Problem]:
    """Return every problem with a FHIR document Bundle (empty when it is sound)."""
    found = _models(bundle)
    if bundle.get("type") != "document":
        found.append(Problem("Bundle.type", "must be document"))
    for key in ("identifier", "timestamp"):
        if not bundle.get(key):
            found.append(Problem(f"Bundle.{key}", "is required in a document"))
    entries = bundle.get("entry", [])
    if not entries or entries[0].get("resource", {}).get("resourceType") != "Composition":
        found.append(Problem("Bundle.entry[0]", "must be the Composition"))
    urls = [str(e.get("fullUrl")) for e in entries]
    if len(set(urls)) != len(urls):
        found.append(Problem("Bundle.entry", "fullUrls must be unique"))
    known = set(urls)
    for i, e in enumerate(entries):
        r = e.get("resource", {})
        path = f"Bundle.entry[{i}].resource"
        for where, ref in _references(r, path):
            if ref not in known:
                found.append(Problem(where, f"reference {ref} does not resolve in the document"))
        for url in r.get("meta", {}).get("profile", []):
            if url not in KNOWN_PROFILES:
                found.append(Problem(f"{path}.meta.profile", f"unknown profile {url}"))
        kind = r.get("resourceType")
        if kind == "Observation":
            found += _observation(r, path, known)
        elif kind == "Patient":
            found += _patient(r, path)
        elif kind == "Composition":
            for j, section in enumerate(r.get("section", [])):
                headed = set(_codes(section.get("code"))) & RECORD_HEADINGS or set(
                    _codes(section.get("code"), STANDARD_HEADINGS_SYSTEM)) & STANDARD_HEADINGS
                if not headed:
                    found.append(Problem(f"{path}.section[{j}].code",
                                         "must be a UK record heading"))
    return found
