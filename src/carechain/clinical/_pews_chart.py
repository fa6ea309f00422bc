"""The National PEWS chart bands for England, one table per age band.

Source: NHS England, Royal College of Paediatrics and Child Health and Royal College of
Nursing, System-wide Paediatric Observations Tracking (SPOT) programme: the National
Paediatric Early Warning System (PEWS) observation and escalation charts for England
(0–11 months, 1–4 years, 5–12 years, 13 years and over) and the "Configuration Document for
SPOT NPEWS" (NHS England), as transcribed in the RCPCH's machine-readable scoring
specification `spec/npews-scoring-spec.json` (rcpch/digital-pews, commit 4999c70,
checked by the RCPCH against the live NHS England charts on 2026-06-30). docs/clinical.md
restates every band.

The chart scores 0 (white), 1 (yellow), 2 (orange) or 4 (pink); there is no 3. The
charted bands meet at x.99 (e.g. 0–9.99, 10–19.99); every value the record holds for
these parameters is a whole number, so each band is written here by its whole-number
limits: a band `(low, high, score)` covers low ≤ value ≤ high, and `None` is open-ended.
"""

from __future__ import annotations

from typing import Literal

AgeBand = Literal["0-11m", "1-4y", "5-12y", "13+y"]
Level = Literal["none", "low", "medium", "high", "emergency"]
Bands = tuple[tuple[int | None, int | None, int], ...]

AGE_BANDS: tuple[AgeBand, ...] = ("0-11m", "1-4y", "5-12y", "13+y")
# The chart each age band is printed on; a child moves chart on their 1st, 5th and 13th
# birthday (completed years).
AGE_BAND_LABELS: dict[AgeBand, str] = {
    "0-11m": "0–11 months",
    "1-4y": "1–4 years",
    "5-12y": "5–12 years",
    "13+y": "13 years and over",
}

RESP_RATE: dict[AgeBand, Bands] = {
    "0-11m": ((None, 9, 4), (10, 19, 2), (20, 29, 1), (30, 49, 0), (50, 59, 1), (60, 69, 2),
              (70, None, 4)),
    "1-4y": ((None, 9, 4), (10, 19, 2), (20, 39, 0), (40, 49, 1), (50, 59, 2), (60, None, 4)),
    "5-12y": ((None, 9, 4), (10, 14, 2), (15, 19, 1), (20, 24, 0), (25, 39, 1), (40, 49, 2),
              (50, None, 4)),
    "13+y": ((None, 9, 4), (10, 14, 1), (15, 24, 0), (25, 29, 1), (30, 39, 2), (40, None, 4)),
}  # fmt: skip

HEART_RATE: dict[AgeBand, Bands] = {
    "0-11m": ((None, 79, 4), (80, 89, 2), (90, 109, 1), (110, 149, 0), (150, 169, 1),
              (170, 179, 2), (180, None, 4)),
    "1-4y": ((None, 59, 4), (60, 69, 2), (70, 89, 1), (90, 139, 0), (140, 149, 1),
             (150, 169, 2), (170, None, 4)),
    "5-12y": ((None, 59, 4), (60, 69, 2), (70, 79, 1), (80, 119, 0), (120, 139, 1),
              (140, 159, 2), (160, None, 4)),
    "13+y": ((None, 49, 4), (50, 59, 2), (60, 69, 1), (70, 99, 0), (100, 119, 1),
             (120, 129, 2), (130, None, 4)),
}  # fmt: skip

SYSTOLIC: dict[AgeBand, Bands] = {
    "0-11m": ((None, 49, 4), (50, 59, 2), (60, 69, 1), (70, 89, 0), (90, 99, 1),
              (100, 109, 2), (110, None, 4)),
    "1-4y": ((None, 49, 4), (50, 59, 2), (60, 79, 1), (80, 99, 0), (100, 119, 1),
             (120, 129, 2), (130, None, 4)),
    "5-12y": ((None, 69, 4), (70, 79, 2), (80, 89, 1), (90, 109, 0), (110, 119, 1),
              (120, 129, 2), (130, None, 4)),
    "13+y": ((None, 79, 4), (80, 89, 2), (90, 99, 1), (100, 119, 0), (120, 129, 1),
             (130, 139, 2), (140, None, 4)),
}  # fmt: skip

# The same on every chart: ≤91 % pink, 92–94 % yellow, ≥95 % white.
SPO2: Bands = ((None, 91, 4), (92, 94, 1), (95, None, 0))

# Oxygen support level by flow (L/min), the same on every chart: 0.01–1.99 yellow,
# 2–5.99 orange, 6 and over pink. Flows are recorded to a decimal place, so these limits
# are exact: below 2 scores 1, 2 up to below 6 scores 2, 6 and over scores 4. Any oxygen
# being given scores at least 1 (the Configuration Document: very low support still
# scores 1).
OXYGEN_FLOW_L_MIN: tuple[tuple[float, int], ...] = ((6.0, 4), (2.0, 2), (0.0, 1))
# Oxygen support level by inspired oxygen (%), the same on every chart: 16–29.99 yellow,
# 30–49.99 orange, 50 and over pink.
OXYGEN_PERCENT: tuple[tuple[int, int], ...] = ((50, 4), (30, 2), (16, 1))

# Respiratory distress, scored the same on every chart; the signs differ by age.
RESPIRATORY_DISTRESS: dict[str, int] = {"none": 0, "mild": 1, "moderate": 2, "severe": 4}
DISTRESS_SIGNS: dict[str, dict[str, str]] = {
    "younger": {  # 0–11 months and 1–4 years
        "mild": "nasal flaring; subcostal recession",
        "moderate": "head bobbing; tracheal tug; intercostal recession; "
        "inspiratory or expiratory noises",
        "severe": "sternal recession; grunting; exhaustion; impending respiratory arrest",
    },
    "older": {  # 5–12 years and 13 years and over
        "mild": "accessory muscle use",
        "moderate": "tracheal tug; intercostal recession; inspiratory or expiratory noises",
        "severe": "tripoding; supraclavicular recession; grunting; exhaustion; "
        "impending respiratory arrest",
    },
}

# Capillary refill time: ≤2 s white, ≥3 s orange (2), on every chart.
CRT_PROLONGED_S = 3
CRT_SCORE = 2

# PEWS total → escalation level (0 none, 1–4 low, 5–8 medium, 9–12 high, ≥13 emergency).
LEVELS: tuple[Level, ...] = ("none", "low", "medium", "high", "emergency")
ESCALATION: tuple[tuple[int, Level], ...] = ((13, "emergency"), (9, "high"), (5, "medium"),
                                          (1, "low"), (0, "none"))  # fmt: skip
# AVPU is not added to the total: a child responding only to voice is a specific concern
# at the high level, to pain or unresponsive at the emergency level.
AVPU_TRIGGER: dict[str, Level] = {"V": "high", "P": "emergency", "U": "emergency"}
# Temperature is not added either: ≥38.0 °C or <36.0 °C says "think sepsis".
THINK_SEPSIS_HIGH = 38.0
THINK_SEPSIS_LOW = 36.0
# The charts' minimum observation frequency and review time for each level.
RESPONSE: dict[Level, str] = {
    "none": "routine observations",
    "low": "reassess within 60 minutes",
    "medium": "clinical review within 30 minutes; reassess within 30 minutes; "
    "continuous SpO2 monitoring",
    "high": "rapid review within 15 minutes; observations every 30 minutes; "
    "continuous RR, SpO2 and ECG monitoring",
    "emergency": "immediate emergency review; observations every 15 minutes; "
    "continuous RR, SpO2 and ECG monitoring",
}


def age_band(age_years: int) -> AgeBand:
    """Return the chart for a child of `age_years` completed years."""
    if age_years < 1:
        return "0-11m"
    if age_years < 5:
        return "1-4y"
    if age_years < 13:
        return "5-12y"
    return "13+y"


def band_score(bands: Bands, value: int) -> int:
    """Return the score of the band `value` falls in."""
    for low, high, score in bands:
        if (low is None or value >= low) and (high is None or value <= high):
            return score
    raise ValueError(f"{value} is in no band")  # the tables cover every whole number


def expected_range(bands: Bands) -> tuple[int | None, int | None]:
    """Return the white (score 0) band: the chart's expected range for the age."""
    low, high, _ = next(band for band in bands if band[2] == 0)
    return low, high
