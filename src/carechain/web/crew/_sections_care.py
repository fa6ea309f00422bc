"""The crew app's forms for care given: observations, medications (with the override and
the second clinician's confirmation), procedures."""

from __future__ import annotations

from carechain.records.kinds.choices import (
    Acvpu,
    DoseUnit,
    EcgRhythm,
    Lead,
    OxygenDevice,
    Procedure,
    RespiratoryDistress,
    Route,
    Spo2Target,
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

__all__ = ["MEDICATIONS", "OBSERVATIONS", "OVERRIDE", "PROCEDURES"]

OBSERVATIONS = Section(
    "observations",
    "observation.recorded",
    "Observations",
    (
        Fieldset("Time", (when("taken_at", "Taken at", default="now"),)),
        Fieldset(
            "Respiratory",
            (
                integer("respiratory_rate", "Respiratory rate (/min)"),
                Field(
                    "respiratory_distress",
                    "Respiratory distress (child, PEWS)",
                    "select",
                    choices(RespiratoryDistress),
                    # The National PEWS chart's signs; under 5 and from 5 they differ.
                    hint="mild: nasal flaring, subcostal recession (under 5), accessory "
                    "muscles (5+); moderate: tracheal tug, intercostal recession, noises "
                    "(under 5 also head bobbing); severe: grunting, exhaustion, sternal "
                    "(under 5) or supraclavicular recession, tripoding (5+)",
                ),
                integer("spo2", "SpO2 (%)"),
                Field(
                    "spo2_scale",
                    "SpO2 scale",
                    "select",
                    (("1", "scale 1"), ("2", "scale 2 (target 88–92 %)")),
                    cast="int",
                ),
                Field("spo2_target", "SpO2 target (%)", "select", choices(Spo2Target)),
                Field("oxygen", "Air or oxygen", "yesno", (("yes", "oxygen"), ("no", "air"))),
                number("oxygen_flow_l_min", "Oxygen flow (L/min)"),
                Field("oxygen_device", "Oxygen device", "select", choices(OxygenDevice)),
            ),
        ),
        Fieldset(
            "Circulation",
            (
                integer("systolic_bp", "Systolic BP (mmHg)"),
                integer("diastolic_bp", "Diastolic BP (mmHg)"),
                integer("pulse", "Pulse (/min)"),
                integer("capillary_refill_s", "Capillary refill (s)", "central, seconds"),
                Field("ecg_rhythm", "ECG rhythm", "select", choices(EcgRhythm)),
            ),
        ),
        Fieldset(
            "Disability and exposure",
            (
                Field("acvpu", "ACVPU", "select", choices(Acvpu)),
                Field(
                    "gcs_eye",
                    "GCS eye",
                    "select",
                    numbered(("none", "to pain", "to sound", "spontaneous")),
                    cast="int",
                ),
                Field(
                    "gcs_verbal",
                    "GCS verbal",
                    "select",
                    numbered(("none", "sounds", "words", "confused", "orientated")),
                    cast="int",
                ),
                Field(
                    "gcs_motor",
                    "GCS motor",
                    "select",
                    numbered(
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
                number("temperature_c", "Temperature (°C)"),
                number("blood_glucose_mmol_l", "Blood glucose (mmol/L)"),
                integer("pain_score", "Pain score (0–10)"),
            ),
        ),
        Fieldset(
            "12-lead ECG",
            (
                Field(
                    "twelve_lead.st_elevation_leads",
                    "ST elevation in leads",
                    "checks",
                    choices(Lead),
                ),
                Field("twelve_lead.new_lbbb", "New LBBB", "check"),
                text("twelve_lead.interpretation", "Interpretation", widget="textarea"),
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
                text("drug", "Drug"),
                number("dose", "Dose"),
                Field("unit", "Unit", "select", choices(DoseUnit)),
                Field("route", "Route", "select", choices(Route)),
                when("given_at", "Given at", default="now"),
                text("given_by", "Given by (staff id)", default="me"),
                text("batch", "Batch number"),
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
                Field("procedure", "Procedure", "select", choices(Procedure)),
                text("details", "Details", hint="required for other"),
                text("site", "Site"),
                integer("attempts", "Attempts"),
                Field("successful", "Successful", "yesno", YES_NO),
                when("performed_at", "Performed at", default="now"),
                text("performed_by", "Performed by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)
