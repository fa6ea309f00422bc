"""The crew app's forms: one `Section` per entry kind, its fieldsets and fields.

Choices come from the kinds' own Literal types, so a form never offers a value the schema
refuses.
"""

from __future__ import annotations

from typing import Any, get_args

from carechain.records.kinds._care import DoseUnit, Procedure, Route
from carechain.records.kinds._history import Consent, Severity
from carechain.records.kinds._observation import Acvpu, EcgRhythm, Lead, OxygenDevice, Spo2Target
from carechain.records.kinds._outcome import ImpressionCategory, PreAlertCategory, Referral
from carechain.records.kinds._patient import Sex
from carechain.records.kinds._record import ClinicianRole
from carechain.records.kinds._survey import AirwayStatus, FindingStatus, HaemorrhageStatus
from carechain.web._crew_fields import Choices, Field, Fieldset, Section, label_of

__all__ = [
    "AMENDABLE",
    "BY_KIND",
    "BY_SLUG",
    "MEDICATIONS",
    "OBSERVATIONS",
    "OPENED",
    "SECTIONS",
    "SIGNOFF",
]


def _choices(literal: Any) -> Choices:
    return tuple((str(v), label_of(v)) for v in get_args(literal))


def _numbered(labels: tuple[str, ...]) -> Choices:
    return tuple((str(i), f"{i} — {text}") for i, text in enumerate(labels, start=1))


def _t(path: str, label: str, **kw: Any) -> Field:
    return Field(path, label, **kw)


def _when(path: str, label: str, **kw: Any) -> Field:
    return Field(path, label, "datetime", hint="UTC", **kw)


def _int(path: str, label: str, hint: str = "") -> Field:
    return Field(path, label, "int", hint=hint, inputmode="numeric")


def _num(path: str, label: str, hint: str = "") -> Field:
    return Field(path, label, "float", hint=hint, inputmode="decimal")


YES_NO: Choices = (("yes", "yes"), ("no", "no"))

INCIDENT = Section(
    "incident",
    "incident.recorded",
    "Incident and times",
    (
        Fieldset(
            "Dispatch",
            (
                _t("incident_number", "Incident number"),
                Field(
                    "category",
                    "ARP category",
                    "select",
                    _numbered(("life-threatening", "emergency", "urgent", "less urgent")),
                    cast="int",
                ),
                _t("dispatch_complaint", "Dispatch complaint", widget="textarea"),
                _t("address", "Incident address", widget="textarea"),
                _num("location.lat", "Latitude", "decimal degrees, WGS 84"),
                _num("location.lon", "Longitude", "decimal degrees, WGS 84"),
            ),
        ),
        Fieldset(
            "Times",
            (
                _when("call_received", "Call received"),
                _when("mobile", "Mobile"),
                _when("on_scene", "On scene"),
                _when("patient_contact", "Patient contact"),
                _when("left_scene", "Left scene"),
                _when("at_hospital", "At hospital"),
                _when("handover", "Handover"),
                _when("clear", "Clear"),
            ),
            id="times",
        ),
    ),
)

PATIENT = Section(
    "patient",
    "patient.recorded",
    "Patient",
    (
        Fieldset(
            "Identity",
            (
                Field("unknown_patient", "Unknown patient (cannot be identified)", "check"),
                _t("given_name", "Given name"),
                _t("family_name", "Family name"),
                Field("date_of_birth", "Date of birth", "date"),
                _int(
                    "estimated_age_years",
                    "Estimated age (years)",
                    "if the date of birth is unknown",
                ),
                Field("sex", "Sex", "select", _choices(Sex)),
                _t("nhs_number", "NHS number", hint="10 digits", inputmode="numeric"),
                Field("pregnant", "Pregnant", "yesno", YES_NO),
                _num("weight_kg", "Weight (kg)"),
            ),
        ),
        Fieldset(
            "Address and GP",
            (
                _t("address", "Home address", widget="textarea"),
                _t("postcode", "Postcode"),
                _t("gp_practice", "GP practice"),
            ),
        ),
        Fieldset(
            "Next of kin",
            (
                _t("next_of_kin.name", "Name"),
                _t("next_of_kin.relationship", "Relationship"),
                _t("next_of_kin.phone", "Phone", inputmode="tel"),
            ),
        ),
    ),
)

ALLERGIES = Field(
    "allergies",
    "Known allergies",
    "rows",
    columns=(
        Field("substance", "Substance"),
        Field("reaction", "Reaction"),
        Field("severity", "Severity", "select", _choices(Severity)),
    ),
)

HISTORY = Section(
    "patient-history",
    "history.recorded",
    "Presenting complaint and history",
    (
        Fieldset(
            "Presenting complaint",
            (
                _t("presenting_complaint", "Presenting complaint", widget="textarea"),
                _t(
                    "history_of_presenting_complaint",
                    "History of presenting complaint",
                    widget="textarea",
                ),
                _when("time_last_known_well", "Time last known well"),
                Field("suspected_infection", "Infection suspected", "yesno", YES_NO),
                Field("trauma", "Trauma", "yesno", YES_NO),
                _t("mechanism_of_injury", "Mechanism of injury", widget="textarea"),
            ),
        ),
        Fieldset(
            "Past history",
            (
                Field("past_medical_history", "Past medical history", "lines", hint="one per line"),
                Field("medications", "Regular medications", "lines", hint="one per line"),
            ),
        ),
        Fieldset(
            "Allergies",
            (
                ALLERGIES,
                Field("no_known_allergies", "No known allergies", "check"),
            ),
            id="allergies",
        ),
        Fieldset(
            "Safeguarding, capacity and consent",
            (
                Field("safeguarding.concerns", "Safeguarding concerns", "yesno", YES_NO),
                _t("safeguarding.details", "Safeguarding details", widget="textarea"),
                Field("capacity.has_capacity", "Has capacity", "yesno", YES_NO),
                _t("capacity.assessment", "Capacity assessment", widget="textarea"),
                Field("consent", "Consent", "select", _choices(Consent)),
                _t("social_concerns", "Social concerns", widget="textarea"),
            ),
        ),
    ),
)


def _finding(name: str, legend: str, statuses: Any) -> Fieldset:
    return Fieldset(
        legend,
        (
            Field(f"{name}.status", f"{legend}: status", "select", _choices(statuses)),
            _t(f"{name}.notes", f"{legend}: notes", widget="textarea"),
        ),
    )


PRIMARY = Section(
    "primary-survey",
    "survey.primary",
    "Primary survey (<C>ABCDE)",
    (
        _finding("catastrophic_haemorrhage", "Catastrophic haemorrhage", HaemorrhageStatus),
        _finding("airway", "Airway", AirwayStatus),
        _finding("breathing", "Breathing", FindingStatus),
        _finding("circulation", "Circulation", FindingStatus),
        _finding("disability", "Disability", FindingStatus),
        _finding("exposure", "Exposure", FindingStatus),
    ),
)

REGIONS = ("head", "neck", "chest", "abdomen", "pelvis", "limbs", "back", "other")
BEFAST = ("balance", "eyes", "face", "arm", "speech")

SECONDARY = Section(
    "secondary-survey",
    "survey.secondary",
    "Secondary survey",
    (
        Fieldset(
            "Findings by region",
            tuple(_t(region, region.capitalize(), widget="textarea") for region in REGIONS),
        ),
        Fieldset(
            "BE-FAST",
            (
                Field(
                    "befast.assessed",
                    "BE-FAST assessed: unticked signs are absent",
                    "check",
                    marker=True,
                ),
                *(
                    Field(f"befast.{sign}", f"{sign.capitalize()}: sign present", "check")
                    for sign in BEFAST
                ),
            ),
            id="befast",
        ),
    ),
)

OBSERVATIONS = Section(
    "observations",
    "observation.recorded",
    "Observations",
    (
        Fieldset("Time", (_when("taken_at", "Taken at", default="now"),)),
        Fieldset(
            "Respiratory",
            (
                _int("respiratory_rate", "Respiratory rate (/min)"),
                _int("spo2", "SpO2 (%)"),
                Field(
                    "spo2_scale",
                    "SpO2 scale",
                    "select",
                    (("1", "scale 1"), ("2", "scale 2 (target 88–92 %)")),
                    cast="int",
                ),
                Field("spo2_target", "SpO2 target (%)", "select", _choices(Spo2Target)),
                Field("oxygen", "Air or oxygen", "yesno", (("yes", "oxygen"), ("no", "air"))),
                _num("oxygen_flow_l_min", "Oxygen flow (L/min)"),
                Field("oxygen_device", "Oxygen device", "select", _choices(OxygenDevice)),
            ),
        ),
        Fieldset(
            "Circulation",
            (
                _int("systolic_bp", "Systolic BP (mmHg)"),
                _int("diastolic_bp", "Diastolic BP (mmHg)"),
                _int("pulse", "Pulse (/min)"),
                Field("ecg_rhythm", "ECG rhythm", "select", _choices(EcgRhythm)),
            ),
        ),
        Fieldset(
            "Disability and exposure",
            (
                Field("acvpu", "ACVPU", "select", _choices(Acvpu)),
                Field(
                    "gcs_eye",
                    "GCS eye",
                    "select",
                    _numbered(("none", "to pain", "to sound", "spontaneous")),
                    cast="int",
                ),
                Field(
                    "gcs_verbal",
                    "GCS verbal",
                    "select",
                    _numbered(("none", "sounds", "words", "confused", "orientated")),
                    cast="int",
                ),
                Field(
                    "gcs_motor",
                    "GCS motor",
                    "select",
                    _numbered(
                        (
                            "none",
                            "extension",
                            "abnormal flexion",
                            "withdraws",
                            "localises",
                            "obeys commands",
                        )
                    ),
                    cast="int",
                ),
                _num("temperature_c", "Temperature (°C)"),
                _num("blood_glucose_mmol_l", "Blood glucose (mmol/L)"),
                _int("pain_score", "Pain score (0–10)"),
            ),
        ),
        Fieldset(
            "12-lead ECG",
            (
                Field(
                    "twelve_lead.st_elevation_leads",
                    "ST elevation in leads",
                    "checks",
                    _choices(Lead),
                ),
                Field("twelve_lead.new_lbbb", "New LBBB", "check"),
                _t("twelve_lead.interpretation", "Interpretation", widget="textarea"),
            ),
            id="twelve-lead",
        ),
    ),
    multi=True,
)

OVERRIDE = Field(
    "override_reason",
    "Override reason",
    "textarea",
    hint="why this dose is right for this patient (at least 10 characters)",
)

MEDICATIONS = Section(
    "medications",
    "medication.administered",
    "Medication",
    (
        Fieldset(
            "Dose",
            (
                _t("drug", "Drug"),
                _num("dose", "Dose"),
                Field("unit", "Unit", "select", _choices(DoseUnit)),
                Field("route", "Route", "select", _choices(Route)),
                _when("given_at", "Given at", default="now"),
                _t("given_by", "Given by (staff id)", default="me"),
                _t("batch", "Batch number"),
                OVERRIDE,
            ),
        ),
    ),
    multi=True,
)

PROCEDURES = Section(
    "procedures",
    "procedure.performed",
    "Procedure",
    (
        Fieldset(
            "Procedure",
            (
                Field("procedure", "Procedure", "select", _choices(Procedure)),
                _t("details", "Details", hint="required for other"),
                _t("site", "Site"),
                _int("attempts", "Attempts"),
                Field("successful", "Successful", "yesno", YES_NO),
                _when("performed_at", "Performed at", default="now"),
                _t("performed_by", "Performed by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

IMPRESSION = Section(
    "impression",
    "impression.recorded",
    "Working impression",
    (
        Fieldset(
            "Impression",
            (
                _t("working_impression", "Working impression", widget="textarea"),
                Field("category", "Category", "select", _choices(ImpressionCategory)),
                Field("trauma", "Trauma", "yesno", YES_NO),
            ),
        ),
    ),
)

DISPOSITION = Section(
    "disposition",
    "disposition.recorded",
    "Disposition",
    (
        Fieldset(
            "Outcome",
            (
                Field(
                    "outcome",
                    "Outcome",
                    "select",
                    (("conveyed", "conveyed to hospital"), ("not-conveyed", "not conveyed")),
                ),
            ),
        ),
        Fieldset(
            "Conveyed",
            (
                Field(
                    "hospital_node",
                    "Destination hospital",
                    "select",
                    hint="the record is shared with this hospital and the pre-alert goes with "
                    "the next sync",
                ),
                _t("hospital", "Hospital name as said at handover"),
                Field("pre_alert", "Pre-alert the hospital", "check"),
                Field(
                    "pre_alert_category", "Pre-alert category", "select", _choices(PreAlertCategory)
                ),
                _when("eta", "ETA"),
                _t("requirements", "Requirements on arrival", widget="textarea"),
            ),
            id="conveyed",
        ),
        Fieldset(
            "Not conveyed",
            (
                Field("referral", "Referral", "select", _choices(Referral)),
                _t("safety_netting", "Safety-netting advice", widget="textarea"),
                _t("decision_by", "Decision by (staff id)"),
            ),
            id="not-conveyed",
        ),
    ),
)

NOTES = Section(
    "notes",
    "note.added",
    "Notes",
    (Fieldset("Note", (_t("text", "Note", widget="textarea"),)),),
    multi=True,
)

SIGNOFF = Section(
    "signoff",
    "record.signed",
    "Sign-off",
    (
        Fieldset(
            "Declaration",
            (
                _t("clinician_name", "Clinician name", default="me_name"),
                Field(
                    "clinician_role",
                    "Clinician role",
                    "select",
                    _choices(ClinicianRole),
                    default="me_role",
                ),
                _t("registration", "Registration", hint="HCPC, e.g. PA123456"),
                _when("signed_at", "Signed at", default="now"),
                Field(
                    "declaration",
                    "I declare this record accurate and complete",
                    "check",
                    unticked=True,
                ),
            ),
        ),
    ),
    whole=True,
)

OPENED = Section(
    "opened",
    "record.opened",
    "Vehicle",
    (Fieldset("Vehicle", (_t("callsign", "Callsign"), _t("vehicle", "Vehicle"))),),
)

SECTIONS: tuple[Section, ...] = (
    INCIDENT,
    PATIENT,
    HISTORY,
    PRIMARY,
    SECONDARY,
    OBSERVATIONS,
    MEDICATIONS,
    PROCEDURES,
    IMPRESSION,
    DISPOSITION,
    NOTES,
)
BY_SLUG: dict[str, Section] = {s.slug: s for s in SECTIONS}
BY_KIND: dict[str, Section] = {s.kind: s for s in (*SECTIONS, SIGNOFF, OPENED)}
# Kinds a crew member may amend from the history page.
AMENDABLE = frozenset(s.kind for s in (*SECTIONS, OPENED))
