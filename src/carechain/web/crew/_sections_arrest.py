"""The crew app's forms for airway, breathing and vascular access, and for a cardiac
arrest's circumstances (the arrest timeline itself is `carechain.web.crew.arrest`)."""

from __future__ import annotations

from carechain.records.kinds.choices import (
    AccessRoute,
    Aetiology,
    AirwayConfirmation,
    AirwayDevice,
    ArrestEvent,
    ArrestLocation,
    ArrestRhythm,
    Co2Unit,
    RoleCriterion,
    Ventilation,
    Witnessed,
)
from carechain.web.crew._builders import YES_NO, choices, integer, number, text, when
from carechain.web.crew._fields import Field, Fieldset, Section

__all__ = ["ACCESS", "AIRWAY", "ARREST", "ARREST_EVENT", "BREATHING"]

AIRWAY = Section(
    "airway",
    "airway.managed",
    "Airway",
    (
        Fieldset(
            "Airway device",
            (
                Field("device", "Device", "select", choices(AirwayDevice)),
                number("size", "Size", hint="tube: internal diameter in mm"),
                integer("attempts", "Attempts"),
                Field("successful", "Successful", "yesno", YES_NO),
                when("performed_at", "Placed at", default="now"),
                text("performed_by", "Placed by (staff id)", default="me"),
            ),
        ),
        Fieldset(
            "Confirmation",
            (
                Field("confirmation", "Confirmed by", "select", choices(AirwayConfirmation)),
                number("etco2", "End-tidal CO2", hint="needed with waveform capnography"),
                Field("etco2_unit", "EtCO2 unit", "select", choices(Co2Unit)),
            ),
        ),
    ),
    multi=True,
)

BREATHING = Section(
    "breathing",
    "breathing.supported",
    "Ventilation",
    (
        Fieldset(
            "Ventilation",
            (
                Field("method", "Method", "select", choices(Ventilation)),
                integer("rate", "Rate (/min)"),
                integer("tidal_volume_ml", "Tidal volume (ml)"),
                number("peep_cmh2o", "PEEP (cmH2O)"),
                number("oxygen_l_min", "Oxygen (L/min)"),
                when("started_at", "Started at", default="now"),
                text("performed_by", "By (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

ACCESS = Section(
    "access",
    "access.attempted",
    "IV/IO access",
    (
        Fieldset(
            "Access",
            (
                Field("route", "Route", "select", choices(AccessRoute)),
                text("site", "Site", hint="e.g. left antecubital fossa, right proximal humerus"),
                integer("gauge", "Gauge (G)", hint="IV 14–24, IO 15"),
                integer("attempts", "Attempts"),
                Field("successful", "Successful", "yesno", YES_NO),
                when("performed_at", "At", default="now"),
                text("performed_by", "By (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

ARREST = Section(
    "arrest",
    "arrest.recorded",
    "Cardiac arrest",
    (
        Fieldset(
            "The arrest",
            (
                when("arrest_at", "Time of arrest"),
                Field("witnessed", "Witnessed", "select", choices(Witnessed)),
                Field("location", "Location", "select", choices(ArrestLocation)),
                Field("aetiology", "Presumed cause", "select", choices(Aetiology)),
                Field("first_rhythm", "First monitored rhythm", "select", choices(ArrestRhythm)),
                Field("resuscitation_attempted", "Resuscitation attempted", "yesno", YES_NO),
            ),
        ),
        Fieldset(
            "Before the crew",
            (
                Field("bystander_cpr", "Bystander CPR", "yesno", YES_NO),
                when("bystander_cpr_at", "Bystander CPR from"),
                Field("public_aed_applied", "Public-access AED applied", "yesno", YES_NO),
                Field("public_aed_shocked", "Public-access AED shocked", "yesno", YES_NO),
            ),
        ),
        Fieldset(
            "Decisions seen",
            (
                Field("dnacpr_seen", "DNACPR form seen", "yesno", YES_NO),
                Field("respect_seen", "ReSPECT form seen", "yesno", YES_NO),
                Field("notes", "Notes", "textarea"),
            ),
        ),
    ),
)

# An arrest event is written by a tap on the timeline; this form is how it is amended from
# the history (a wrong time, energy or rhythm), so it is not in the section list.
ARREST_EVENT = Section(
    "arrest-event",
    "arrest.event",
    "Arrest event",
    (
        Fieldset(
            "Event",
            (
                Field("event", "Event", "select", choices(ArrestEvent)),
                when("at", "At"),
                text("by", "By (staff id)", default="me"),
                number("energy_j", "Energy (J)", hint="a shock only"),
                Field("rhythm", "Rhythm", "select", choices(ArrestRhythm)),
                Field("criteria", "Criteria met", "checks", choices(RoleCriterion)),
                text("decision_by", "Decided by (staff id)"),
                Field("notes", "Notes", "textarea"),
            ),
        ),
    ),
    multi=True,
)
