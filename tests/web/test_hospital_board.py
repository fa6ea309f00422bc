"""The hospital's incoming-patients board: what it lists, in which order, and how it stays
current."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.testing import Trust
from tests.web.hospital_support import AUDITOR, CASES, Ward, make_ward


@pytest.fixture
def ward(tmp_path: Path, trust: Trust) -> Iterator[Ward]:
    made = make_ward(tmp_path, trust)
    yield made
    made.close()


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="incoming-row"\s+data-record-id="([0-9a-f]{32})"', html)


def test_incoming_lists_patients_by_eta_with_category_and_handover_text(ward: Ward) -> None:
    stemi = ward.document(CASES["stemi"](), eta_minutes=20)
    trauma = ward.document(CASES["trauma"](), eta_minutes=5)
    ward.deliver()
    ward.login()

    page = ward.site.client.get("/hospital")
    assert page.status_code == 200
    assert _rows(page.text) == [trauma.hex(), stemi.hex()]  # soonest ETA first
    row = page.text[page.text.index(f'id="incoming-{stemi.hex()}"'):]
    row = row[:row.index("</li>")]
    assert 'data-testid="category-badge">STEMI<' in row
    assert "RRV-412" in row and "67 M" in row
    assert 'data-format="SBAR"' in row and "Inferior STEMI" in row
    assert "NEWS2 2 · Low" in row

    board = ward.site.client.get("/hospital/api/incoming").json()
    assert [p["record_id"] for p in board["incoming"]] == [trauma.hex(), stemi.hex()]
    first = board["incoming"][0]
    assert first["category"] == "trauma" and first["category_label"] == "Trauma"
    assert first["handover"]["format"] == "ATMIST"
    text = first["handover"]["text"]
    assert text.startswith("A: 24 M") and "M: Motorcyclist" in text
    assert first["age_sex"] == "24 M" and first["callsign"] == "A-217"
    assert first["news2"]["band"] == "low"
    assert board["handed_over"] == []
    assert _rows(board["html"]) == [trauma.hex(), stemi.hex()]


def test_a_patient_without_an_eta_comes_last(ward: Ward) -> None:
    late = ward.document(CASES["stemi"](), eta_minutes=40)
    no_eta = ward.document(CASES["trauma"]())
    # The demo case gives an ETA relative to its start; a crew that gives none:
    ward.crew.append(record=no_eta, user="P100234", kind="disposition.recorded",
                     data={"eta": None})
    soon = ward.document(CASES["stemi"](), eta_minutes=3)
    ward.deliver()
    ward.login()
    board = ward.site.client.get("/hospital/api/incoming").json()
    assert [p["record_id"] for p in board["incoming"]] == [soon.hex(), late.hex(), no_eta.hex()]
    assert board["incoming"][2]["eta"] is None


def test_a_record_not_addressed_here_is_not_on_the_board(ward: Ward) -> None:
    ward.node("hospital-b", "hospital")
    ward.document(CASES["stemi"](), eta_minutes=10, hospital_node="hospital-b")
    ward.deliver()
    ward.login()
    page = ward.site.client.get("/hospital")
    assert _rows(page.text) == []
    assert 'data-testid="incoming-empty"' in page.text


def test_an_accepted_handover_moves_to_handed_over_today(ward: Ward) -> None:
    first = ward.document(CASES["stemi"](), eta_minutes=10)
    second = ward.document(CASES["trauma"](), eta_minutes=15)
    ward.deliver()
    ward.login()
    csrf = ward.site.csrf(f"/hospital/records/{first.hex()}")
    r = ward.site.client.post(f"/hospital/records/{first.hex()}/accept", data={"csrf": csrf},
                              follow_redirects=False)
    assert r.status_code == 303

    board = ward.site.client.get("/hospital/api/incoming").json()
    assert [p["record_id"] for p in board["incoming"]] == [second.hex()]
    assert [p["record_id"] for p in board["handed_over"]] == [first.hex()]
    assert board["handed_over"][0]["handed_over"]["by"] == "ED4411"
    page = ward.site.client.get("/hospital").text
    assert f'id="handed-over-{first.hex()}"' in page


def test_the_board_answers_a_long_poll_as_soon_as_a_pre_alert_arrives(ward: Ward) -> None:
    ward.document(CASES["trauma"](), eta_minutes=5)
    ward.deliver()
    ward.login()
    version = ward.site.client.get("/hospital/api/incoming").json()["version"]
    unchanged = ward.site.client.get(f"/hospital/api/incoming?since={version}&wait=0.3")
    assert unchanged.json()["version"] == version

    arriving = ward.document(CASES["stemi"](), eta_minutes=2)

    def arrive() -> None:
        time.sleep(0.5)
        ward.deliver()

    worker = threading.Thread(target=arrive)
    started = time.monotonic()
    worker.start()
    answer = ward.site.client.get(f"/hospital/api/incoming?since={version}&wait=20").json()
    waited = time.monotonic() - started
    worker.join()
    assert answer["version"] != version
    assert answer["incoming"][0]["record_id"] == arriving.hex()
    assert answer["incoming"][0]["category_label"] == "STEMI"
    assert waited < 2.5


def test_the_board_needs_a_login_and_an_ed_clinician(ward: Ward) -> None:
    r = ward.site.client.get("/hospital", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert ward.site.client.get("/hospital/api/incoming").status_code == 401
    ward.login(AUDITOR)
    r = ward.site.client.get("/hospital", headers={"Accept": "text/html"})
    assert r.status_code == 403


def test_monitor_frames_do_not_rebuild_the_board(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=10)
    ward.deliver()
    ward.login()
    before = ward.site.client.get("/hospital/api/incoming").json()
    board = ward.site.client.app.state.hospital_board  # type: ignore[attr-defined]
    kept = board.patients[record]
    for beat in (88, 90, 93):
        ward.frame(record, heart_rate=beat)
    ward.deliver()
    after = ward.site.client.get("/hospital/api/incoming").json()
    assert board.patients[record] is kept
    assert after["incoming"][0]["handover"] == before["incoming"][0]["handover"]


def test_opening_a_record_by_id(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=10)
    ward.deliver()
    ward.login()
    r = ward.site.client.get(f"/hospital/open?record_id={record.hex().upper()}",
                             follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/hospital/records/{record.hex()}"
    r = ward.site.client.get("/hospital/open?record_id=not-an-id")
    assert r.status_code == 422 and 'id="open-record-error"' in r.text
