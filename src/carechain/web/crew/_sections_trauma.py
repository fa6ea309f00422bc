"""The crew app's trauma forms: the mechanism of injury, the major-trauma triage decision,
haemorrhage control and immobilisation (injuries are marked on `carechain.web.crew.bodymap`;
the form here is how a mark is amended from the history, so it is not in the section list)."""

from __future__ import annotations

from carechain.records.kinds.choices import (
    Destination,
    HaemorrhageMethod,
    Immobilisation,
    InjurySeverity,
    InjuryType,
    Mechanism,
    Region,
    RtcType,
    TriageCriterion,
    View,
)
from carechain.web.crew._builders import YES_NO, choices, number, text, when
from carechain.web.crew._fields import Field, Fieldset, Section

__all__ = ["HAEMORRHAGE", "IMMOBILISATION", "INJURY", "MECHANISM", "TRIAGE"]

MECHANISM = Section(
    "mechanism",
    "trauma.mechanism",
    "Mechanism of injury",
    (
        Fieldset(
            "Mechanism",
            (
                Field("mechanism", "Mechanism", "select", choices(Mechanism)),
                when("occurred_at", "Time of injury"),
                Field("details", "Details", "textarea", hint='required for "other"'),
            ),
        ),
        Fieldset(
            "Road traffic collision",
            (
                Field("rtc_type", "Patient was", "select", choices(RtcType)),
                number("speed_mph", "Speed (mph)"),
                Field("ejected", "Ejected", "yesno", YES_NO),
                Field("trapped", "Trapped", "yesno", YES_NO),
            ),
        ),
        Fieldset(
            "Fall, assault or penetrating injury",
            (
                number("height_m", "Fall height (m)"),
                text("weapon", "Weapon"),
            ),
        ),
    ),
)

TRIAGE = Section(
    "trauma-triage",
    "trauma.triage",
    "Major-trauma triage",
    (
        Fieldset(
            "Triage",
            (
                Field("positive_criteria", "Positive criteria", "checks", choices(TriageCriterion)),
                Field("mtc_pre_alert", "MTC pre-alert", "yesno", YES_NO),
                Field("destination", "Destination", "select", choices(Destination)),
                text("destination_name", "Hospital"),
                Field("bypass_reason", "Reason for not going to the MTC", "textarea"),
                when("decided_at", "Decided at", default="now"),
                text("decided_by", "Decided by (staff id)", default="me"),
            ),
        ),
    ),
)

HAEMORRHAGE = Section(
    "haemorrhage",
    "haemorrhage.controlled",
    "Haemorrhage control",
    (
        Fieldset(
            "Haemorrhage control",
            (
                Field("method", "Method", "select", choices(HaemorrhageMethod)),
                Field("region", "Where", "select", choices(Region)),
                when("applied_at", "Applied at", default="now"),
                text("applied_by", "By (staff id)", default="me"),
                Field("effective", "Bleeding controlled", "yesno", YES_NO),
                Field("note", "Note", "textarea"),
            ),
        ),
    ),
    multi=True,
)

IMMOBILISATION = Section(
    "immobilisation",
    "immobilisation.applied",
    "Splints and immobilisation",
    (
        Fieldset(
            "Immobilisation",
            (
                Field("device", "Device", "select", choices(Immobilisation)),
                Field("region", "Where", "select", choices(Region), hint="a limb for a splint"),
                when("applied_at", "Applied at", default="now"),
                text("applied_by", "By (staff id)", default="me"),
                Field("note", "Note", "textarea"),
            ),
        ),
    ),
    multi=True,
)

INJURY = Section(
    "injury",
    "injury.marked",
    "Injury",
    (
        Fieldset(
            "Injury",
            (
                Field("view", "View", "select", choices(View)),
                Field("region", "Region", "select", choices(Region)),
                number("x", "Across the diagram (0–1)"),
                number("y", "Down the diagram (0–1)"),
                Field("type", "Type", "select", choices(InjuryType)),
                Field("severity", "Severity", "select", choices(InjurySeverity)),
                Field("note", "Note", "textarea"),
                when("marked_at", "Marked at"),
                text("marked_by", "Marked by (staff id)"),
            ),
        ),
    ),
    multi=True,
)
