"""The RCP NEWS2 chart 1 bands, one function per parameter (RCP NEWS2, December 2017)."""

from __future__ import annotations

from decimal import Decimal


def score_resp_rate(rate: int) -> int:
    """Score respiration rate: ≤8 3, 9–11 1, 12–20 0, 21–24 2, ≥25 3 (RCP NEWS2 chart 1)."""
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def score_spo2_scale1(spo2: int) -> int:
    """Score SpO2 scale 1: ≤91 3, 92–93 2, 94–95 1, ≥96 0 (RCP NEWS2 chart 1)."""
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def score_spo2_scale2(spo2: int, on_oxygen: bool | None) -> int | None:
    """Score SpO2 scale 2 (target 88–92%); None when ≥93% and air/oxygen is unknown."""
    # RCP NEWS2 chart 1, scale 2: ≤83 3, 84–85 2, 86–87 1, 88–92 0, ≥93 on air 0,
    # 93–94 on oxygen 1, 95–96 on oxygen 2, ≥97 on oxygen 3.
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92:
        return 0
    if on_oxygen is None:
        return None
    if not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def score_systolic(systolic: int) -> int:
    """Score systolic BP: ≤90 3, 91–100 2, 101–110 1, 111–219 0, ≥220 3 (RCP NEWS2 chart 1)."""
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def score_pulse(pulse: int) -> int:
    """Score pulse: ≤40 3, 41–50 1, 51–90 0, 91–110 1, 111–130 2, ≥131 3 (RCP NEWS2 chart 1)."""
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def score_temperature(value: Decimal) -> int:
    """Score temperature: ≤35.0 3, 35.1–36.0 1, 36.1–38.0 0, 38.1–39.0 1, ≥39.1 2 (RCP chart 1)."""
    if value <= Decimal("35.0"):
        return 3
    if value <= Decimal("36.0"):
        return 1
    if value <= Decimal("38.0"):
        return 0
    if value <= Decimal("39.0"):
        return 1
    return 2
