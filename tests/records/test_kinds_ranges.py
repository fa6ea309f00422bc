"""Every numeric range: the value just inside each limit passes, just outside is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from carechain.errors import FieldInvalid
from carechain.records.kinds import validate_body

T = "2024-05-01T14:32:00+01:00"
OBS: dict[str, Any] = {"taken_at": T}
GCS: dict[str, Any] = {"taken_at": T, "gcs_eye": 4, "gcs_verbal": 5, "gcs_motor": 6}
MED: dict[str, Any] = {
    "drug": "morphine",
    "dose": 5,
    "unit": "mg",
    "route": "IV",
    "given_at": T,
    "given_by": "p.jones",
}
PROC: dict[str, Any] = {"procedure": "cannulation-iv", "performed_at": T, "performed_by": "p.jones"}

# kind, base data, dotted field, low, high, step, rule
RANGES: list[tuple[str, dict[str, Any], str, float, float, float, str]] = [
    ("observation.recorded", OBS, "respiratory_rate", 0, 80, 1, "must be between 0 and 80 /min"),
    ("observation.recorded", OBS, "spo2", 50, 100, 1, "must be between 50 and 100 %"),
    (
        "observation.recorded",
        {"taken_at": T, "oxygen": True},
        "oxygen_flow_l_min",
        0,
        15,
        0.5,
        "must be between 0 and 15 L/min",
    ),
    ("observation.recorded", OBS, "systolic_bp", 40, 300, 1, "must be between 40 and 300 mmHg"),
    ("observation.recorded", OBS, "capillary_refill_s", 0, 10, 1, "must be between 0 and 10 s"),
    (
        "observation.recorded",
        {"taken_at": T, "systolic_bp": 300},
        "diastolic_bp",
        20,
        200,
        1,
        "must be between 20 and 200 mmHg",
    ),
    ("observation.recorded", OBS, "pulse", 20, 300, 1, "must be between 20 and 300 /min"),
    ("observation.recorded", GCS, "gcs_eye", 1, 4, 1, "must be between 1 and 4"),
    ("observation.recorded", GCS, "gcs_verbal", 1, 5, 1, "must be between 1 and 5"),
    ("observation.recorded", GCS, "gcs_motor", 1, 6, 1, "must be between 1 and 6"),
    (
        "observation.recorded",
        OBS,
        "temperature_c",
        25.0,
        45.0,
        0.1,
        "must be between 25.0 and 45.0 °C",
    ),
    (
        "observation.recorded",
        OBS,
        "blood_glucose_mmol_l",
        0.5,
        50.0,
        0.1,
        "must be between 0.5 and 50.0 mmol/L",
    ),
    ("observation.recorded", OBS, "pain_score", 0, 10, 1, "must be between 0 and 10"),
    ("patient.recorded", {}, "estimated_age_years", 0, 120, 1, "must be between 0 and 120 years"),
    ("patient.recorded", {}, "weight_kg", 0.3, 350, 0.1, "must be between 0.3 and 350 kg"),
    ("incident.recorded", {}, "category", 1, 4, 1, "must be between 1 and 4 (ARP category)"),
    (
        "incident.recorded",
        {"location": {"lon": 0.0}},
        "location.lat",
        -90,
        90,
        0.001,
        "must be between -90 and 90 degrees",
    ),
    (
        "incident.recorded",
        {"location": {"lat": 0.0}},
        "location.lon",
        -180,
        180,
        0.001,
        "must be between -180 and 180 degrees",
    ),
    ("procedure.performed", PROC, "attempts", 1, 10, 1, "must be between 1 and 10"),
]


def _with(base: dict[str, Any], dotted: str, value: float) -> dict[str, Any]:
    data = copy.deepcopy(base)
    *parents, leaf = dotted.split(".")
    node = data
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value
    return data


def _number(value: float, step: float) -> float:
    # Whole-number fields take ints; keep the type the field expects.
    return int(value) if float(step).is_integer() else round(value, 6)


def _cases() -> list[Any]:
    cases = []
    for kind, base, field, low, high, step, rule in RANGES:
        for label, value, ok in (
            ("low", low, True),
            ("high", high, True),
            ("below", low - step, False),
            ("above", high + step, False),
        ):
            cases.append(
                pytest.param(
                    kind, base, field, _number(value, step), ok, rule, id=f"{field}-{label}"
                )
            )
    return cases


@pytest.mark.parametrize(("kind", "base", "field", "value", "ok", "rule"), _cases())
def test_range_limits(
    kind: str, base: dict[str, Any], field: str, value: float, ok: bool, rule: str
) -> None:
    data = _with(base, field, value)
    if ok:
        out = validate_body(kind, data)
        node: Any = out
        for name in field.split("."):
            node = node[name]
        assert node == value
    else:
        with pytest.raises(FieldInvalid) as info:
            validate_body(kind, data)
        assert (info.value.field, info.value.rule) == (f"data.{field}", rule)


@pytest.mark.parametrize(("dose", "ok"), [(0.001, True), (1, True), (0, False), (-1, False)])
def test_dose_must_be_positive(dose: float, ok: bool) -> None:
    data = {**MED, "dose": dose}
    if ok:
        assert validate_body("medication.administered", data)["dose"] == dose
    else:
        with pytest.raises(FieldInvalid) as info:
            validate_body("medication.administered", data)
        assert (info.value.field, info.value.rule) == ("data.dose", "must be greater than 0")


@pytest.mark.parametrize(
    ("value", "ok"), [(36.0, True), (36.1, True), (38.05, False), (37.25, False), (37, True)]
)
def test_temperature_one_decimal_place(value: float, ok: bool) -> None:
    data = {"taken_at": T, "temperature_c": value}
    if ok:
        assert validate_body("observation.recorded", data)["temperature_c"] == value
    else:
        with pytest.raises(FieldInvalid) as info:
            validate_body("observation.recorded", data)
        assert info.value.field == "data.temperature_c"
        assert info.value.rule == "must have at most one decimal place"


@pytest.mark.parametrize(("scale", "ok"), [(1, True), (2, True), (0, False), (3, False)])
def test_spo2_scale_choices(scale: int, ok: bool) -> None:
    data = {"taken_at": T, "spo2": 90, "spo2_scale": scale, "spo2_target": "88-92"}
    if ok:
        assert validate_body("observation.recorded", data)["spo2_scale"] == scale
    else:
        with pytest.raises(FieldInvalid) as info:
            validate_body("observation.recorded", data)
        assert (info.value.field, info.value.rule) == ("data.spo2_scale", "must be one of: 1, 2")


@pytest.mark.parametrize(("crew", "ok"), [(["a"] * 1, True), ([f"s{i}" for i in range(11)], False)])
def test_crew_size(crew: list[str], ok: bool) -> None:
    if ok:
        assert validate_body("record.opened", {"crew": crew})["crew"] == crew
    else:
        with pytest.raises(FieldInvalid) as info:
            validate_body("record.opened", {"crew": crew})
        assert info.value.field == "data.crew"
