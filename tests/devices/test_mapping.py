"""The mapping table is data: the shipped one loads, a trust's own changes what is stored,
and a table that would store a wrong field or unit is refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.devices import Refused, default_map, load_map, parse_report
from carechain.devices.mapping import map_from
from carechain.errors import FieldInvalid

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hl7"

OWN = """
version: 1
metrics:
  - {mdc: 188736, name: MDC_MASS_BODY_ACTUAL, field: heart_rate, units: {"263875": 1}}
"""


def test_the_shipped_table_maps_the_five_frame_vitals_and_etco2() -> None:
    table = default_map()
    assert {m.field for m in table.metrics.values()} == {
        "heart_rate", "spo2", "respiratory_rate", "systolic_bp", "diastolic_bp", "etco2_kpa"}
    assert table.rank(147842) < table.rank(149546)  # the ECG's rate before the cuff's


def test_a_trusts_own_table_decides_what_is_known(tmp_path: Path) -> None:
    message = (FIXTURES / "variant-only-unknown.hl7").read_bytes()
    with pytest.raises(Refused):
        parse_report(message, default_map())
    own = tmp_path / "map.yaml"
    own.write_text(OWN)
    report = parse_report(message, map_from(own))
    assert report.frames[0]["heart_rate"] == 70  # whatever the trust's table says


@pytest.mark.parametrize(("text", "says"), [
    ("version: 2\nmetrics: []", "version: 1"),
    ("version: 1\nmetrics: [{mdc: 1, field: pulse, units: {'/min': 1}}]", "field"),
    ("version: 1\nmetrics: [{mdc: 1, field: spo2, units: {'%': 0}}]", "positive factor"),
    ("version: 1\nmetrics: [{mdc: 1, field: spo2, units: {}}]", "at least one unit"),
    ("version: 1\nmetrics: [{mdc: 1, field: spo2, units: {'%': 1}},"
     " {mdc: 1, field: spo2, units: {'%': 1}}]", "twice"),
    ("version: 1\nmetrics: [{mdc: 1, field: spo2, units: {'%': 1}}]\nignored: [{mdc: 1}]",
     "not also listed"),
    ("version: [", "not YAML"),
])
def test_a_wrong_table_is_refused(text: str, says: str) -> None:
    with pytest.raises(FieldInvalid, match=says):
        load_map(text)
