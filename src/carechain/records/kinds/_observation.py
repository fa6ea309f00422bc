"""`observation.recorded`: one set of vital signs taken at one time.

Ranges are data-entry plausibility limits (a value outside is a typing error), not the
NEWS2 or PEWS bands; both scores are computed by the fold (RCP NEWS2, 2017; the National
PEWS chart for a child, which adds respiratory distress and capillary refill time).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from carechain.records.kinds._common import (
    Between,
    Bool,
    Broken,
    FreeText,
    Int,
    KindModel,
    Num,
    Time,
    one_decimal,
    one_of,
    unique,
)

Acvpu = Literal["A", "C", "V", "P", "U"]
Spo2Target = Literal["94-98", "88-92"]
Spo2Scale = Literal[1, 2]
# National PEWS chart: respiratory distress none, mild, moderate or severe (the signs for
# each are printed on the chart for the child's age).
RespiratoryDistress = Literal["none", "mild", "moderate", "severe"]
OxygenDevice = Literal[
    "nasal-cannula",
    "simple-face-mask",
    "venturi-24",
    "venturi-28",
    "venturi-35",
    "venturi-40",
    "venturi-60",
    "non-rebreather",
    "bag-valve-mask",
    "tracheostomy-mask",
    "other",
]
EcgRhythm = Literal[
    "sinus-rhythm",
    "sinus-tachycardia",
    "sinus-bradycardia",
    "sinus-arrhythmia",
    "atrial-fibrillation",
    "atrial-flutter",
    "svt",
    "junctional",
    "first-degree-heart-block",
    "second-degree-heart-block-type-1",
    "second-degree-heart-block-type-2",
    "third-degree-heart-block",
    "paced",
    "vt",
    "vf",
    "asystole",
    "pea",
    "other",
]
Lead = Literal[
    "I", "II", "III", "aVR", "aVL", "aVF",
    "V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9", "V3R", "V4R",
]  # fmt: skip


class TwelveLead(KindModel):
    """A 12-lead ECG read: leads with ST elevation, new LBBB, the interpretation."""

    st_elevation_leads: (
        Annotated[
            list[Annotated[Lead, one_of(Lead)]],
            Field(max_length=17),
            AfterValidator(unique("must not list the same lead twice")),
        ]
        | None
    ) = None
    new_lbbb: Bool | None = None
    interpretation: FreeText | None = None


# The fields that are measurements: an entry must carry at least one of them.
MEASUREMENTS: tuple[str, ...] = (
    "respiratory_rate",
    "respiratory_distress",
    "spo2",
    "oxygen",
    "systolic_bp",
    "diastolic_bp",
    "pulse",
    "capillary_refill_s",
    "acvpu",
    "gcs_eye",
    "gcs_verbal",
    "gcs_motor",
    "temperature_c",
    "blood_glucose_mmol_l",
    "pain_score",
    "ecg_rhythm",
    "twelve_lead",
)
GCS_PARTS = ("gcs_eye", "gcs_verbal", "gcs_motor")


class ObservationRecorded(KindModel):
    """`observation.recorded`: any subset of the vital signs, taken at `taken_at`."""

    taken_at: Time
    respiratory_rate: Annotated[Int, Between(0, 80, "/min")] | None = None
    respiratory_distress: (
        Annotated[RespiratoryDistress, one_of(RespiratoryDistress)] | None
    ) = None
    spo2: Annotated[Int, Between(50, 100, "%")] | None = None
    spo2_scale: Annotated[Spo2Scale, one_of(Spo2Scale)] | None = None
    spo2_target: Annotated[Spo2Target, one_of(Spo2Target)] | None = None
    oxygen: Bool | None = None
    oxygen_flow_l_min: Annotated[Num, Between(0, 15, "L/min")] | None = None
    oxygen_device: Annotated[OxygenDevice, one_of(OxygenDevice)] | None = None
    systolic_bp: Annotated[Int, Between(40, 300, "mmHg")] | None = None
    diastolic_bp: Annotated[Int, Between(20, 200, "mmHg")] | None = None
    pulse: Annotated[Int, Between(20, 300, "/min")] | None = None
    capillary_refill_s: Annotated[Int, Between(0, 10, "s")] | None = None
    acvpu: Annotated[Acvpu, one_of(Acvpu)] | None = None
    gcs_eye: Annotated[Int, Between(1, 4)] | None = None
    gcs_verbal: Annotated[Int, Between(1, 5)] | None = None
    gcs_motor: Annotated[Int, Between(1, 6)] | None = None
    temperature_c: (
        Annotated[Num, Between(25.0, 45.0, "°C", decimals=1), AfterValidator(one_decimal)] | None
    ) = None
    blood_glucose_mmol_l: Annotated[Num, Between(0.5, 50.0, "mmol/L", decimals=1)] | None = None
    pain_score: Annotated[Int, Between(0, 10)] | None = None
    ecg_rhythm: Annotated[EcgRhythm, one_of(EcgRhythm)] | None = None
    twelve_lead: TwelveLead | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        if all(getattr(self, name) is None for name in MEASUREMENTS):
            broken.add("", "record at least one measurement besides taken_at (e.g. spo2, pulse)")
        # RCP NEWS2: SpO2 scale 2 only for a patient with a recorded target of 88–92 %.
        if self.spo2_scale == 2 and self.spo2_target != "88-92":
            broken.add(
                "spo2_scale",
                'scale 2 is only used when spo2_target "88-92" is recorded in the same entry',
            )
        if self.oxygen is not True:
            for name in ("oxygen_flow_l_min", "oxygen_device"):
                if getattr(self, name) is not None:
                    broken.add(name, "is only recorded when oxygen is true")
        if self.diastolic_bp is not None:
            if self.systolic_bp is None:
                broken.add("diastolic_bp", "needs systolic_bp in the same entry")
            elif self.diastolic_bp >= self.systolic_bp:
                broken.add(
                    "diastolic_bp",
                    f"must be lower than systolic_bp ({self.diastolic_bp} ≥ {self.systolic_bp})",
                )
        recorded = [name for name in GCS_PARTS if getattr(self, name) is not None]
        if recorded and len(recorded) != len(GCS_PARTS):
            missing = next(name for name in GCS_PARTS if name not in recorded)
            broken.add(missing, "GCS needs all three of gcs_eye, gcs_verbal, gcs_motor, or none")
        broken.raise_any()
        return self
