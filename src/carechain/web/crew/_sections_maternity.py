"""The crew app's maternity forms: the pregnancy, a labour assessment, blood loss and the
newborn's Apgar score. The birth itself is `carechain.web.crew.maternity` (it opens the
baby's own record); the form here is how a birth is amended from the history, so it is not
in the section list."""

from __future__ import annotations

from carechain.clinical.obstetric import APGAR_SIGNS
from carechain.records.kinds.choices import (
    ApgarMinute,
    BirthPresentation,
    BreathingAtBirth,
    Liquor,
    LossStage,
    Membranes,
    Presentation,
    Sex,
)
from carechain.web.crew._builders import YES_NO, choices, integer, text, when
from carechain.web.crew._fields import Field, Fieldset, Section

__all__ = ["APGAR", "BIRTH", "BLOOD_LOSS", "LABOUR", "PREGNANCY"]

PREGNANCY = Section(
    "pregnancy",
    "pregnancy.recorded",
    "Pregnancy",
    (
        Fieldset(
            "Gestation",
            (
                integer("gestation_weeks", "Gestation (completed weeks)"),
                integer("gestation_days", "and days", hint="0–6"),
                Field("due_date", "Due date", "date"),
                integer("babies_expected", "Babies expected"),
            ),
        ),
        Fieldset(
            "Obstetric history",
            (
                integer("gravida", "Gravida", hint="pregnancies, this one included"),
                integer("para", "Para", hint="births from 24 weeks, before this pregnancy"),
                text("booked_unit", "Booked maternity unit"),
                Field("handheld_notes_seen", "Handheld maternity notes seen", "yesno", YES_NO),
                text("complications", "Complications of this pregnancy", widget="textarea"),
            ),
        ),
    ),
)

LABOUR = Section(
    "labour",
    "labour.assessed",
    "Labour",
    (
        Fieldset(
            "Contractions",
            (
                when("assessed_at", "Assessed at", default="now"),
                integer("contractions_per_10_min", "Contractions in 10 minutes"),
                integer("contraction_duration_s", "Each lasting (seconds)"),
            ),
        ),
        Fieldset(
            "Membranes and presenting part",
            (
                Field("membranes", "Membranes", "select", choices(Membranes)),
                when("membranes_ruptured_at", "Ruptured at"),
                Field("liquor", "Liquor", "select", choices(Liquor)),
                Field("presenting_part", "Presenting part", "select", choices(Presentation)),
                Field("urge_to_push", "Urge to push", "yesno", YES_NO),
                Field("crowning", "Crowning", "yesno", YES_NO),
                text("notes", "Notes", widget="textarea"),
            ),
        ),
    ),
    multi=True,
)

BLOOD_LOSS = Section(
    "blood-loss",
    "blood_loss.estimated",
    "Blood loss",
    (
        Fieldset(
            "Estimated blood loss",
            (
                Field("stage", "Stage", "select", choices(LossStage)),
                integer("estimated_ml", "Loss so far in this stage (ml)"),
                when("estimated_at", "Estimated at", default="now"),
                text("notes", "Notes", widget="textarea"),
            ),
        ),
    ),
    multi=True,
)

# Each sign's choices say what scores 0, 1 and 2 (Apgar 1953).
_SIGNS = tuple(
    Field(name, label, "select", tuple((str(n), f"{n} — {said}") for n, said in enumerate(words)),
          cast="int")
    for name, label, words in APGAR_SIGNS
)

APGAR = Section(
    "apgar",
    "apgar.scored",
    "Apgar score",
    (
        Fieldset(
            "Apgar score",
            (
                Field("minute", "Minutes after birth", "select", choices(ApgarMinute),
                      cast="int"),
                *_SIGNS,
                when("scored_at", "Scored at", default="now"),
                text("scored_by", "Scored by (staff id)", default="me"),
            ),
        ),
    ),
    multi=True,
)

BIRTH = Section(
    "birth",
    "birth.recorded",
    "Birth",
    (
        Fieldset(
            "The birth",
            (
                when("born_at", "Born at", default="now"),
                Field("sex", "Baby's sex", "select", choices(Sex)),
                Field("presentation", "Presentation", "select", choices(BirthPresentation)),
                Field("breathing_at_birth", "At birth the baby was", "select",
                      choices(BreathingAtBirth)),
                Field("resuscitation", "Newborn resuscitation given", "yesno", YES_NO),
            ),
        ),
        Fieldset(
            "Cord and placenta",
            (
                when("cord_clamped_at", "Cord clamped at"),
                Field("placenta_delivered", "Placenta delivered", "yesno", YES_NO),
                when("placenta_delivered_at", "Placenta delivered at"),
                text("notes", "Notes", widget="textarea"),
            ),
        ),
    ),
    multi=True,
)
