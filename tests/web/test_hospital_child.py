"""A child at the hospital: the board's badge and the patient page show the National PEWS
in place of NEWS2, with the chart for the child's age, and an estimated weight says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carechain.testing import Trust
from tests.web.hospital_support import CASES, Ward, make_ward


@pytest.fixture
def ward(tmp_path: Path, trust: Trust) -> Iterator[Ward]:
    made = make_ward(tmp_path, trust)
    yield made
    made.close()


def _child(ward: Ward) -> bytes:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    born = (datetime.now(UTC) - timedelta(days=3 * 365 + 100)).date().isoformat()
    ward.crew.append(record=record, user="P100234", kind="patient.recorded",
                     data={"date_of_birth": born})
    ward.crew.append(record=record, user="P100234", kind="observation.recorded", data={
        "taken_at": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
        "respiratory_rate": 45, "respiratory_distress": "moderate", "spo2": 93,
        "oxygen": True, "oxygen_flow_l_min": 2, "pulse": 150, "systolic_bp": 95,
        "capillary_refill_s": 3, "acvpu": "A",
    })  # fmt: skip
    ward.deliver()
    ward.login()
    return record


def test_the_board_and_the_patient_page_show_a_childs_pews(ward: Ward) -> None:
    record = _child(ward)
    board = ward.site.client.get("/hospital/api/incoming").json()
    (child,) = board["incoming"]
    assert child["news2"]["score_name"] == "PEWS"
    assert (child["news2"]["aggregate"], child["news2"]["band_label"]) == (10, "High")
    assert 'data-testid="news2-badge">PEWS 10 · High' in board["html"]
    page = ward.site.client.get(f"/hospital/records/{record.hex()}").text
    assert 'data-testid="news2-badge">PEWS 10 · High' in page
    assert "National PEWS chart for 1–4 years" in page
    assert "expected 90–139" in page  # HR 150 is outside the 1–4 years white band
    assert 'id="patient-weight" data-source="estimated">14 kg ESTIMATED from age' in page
