"""The patient view on the hospital node: its chart data, the live stream, accepting the
handover, and the receipt that travels back to the crew."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from carechain.node.audit import read_audit
from carechain.sync.client import sync_with
from carechain.testing import ServedApp, Trust
from tests.web.hospital_support import CASES, CLINICIAN, PASSWORD, Ward, make_ward


@pytest.fixture
def ward(tmp_path: Path, trust: Trust) -> Iterator[Ward]:
    made = make_ward(tmp_path, trust)
    yield made
    made.close()


def _chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html,
                      re.S)
    assert found, "no chart data on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _testid(html: str, name: str) -> str:
    found = re.search(rf'data-testid="{re.escape(name)}">([^<]*)<', html)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def _events(raw: str) -> list[dict[str, Any]]:
    out = []
    for block in raw.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                     and not line.startswith(":"))
        if lines.get("event") == "vitals":
            out.append({"id": int(lines["id"]), **json.loads(lines["data"])})
    return out


def test_the_patient_page_shows_handover_prompts_treatment_and_chart_data(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    start = datetime.now(UTC) - timedelta(seconds=3)
    for i, (hr, spo2) in enumerate([(108, 94), (111, 95), (114, 93)]):
        ward.frame(record, at=(start + timedelta(seconds=i)).isoformat(), heart_rate=hr,
                   spo2=spo2, respiratory_rate=21, systolic_bp=106, diastolic_bp=70)
    ward.deliver()
    ward.login()

    page = ward.site.client.get(f"/hospital/records/{record.hex()}")
    assert page.status_code == 200
    html = page.text
    assert "Arthur Pemberton" in html and "943 476 5919" in html
    assert 'data-format="SBAR"' in html and "Inferior STEMI" in html
    assert 'data-rule="stemi.st-elevation"' in html
    assert "aspirin" in html and "IV cannulation" in html
    assert 'id="accept-handover"' in html

    # The text alternative: latest values and when they were taken.
    assert _testid(html, "latest-hr") == "114"
    assert _testid(html, "latest-spo2") == "93"
    assert _testid(html, "latest-rr") == "21"
    assert _testid(html, "latest-bp") == "106/70"
    assert _testid(html, "latest-news2") == "2"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", _testid(html, "latest-hr-time"))
    for chart in ("hr", "spo2", "rr", "bp", "news2"):
        assert f'aria-labelledby="chart-{chart}-title chart-{chart}-desc"' in html

    data = _chart_data(html)
    monitor = [p for p in data["points"] if p["source"] == "monitor"]
    observed = [p for p in data["points"] if p["source"] == "observation"]
    assert [p["hr"] for p in monitor] == [108, 111, 114]
    assert [(p["hr"], p["sys"], p["dia"]) for p in observed] == [(112, 104, 68), (104, 110, 72)]
    assert [p["news2"] for p in data["news2"]] == [6, 2]
    assert [c["id"] for c in data["charts"]] == ["hr", "spo2", "rr", "bp", "news2"]

    views = [e for e in read_audit(ward.hospital) if e["action"] == "record.view"]
    assert [(e["staff_id"], e["record"], e["outcome"]) for e in views] == \
        [(CLINICIAN, record.hex(), "success")]


def test_the_event_stream_catches_up_from_a_cursor(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    ward.deliver()
    ward.login()
    cursor = ward.hospital.store.count()
    ward.frame(record, heart_rate=131, spo2=91)
    ward.crew.append(record=record, user="P100234", kind="observation.recorded", data={
        "taken_at": datetime.now(UTC).isoformat(), "respiratory_rate": 26, "spo2": 91,
        "oxygen": False, "systolic_bp": 92, "diastolic_bp": 60, "pulse": 130, "acvpu": "A",
        "temperature_c": 37.0})
    ward.deliver()

    r = ward.site.client.get(f"/hospital/records/{record.hex()}/events?after={cursor}&lifetime=0")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    [event] = _events(r.text)
    assert [p.get("hr") for p in event["points"]] == [131, 130]
    assert [p["source"] for p in event["points"]] == ["monitor", "observation"]
    assert [p["news2"] for p in event["news2"]][-1] > 2
    assert event["id"] >= cursor


def test_the_event_stream_sends_a_new_frame_as_it_arrives(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    ward.deliver()
    served = ServedApp(ward.site.client.app)
    try:
        with httpx.Client(base_url=served.url, timeout=5.0) as http:
            r = http.post("/login", data={"staff_id": CLINICIAN, "secret": PASSWORD, "next": "/"})
            assert r.status_code in (200, 303)
            page = http.get(f"/hospital/records/{record.hex()}").text
            cursor = re.search(r'data-cursor="(\d+)"', page)
            assert cursor
            url = f"/hospital/records/{record.hex()}/events?after={cursor.group(1)}"
            received: list[dict[str, Any]] = []
            with http.stream("GET", url) as stream:
                assert stream.status_code == 200
                lines = stream.iter_lines()
                assert next(lines).startswith("retry:")  # connected: now the frame arrives
                sent = time.monotonic()
                ward.frame(record, heart_rate=142, spo2=89)
                ward.deliver()
                block: list[str] = []
                for line in lines:
                    if line:
                        block.append(line)
                        continue
                    received += _events("\n".join(block) + "\n\n")
                    block = []
                    if received or time.monotonic() - sent > 5:
                        break
                took = time.monotonic() - sent
    finally:
        served.stop()
    assert received, "no vitals event within the timeout"
    [point] = received[0]["points"]
    assert (point["hr"], point["spo2"], point["source"]) == (142, 89, "monitor")
    assert took < 2.0


def test_accepting_the_handover_writes_a_receipt_that_reaches_the_crew(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    sync_with(ward.crew, ward.site.client)  # the real protocol: crew → hospital and back
    ward.login()
    path = f"/hospital/records/{record.hex()}"
    csrf = ward.site.csrf(path)

    r = ward.site.client.post(f"{path}/accept", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{path}?accepted=1"
    receipts = ward.hospital.state(record)["items"]["receipts"]
    accepted = [x for x in receipts if x.get("handover_accepted")]
    assert len(accepted) == 1
    assert accepted[0]["accepted_by"] == CLINICIAN and accepted[0]["node"] == "hospital-a"
    assert datetime.fromisoformat(accepted[0]["received_at"]) > datetime.now(UTC) - \
        timedelta(minutes=1)
    assert [e["record"] for e in read_audit(ward.hospital)
            if e["action"] == "handover.accept"] == [record.hex()]

    again = ward.site.client.post(f"{path}/accept", data={"csrf": csrf}, follow_redirects=False)
    assert again.status_code == 303
    assert len([x for x in ward.hospital.state(record)["items"]["receipts"]
                if x.get("handover_accepted")]) == 1
    page = ward.site.client.get(path).text
    assert 'id="handover-accepted"' in page and 'id="accept-handover"' not in page

    sync_with(ward.crew, ward.site.client)
    crew_receipts = ward.crew.state(record)["items"]["receipts"]
    assert any(x.get("handover_accepted") and x["accepted_by"] == CLINICIAN
               for x in crew_receipts)


def test_accepting_without_the_csrf_token_is_refused_and_stores_nothing(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=15)
    ward.deliver()
    ward.login()
    before = ward.hospital.store.count()
    r = ward.site.client.post(f"/hospital/records/{record.hex()}/accept", data={},
                              follow_redirects=False)
    assert r.status_code == 403
    r = ward.site.client.post(f"/hospital/records/{record.hex()}/accept",
                              data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert ward.hospital.store.count() == before


def test_nkda_is_not_shown_in_allergy_red_but_a_listed_allergy_is(ward: Ward) -> None:
    record = ward.document(CASES["stemi"]())  # the case records no known allergies
    ward.deliver()
    ward.login()
    page = ward.site.client.get(f"/hospital/records/{record.hex()}").text
    assert "none known (NKDA)" in page
    assert 'class="hb-allergies" data-alert="no"' in page
    ward.crew.append(record=record, user="P100234", kind="history.recorded",
                     data={"no_known_allergies": False,
                           "allergies": [{"substance": "penicillin", "reaction": "rash"}]})
    ward.deliver()
    page = ward.site.client.get(f"/hospital/records/{record.hex()}").text
    assert 'class="hb-allergies hb-allergy-alert" data-alert="yes"' in page
    assert "penicillin (rash)" in page


def test_the_patient_page_shows_each_news2_parameter(ward: Ward) -> None:
    record = ward.document(CASES["stemi"]())
    ward.deliver()
    ward.login()
    page = ward.site.client.get(f"/hospital/records/{record.hex()}").text
    values = re.search(r'<ul class="headline-values" id="headline-values">(.*?)</ul>', page, re.S)
    assert values is not None
    for parameter in ("resp_rate", "spo2", "air_or_oxygen", "systolic", "pulse",
                      "consciousness", "temperature"):
        assert f'data-parameter="{parameter}"' in values.group(1)
    assert "RR" in values.group(1) and "Pulse" in values.group(1)
