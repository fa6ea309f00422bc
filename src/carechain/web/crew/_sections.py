"""The crew app's forms: one `Section` per entry kind, its fieldsets and fields.

Choices come from the kinds' own Literal types, so a form never offers a value the schema
refuses.
"""

from __future__ import annotations

from typing import Any

from carechain.records.kinds.choices import (
    AirwayStatus,
    ClinicianRole,
    Consent,
    FindingStatus,
    HaemorrhageStatus,
    ImpressionCategory,
    PreAlertCategory,
    Referral,
    Severity,
    Sex,
)
from carechain.web.crew._builders import (
    YES_NO,
    choices,
    integer,
    number,
    numbered,
    text,
    when,
)
from carechain.web.crew._fields import Field, Fieldset, Section
from carechain.web.crew._sections_arrest import ACCESS, AIRWAY, ARREST, ARREST_EVENT, BREATHING
from carechain.web.crew._sections_care import MEDICATIONS, OBSERVATIONS, PROCEDURES
from carechain.web.crew._sections_consent import (
    CAPACITY,
    REFERRAL,
    REFUSAL,
    SAFEGUARDING,
    SIGNATURE,
)
from carechain.web.crew._sections_maternity import (
    APGAR,
    BIRTH,
    BLOOD_LOSS,
    LABOUR,
    PREGNANCY,
)
from carechain.web.crew._sections_trauma import (
    HAEMORRHAGE,
    IMMOBILISATION,
    INJURY,
    MECHANISM,
    TRIAGE,
)

__all__ = [
    "AMENDABLE",
    "BIRTH",
    "BY_KIND",
    "BY_SLUG",
    "MEDICATIONS",
    "OBSERVATIONS",
    "OPENED",
    "SECTIONS",
    "SIGNOFF",
]


INCIDENT = Section(
    "incident",
    "incident.recorded",
    "Incident and times",
    (
        Fieldset(
            "Dispatch",
            (
                text("incident_number", "Incident number"),
                Field(
                    "category",
                    "ARP category",
                    "select",
                    numbered(("life-threatening", "emergency", "urgent", "less urgent")),
                    cast="int",
                ),
                text("dispatch_complaint", "Dispatch complaint", widget="textarea"),
                text("address", "Incident address", widget="textarea"),
                number("location.lat", "Latitude", "decimal degrees, WGS 84"),
                number("location.lon", "Longitude", "decimal degrees, WGS 84"),
            ),
        ),
        Fieldset(
            "Times",
            (
                when("call_received", "Call received"),
                when("mobile", "Mobile"),
                when("on_scene", "On scene"),
                when("patient_contact", "Patient contact"),
                when("left_scene", "Left scene"),
                when("at_hospital", "At hospital"),
                when("handover", "Handover"),
                when("clear", "Clear"),
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
                text("given_name", "Given name"),
                text("family_name", "Family name"),
                Field("date_of_birth", "Date of birth", "date"),
                integer(
                    "estimated_age_years",
                    "Estimated age (years)",
                    "if the date of birth is unknown",
                ),
                Field("sex", "Sex", "select", choices(Sex)),
                text("nhs_number", "NHS number", hint="10 digits", inputmode="numeric"),
                Field("pregnant", "Pregnant", "yesno", YES_NO),
                number("weight_kg", "Weight (kg)"),
            ),
        ),
        Fieldset(
            "Address and GP",
            (
                text("address", "Home address", widget="textarea"),
                text("postcode", "Postcode"),
                text("gp_practice", "GP practice"),
            ),
        ),
        Fieldset(
            "Next of kin",
            (
                text("next_of_kin.name", "Name"),
                text("next_of_kin.relationship", "Relationship"),
                text("next_of_kin.phone", "Phone", inputmode="tel"),
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
        Field("severity", "Severity", "select", choices(Severity)),
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
                text("presenting_complaint", "Presenting complaint", widget="textarea"),
                text(
                    "history_of_presenting_complaint",
                    "History of presenting complaint",
                    widget="textarea",
                ),
                when("time_last_known_well", "Time last known well"),
                Field("suspected_infection", "Infection suspected", "yesno", YES_NO),
                Field("trauma", "Trauma", "yesno", YES_NO),
                text("mechanism_of_injury", "Mechanism of injury", widget="textarea"),
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
                text("safeguarding.details", "Safeguarding details", widget="textarea"),
                Field("capacity.has_capacity", "Has capacity", "yesno", YES_NO),
                text("capacity.assessment", "Capacity assessment", widget="textarea"),
                Field("consent", "Consent", "select", choices(Consent)),
                text("social_concerns", "Social concerns", widget="textarea"),
            ),
        ),
    ),
)


def _finding(name: str, legend: str, statuses: Any) -> Fieldset:
    return Fieldset(
        legend,
        (
            Field(f"{name}.status", f"{legend}: status", "select", choices(statuses)),
            text(f"{name}.notes", f"{legend}: notes", widget="textarea"),
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
            tuple(text(region, region.capitalize(), widget="textarea") for region in REGIONS),
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

IMPRESSION = Section(
    "impression",
    "impression.recorded",
    "Working impression",
    (
        Fieldset(
            "Impression",
            (
                text("working_impression", "Working impression", widget="textarea"),
                Field("category", "Category", "select", choices(ImpressionCategory)),
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
                text("hospital", "Hospital name as said at handover"),
                Field("pre_alert", "Pre-alert the hospital", "check"),
                Field(
                    "pre_alert_category", "Pre-alert category", "select", choices(PreAlertCategory),
                    hint="a STEMI pre-alert carries the record's newest 12-lead ECG",
                ),
                when("eta", "ETA"),
                text("requirements", "Requirements on arrival", widget="textarea"),
            ),
            id="conveyed",
        ),
        Fieldset(
            "Not conveyed",
            (
                Field("referral", "Referral", "select", choices(Referral)),
                text("safety_netting", "Safety-netting advice", widget="textarea"),
                text("decision_by", "Decision by (staff id)"),
            ),
            id="not-conveyed",
        ),
    ),
)

NOTES = Section(
    "notes",
    "note.added",
    "Notes",
    (Fieldset("Note", (text("text", "Note", widget="textarea"),)),),
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
                text("clinician_name", "Clinician name", default="me_name"),
                Field(
                    "clinician_role",
                    "Clinician role",
                    "select",
                    choices(ClinicianRole),
                    default="me_role",
                ),
                text("registration", "Registration", hint="HCPC, e.g. PA123456"),
                when("signed_at", "Signed at", default="now"),
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
    (Fieldset("Vehicle", (text("callsign", "Callsign"), text("vehicle", "Vehicle"))),),
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
    AIRWAY,
    BREATHING,
    ACCESS,
    ARREST,
    MECHANISM,
    HAEMORRHAGE,
    IMMOBILISATION,
    TRIAGE,
    PREGNANCY,
    LABOUR,
    BIRTH,
    BLOOD_LOSS,
    APGAR,
    IMPRESSION,
    CAPACITY,
    REFUSAL,
    SIGNATURE,
    REFERRAL,
    SAFEGUARDING,
    DISPOSITION,
    NOTES,
)
BY_SLUG: dict[str, Section] = {s.slug: s for s in SECTIONS}
BY_KIND: dict[str, Section] = {
    s.kind: s for s in (*SECTIONS, SIGNOFF, OPENED, ARREST_EVENT, INJURY)
}
# Kinds a crew member may amend from the history page.
AMENDABLE = frozenset(s.kind for s in (*SECTIONS, OPENED, ARREST_EVENT, INJURY))
