"""Code tables for the FHIR document: LOINC, SNOMED CT, UCUM and dm+d, with their sources.

Vital-sign codes and units are the ones the UK Core profiles fix
(`UKCore-Observation-VitalSigns-*`, `UKCore-Observation-ACVPU`, `-BloodGlucose`,
`-EarlyWarningTotalScore`); NEWS2 subscore codes are SNOMED CT UK edition concepts used in
UK Core's NEWS2 example; section codes are the UK record headings (SNOMED CT).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
NHS_VERIFICATION_EXT = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
)
NHS_VERIFICATION_CS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/"
# Identifier systems carechain owns: URNs, so no host is claimed.
STAFF_SYSTEM = "urn:carechain:staff-id"
KEY_SYSTEM = "urn:carechain:node-key"
ENTRY_SYSTEM = "urn:carechain:entry"
RECORD_SYSTEM = "urn:carechain:record"
INCIDENT_SYSTEM = "urn:carechain:incident-number"


def profile(name: str) -> str:
    """Return the canonical URL of a UK Core profile."""
    return UK_CORE + name


@dataclass(frozen=True)
class Vital:
    """One vital sign: its UK Core profile, codes and the unit the profile fixes."""

    profile: str
    loinc: str
    loinc_display: str
    snomed: str
    snomed_display: str
    unit: str
    ucum: str
    category: str = "vital-signs"


# field of observation.recorded -> how it is coded (BP and GCS are built separately).
VITALS: dict[str, Vital] = {
    "respiratory_rate": Vital(
        "UKCore-Observation-VitalSigns-RespirationRate", "9279-1", "Respiratory rate",
        "86290005", "Respiratory rate", "per minute", "/min",
    ),
    "spo2": Vital(
        "UKCore-Observation-VitalSigns-OxygenSaturation", "2708-6",
        "Oxygen saturation in Arterial blood", "103228002",
        "Hemoglobin saturation with oxygen", "percent", "%",
    ),
    "pulse": Vital(
        "UKCore-Observation-VitalSigns-HeartRate", "8867-4", "Heart rate",
        "364075005", "Heart rate", "per minute", "/min",
    ),
    "temperature_c": Vital(
        "UKCore-Observation-VitalSigns-BodyTemperature", "8310-5", "Body temperature",
        "276885007", "Core body temperature", "degree Celsius", "Cel",
    ),
    "blood_glucose_mmol_l": Vital(
        "UKCore-Observation-BloodGlucose", "15074-8", "Glucose [Moles/volume] in Blood",
        "434912009", "Blood glucose concentration", "millimoles per litre", "mmol/L",
        category="laboratory",
    ),
}

BP: dict[str, Any] = {
    "profile": "UKCore-Observation-VitalSigns-BloodPressure",
    "loinc": ("85354-9", "Blood pressure panel with all children optional"),
    "snomed": ("75367002", "Blood pressure"),
    "systolic": ("8480-6", "Systolic blood pressure", "72313002", "Systolic arterial pressure"),
    "diastolic": (
        "8462-4", "Diastolic blood pressure", "1091811000000102", "Diastolic arterial pressure",
    ),
    "unit": ("millimeter of mercury", "mm[Hg]"),
}

ACVPU_PROFILE = "UKCore-Observation-ACVPU"
ACVPU_CODE = ("1104441000000107", "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score")
# ACVPU answers (SNOMED CT findings); new confusion is carried as text.
ACVPU_VALUES: dict[str, tuple[str | None, str]] = {
    "A": ("248234008", "Mentally alert"),
    "C": (None, "New confusion"),
    "V": ("300202002", "Responds to voice"),
    "P": ("450847001", "Responds to pain"),
    "U": ("422768004", "Unresponsive"),
}

GCS: dict[str, Any] = {
    "loinc": ("9269-2", "Glasgow coma score total"),
    "snomed": ("248241002", "Glasgow coma score"),
    "eye": ("9267-6", "Glasgow coma score eye opening"),
    "verbal": ("9270-0", "Glasgow coma score verbal"),
    "motor": ("9268-4", "Glasgow coma score motor"),
}
PAIN = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
RHYTHM = ("8884-9", "Heart rate rhythm")
OXYGEN: dict[str, Any] = {
    "profile": "UKCore-Observation-InspiredOxygen",
    "loinc": ("3151-8", "Inhaled oxygen flow rate"),
    "air": ("722742002", "Breathing room air"),
}

NEWS2_PROFILE = "UKCore-Observation-EarlyWarningTotalScore"
NEWS2_TOTAL = (
    "1104051000000101",
    "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
)
_N2 = "Royal College of Physicians NEWS2 (National Early Warning Score 2) - "
# `News2Result.components` key -> subscore code (scale 2 SpO2 has its own concept).
NEWS2_SUBSCORES: dict[str, tuple[str, str]] = {
    "resp_rate": ("1104301000000104", _N2 + "respiration rate score"),
    "spo2": ("1104311000000102", _N2 + "oxygen saturation scale 1 score"),
    "spo2_scale2": ("1104321000000108", _N2 + "oxygen saturation scale 2 score"),
    "air_or_oxygen": ("1104331000000105", _N2 + "air or oxygen score"),
    "systolic": ("1104341000000101", _N2 + "systolic blood pressure score"),
    "consciousness": ("1104361000000100", _N2 + "consciousness score"),
    "pulse": ("1104351000000103", _N2 + "pulse score"),
    "temperature": ("1104371000000107", _N2 + "temperature score"),
}
NEWS2_PARAMETERS = (
    "resp_rate", "spo2", "air_or_oxygen", "systolic", "pulse", "consciousness", "temperature",
)
# NEWS2 parameter -> the observation field it is scored from.
NEWS2_SOURCE_FIELD = {
    "resp_rate": "respiratory_rate",
    "spo2": "spo2",
    "air_or_oxygen": "oxygen",
    "systolic": "systolic_bp",
    "pulse": "pulse",
    "consciousness": "acvpu",
    "temperature": "temperature_c",
}

# UK record headings (SNOMED CT record artifacts) for the Composition's sections.
SECTIONS: dict[str, tuple[str, str]] = {
    "complaint": ("886891000000102", "Presenting complaints or issues"),
    "problems": ("717711000000103", "Problems"),
    "observations": ("1102421000000108", "Observations"),
    "medications": ("933361000000108", "Medications and medical devices"),
    "procedures": ("887171000000109", "Procedures"),
    "allergies": ("886921000000105", "Allergies and adverse reactions"),
    "plan": ("887201000000105", "Plan and requested actions"),
}
# Sections for the arrest, trauma, airway/access, capacity, consent, safeguarding and
# attachment kinds: PRSB record standard headings as UK Core codes them (ValueSet
# UKCore-CompositionSectionCode, CodeSystem UKCore-RecordStandardHeadings). Each is written
# only when the record holds something for it.
HEADINGS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-RecordStandardHeadings"
MORE_SECTIONS: dict[str, tuple[str, str, str]] = {
    "arrest": ("treatments-and-interventions", "Treatments and interventions",
               "Cardiac arrest and resuscitation"),
    "trauma": ("examination-findings", "Examination findings",
               "Trauma: mechanism, triage, injuries and their care"),
    "support": ("procedures-and-therapies", "Procedures and therapies",
                "Airway, breathing and vascular access"),
    "capacity": ("mental-capacity-assessment", "Mental capacity assessment",
                 "Mental capacity"),
    "consent": ("consent-for-treatment-record", "Consent for treatment record",
                "Consent, refusal and non-conveyance referrals"),
    "safeguarding": ("safeguarding", "Safeguarding", "Safeguarding"),
    "documents": ("documents-including-correspondence-audio-and-images",
                  "Documents (including correspondence, audio and images)",
                  "Photos, documents and 12-lead ECGs"),
}
# Base FHIR R4 code systems (hl7.org/fhir/R4: flag-category, consentscope) and the LOINC
# codes the R4 specification's own Consent and ECG examples use.
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY = ("59284-0", "Patient Consent")
ECG_DOCUMENT = ("11524-6", "EKG study")
ATTACHMENT_SYSTEM = "urn:carechain:attachment"
SHA256_SYSTEM = "urn:carechain:sha256"
REFERENCE_SYSTEM = "urn:carechain:referral-reference"
COMPOSITION_TYPE = ("371531000", "Report of clinical encounter")
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")

# Routes of `medication.administered` -> SNOMED CT route of administration.
ROUTES: dict[str, tuple[str, str]] = {
    "IV": ("47625008", "Intravenous route"),
    "IO": ("60213007", "Intraosseous route"),
    "IM": ("78421000", "Intramuscular route"),
    "SC": ("34206005", "Subcutaneous route"),
    "PO": ("26643006", "Oral route"),
    "SL": ("37839007", "Sublingual route"),
    "buccal": ("54471007", "Buccal route"),
    "IN": ("46713006", "Nasal route"),
    "neb": ("447694001", "Respiratory tract route"),
    "inhaled": ("447694001", "Respiratory tract route"),
    "PR": ("37161004", "Rectal route"),
    "topical": ("6064005", "Topical route"),
}
# Dose units -> UCUM (curly braces: UCUM annotations for counted forms).
DOSE_UNITS: dict[str, str] = {
    "mg": "mg", "mcg": "ug", "g": "g", "ml": "mL", "units": "[iU]", "mmol": "mmol",
    "L/min": "L/min", "puffs": "{puff}", "sprays": "{spray}", "tablets": "{tablet}",
    "drops": "[drp]",
}
PROCEDURES: dict[str, tuple[str | None, str]] = {
    "airway-opa": (None, "Insertion of oropharyngeal airway"),
    "airway-npa": (None, "Insertion of nasopharyngeal airway"),
    "airway-igel": (None, "Insertion of supraglottic airway (i-gel)"),
    "airway-ett": ("112798008", "Insertion of endotracheal tube"),
    "cannulation-iv": (None, "Intravenous cannulation"),
    "cannulation-io": (None, "Intraosseous cannulation"),
    "splinting": (None, "Splinting"),
    "pelvic-binder": (None, "Application of pelvic binder"),
    "traction-splint": (None, "Application of traction splint"),
    "tourniquet": (None, "Application of tourniquet"),
    "cpr": ("89666000", "Cardiopulmonary resuscitation"),
    "defibrillation": (None, "Defibrillation"),
    "needle-decompression": (None, "Needle decompression of chest"),
    "other": (None, "Other procedure"),
}


def dmd_codes() -> dict[str, tuple[str, str]]:
    """Return formulary drug name (lower case) -> (dm+d VTM code, display)."""
    return dict(_DMD)


def _load_dmd() -> dict[str, tuple[str, str]]:
    data: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "dmd.yaml").read_text())
    out: dict[str, tuple[str, str]] = {}
    for name, entry in data["drugs"].items():
        out[str(name).casefold()] = (str(entry["vtm"]), str(entry["display"]))
    return out


_DMD = _load_dmd()
