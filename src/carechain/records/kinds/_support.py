"""Airway, breathing and vascular access as structured entries: `airway.managed`,
`breathing.supported` and `access.attempted`.

Sources for the rules (docs/entry-kinds.md lists them): waveform capnography confirms
every tracheal tube and supraglottic airway ("no trace = wrong place", Resuscitation
Council UK 2021 ALS guidelines; JRCALC airway management), end-tidal CO2 in kPa or mmHg;
peripheral IV cannula gauges 14 to 24 G; intraosseous needles 15 G.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import model_validator

from carechain.records.kinds._common import (
    Between,
    Bool,
    Broken,
    Int,
    KindModel,
    Num,
    ShortText,
    StaffId,
    Time,
    one_of,
)

AirwayDevice = Literal["opa", "npa", "igel", "lma", "ett", "surgical"]
AirwayConfirmation = Literal[
    "waveform-capnography", "colorimetric", "auscultation", "chest-rise", "visualised"
]
Co2Unit = Literal["kPa", "mmHg"]
Ventilation = Literal["bag-valve-mask", "bag-valve-device", "ventilator", "cpap"]
AccessRoute = Literal["IV", "IO"]

# Devices that need waveform capnography to confirm their placement.
CAPNOGRAPHY_DEVICES = frozenset({"igel", "lma", "ett", "surgical"})
# End-tidal CO2 accepted per unit: 0 (no trace) up to a value no living patient exceeds.
CO2_RANGES = {"kPa": Between(0, 20, "kPa", 1), "mmHg": Between(0, 150, "mmHg")}
# Sizes per device: airway adjunct sizes, supraglottic sizes, tube internal diameter (mm).
SIZE_RANGES = {
    "opa": Between(0, 5),
    "npa": Between(3, 9, "mm"),
    "igel": Between(1, 5),
    "lma": Between(1, 6),
    "ett": Between(2, 10, "mm"),
    "surgical": Between(4, 10, "mm"),
}
GAUGES = {"IV": (14, 16, 18, 20, 22, 24), "IO": (15,)}


class AirwayManaged(KindModel):
    """`airway.managed`: one airway device placed (or tried), and how it was confirmed."""

    device: Annotated[AirwayDevice, one_of(AirwayDevice)]
    size: Num | None = None
    attempts: Annotated[Int, Between(1, 10)]
    successful: Bool
    confirmation: Annotated[AirwayConfirmation, one_of(AirwayConfirmation)] | None = None
    etco2: Num | None = None
    etco2_unit: Annotated[Co2Unit, one_of(Co2Unit)] | None = None
    performed_at: Time
    performed_by: StaffId

    @model_validator(mode="after")
    def _rules(self) -> Self:
        broken = Broken()
        size_range = SIZE_RANGES[self.device]
        if self.size is not None and not size_range.low <= self.size <= size_range.high:
            broken.add("size", f"{size_range.rule()} for {self.device}")
        if self.etco2 is not None and self.etco2_unit is None:
            broken.add("etco2_unit", "is required with etco2")
        if self.etco2_unit is not None and self.etco2 is None:
            broken.add("etco2", "is required with etco2_unit")
        if self.etco2 is not None and self.etco2_unit is not None:
            co2 = CO2_RANGES[self.etco2_unit]
            if not co2.low <= self.etco2 <= co2.high:
                broken.add("etco2", co2.rule())
        placed = self.successful and self.device in CAPNOGRAPHY_DEVICES
        if placed and self.confirmation != "waveform-capnography":
            broken.add(
                "confirmation",
                f"must be waveform-capnography when a {self.device} is placed",
            )
        if self.confirmation == "waveform-capnography" and self.etco2 is None:
            broken.add("etco2", "is required when confirmation is waveform-capnography")
        broken.raise_any()
        return self


class BreathingSupported(KindModel):
    """`breathing.supported`: ventilation or CPAP started, with its settings."""

    method: Annotated[Ventilation, one_of(Ventilation)]
    rate: Annotated[Int, Between(4, 60, "/min")] | None = None
    tidal_volume_ml: Annotated[Int, Between(20, 1000, "ml")] | None = None
    peep_cmh2o: Annotated[Num, Between(0, 20, "cmH2O")] | None = None
    oxygen_l_min: Annotated[Num, Between(0, 15, "L/min")] | None = None
    started_at: Time
    performed_by: StaffId


class AccessAttempted(KindModel):
    """`access.attempted`: one IV or IO attempt sequence at one site."""

    route: Annotated[AccessRoute, one_of(AccessRoute)]
    site: ShortText
    gauge: Int
    attempts: Annotated[Int, Between(1, 10)]
    successful: Bool
    performed_at: Time
    performed_by: StaffId

    @model_validator(mode="after")
    def _gauge_fits_route(self) -> Self:
        allowed = GAUGES[self.route]
        if self.gauge not in allowed:
            broken = Broken()
            listed = ", ".join(str(g) for g in allowed)
            broken.add("gauge", f"must be one of: {listed} (G) for {self.route}")
            broken.raise_any()
        return self
