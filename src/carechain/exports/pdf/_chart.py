"""The observation chart: one column per set, one row per parameter, NEWS2 colours.

Each reading is coloured by its NEWS2 band on the RCP 2017 chart (score 3 red, 2 orange,
1 yellow), as `carechain.clinical.score_news2` scores that one set; the total row shows
the record's own NEWS2 points (`state["scores"]["news2_trend"]`) and the headline is
`state["scores"]["news2"]`, never a score of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from reportlab.lib import colors

from carechain.clinical import News2Input, score_news2
from carechain.clinical.errors import ClinicalValueError

__all__ = ["BAND_COLOURS", "chart_rows"]

# RCP NEWS2 chart colours by parameter score.
BAND_COLOURS = {0: colors.white, 1: colors.HexColor("#fff3a3"),
                2: colors.HexColor("#f8b26a"), 3: colors.HexColor("#ef6b6b")}

# (label, how to show a set's value, the NEWS2 component it is scored as)
ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("Resp rate /min", "respiratory_rate", "resp_rate"),
    ("SpO2 %", "spo2", "spo2"),
    ("Air / O2", "oxygen", "air_or_oxygen"),
    ("BP mmHg", "bp", "systolic"),
    ("Pulse /min", "pulse", "pulse"),
    ("ACVPU", "acvpu", "consciousness"),
    ("Temp °C", "temperature_c", "temperature"),
    ("GCS", "gcs", None),
    ("Glucose mmol/L", "blood_glucose_mmol_l", None),
    ("Pain /10", "pain_score", None),
)


def _shown(obs: Mapping[str, Any], key: str) -> str:
    if key == "bp":
        s, d = obs.get("systolic_bp"), obs.get("diastolic_bp")
        return "" if s is None else f"{s}/{d}" if d is not None else str(s)
    if key == "oxygen":
        on = obs.get("oxygen")
        if on is None:
            return ""
        flow = obs.get("oxygen_flow_l_min")
        return "Air" if not on else f"O2 {flow} L" if flow is not None else "O2"
    if key == "gcs":
        parts: list[Any] = [obs.get(f"gcs_{p}") for p in ("eye", "verbal", "motor")]
        return "" if None in parts else f"{sum(parts)} (E{parts[0]}V{parts[1]}M{parts[2]})"
    value = obs.get(key)
    return "" if value is None else str(value)


def _components(obs: Mapping[str, Any]) -> Mapping[str, int]:
    temperature = obs.get("temperature_c")
    try:
        result = score_news2(News2Input(
            resp_rate=obs.get("respiratory_rate"), spo2=obs.get("spo2"),
            spo2_scale=2 if obs.get("spo2_scale") == 2 else 1, on_oxygen=obs.get("oxygen"),
            systolic=obs.get("systolic_bp"), pulse=obs.get("pulse"),
            consciousness=obs.get("acvpu"),
            temperature=None if temperature is None else Decimal(str(temperature))))
    except ClinicalValueError:
        return {}
    return dict(result.components)


def chart_rows(state: Mapping[str, Any]) -> tuple[list[list[str]], list[tuple[int, int, Any]]]:
    """Return the chart's cells (header row first) and the (column, row, colour) to paint."""
    observations = list(state.get("items", {}).get("observations", []))
    trend = {str(p.get("at")): p for p in state.get("scores", {}).get("news2_trend", {})
             .get("points", [])}
    header = ["", *[str(o.get("taken_at", ""))[11:16] for o in observations]]
    rows = [header]
    paint: list[tuple[int, int, Any]] = []
    scored = [_components(o) for o in observations]
    for r, (label, key, component) in enumerate(ROWS, start=1):
        rows.append([label, *[_shown(o, key) for o in observations]])
        if component is None:
            continue
        for col, comps in enumerate(scored, start=1):
            score = comps.get(component)
            if score and rows[r][col]:
                paint.append((col, r, BAND_COLOURS[min(int(score), 3)]))
    totals = ["NEWS2"]
    for o in observations:
        point = next((p for at, p in trend.items()
                      if at[:16] == str(o.get("taken_at", ""))[:16]), None)
        totals.append("" if point is None else str(point.get("aggregate")) +
                      ("" if point.get("complete") else "+"))
    rows.append(totals)
    return rows, paint
