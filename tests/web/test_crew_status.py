"""The status bar: where a record has reached (device, hub, hospital), whether the hub is
reachable, integrity alerts; and every form still working while the hub is down (P1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.loop import SyncLoop
from carechain.testing import ServedApp, Trust, make_node
from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew, text_of


def _status(crew: Crew, record: str = "") -> dict[str, Any]:
    r = crew.client.get("/crew/api/status" + (f"?record={record}" if record else ""))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[tuple[Node, TestClient]]:
    node = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    client = TestClient(create_app(node))
    yield node, client
    client.close()
    node.close()


def test_with_no_hub_everything_is_on_this_device(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(record, "observations", {"taken_at": f"{DAY}T09:14", "pulse": "80"})
    entries = len(crew.node.store.record(bytes.fromhex(record)))
    status = _status(crew, record)
    assert status["counts"] == {"device": entries, "hub": 0, "hospital": 0}
    assert status["hub"]["configured"] is False
    assert status["hub"]["text"].startswith("No hub configured")
    assert status["alerts"] == []
    page = crew.page(record)
    assert text_of(page, "count-device") == str(entries)
    assert text_of(page, "hub-status").startswith("No hub configured")
    assert _status(crew)["hub"]["configured"] is False  # the jobs page asks without a record
    assert crew.client.get("/crew/api/status?record=" + "ab" * 16).status_code == 404


def test_the_record_reaches_the_hub_then_the_hospital(
    crew_site: Site, trust: Trust, tmp_path: Path, hub: tuple[Node, TestClient]
) -> None:
    _, hub_client = hub
    hospital = make_node(tmp_path / "hospital-a", trust, role="hospital", name="hospital-a")
    hospital_client = TestClient(create_app(hospital))
    crew = Crew(crew_site).login()
    sync_with(hospital, hub_client)
    sync_with(crew.node, hub_client)  # the crew learns of the hospital through the hub
    record = crew.open()
    assert '<option value="hospital-a">' in crew.page(record, "disposition")
    crew.save(record, "patient", {"given_name": "Arthur", "family_name": "Pemberton"})
    crew.save(
        record,
        "disposition",
        {
            "outcome": "conveyed",
            "hospital_node": "hospital-a",
            "pre_alert": "on",
            "pre_alert_category": "stemi",
        },
    )
    entries = len(crew.node.store.record(bytes.fromhex(record)))
    assert _status(crew, record)["counts"] == {"device": entries, "hub": 0, "hospital": 0}

    sync_with(crew.node, hub_client)
    assert _status(crew, record)["counts"] == {"device": 0, "hub": entries, "hospital": 0}
    sync_with(hospital, hub_client)  # receives the pre-alert and signs a receipt
    sync_with(crew.node, hub_client)  # the receipt comes back
    status = _status(crew, record)
    assert status["counts"]["hospital"] == entries
    assert status["received_by"] == ["hospital-a"]
    handover = crew.page(record, "handover")
    receipt = text_of(handover, "receipts")
    assert "Received by hospital-a at" in receipt
    assert "received by hospital-a" in crew.page(record, "history")
    # An ED clinician accepts the handover at the hospital; the crew sees who.
    hospital.append(
        record=bytes.fromhex(record),
        user="E400001",
        kind="receipt.recorded",
        data={
            "received_at": f"{DAY}T09:58:00+00:00",
            "node": "hospital-a",
            "accepted_by": "E400001",
            "handover_accepted": True,
        },
    )
    sync_with(hospital, hub_client)
    sync_with(crew.node, hub_client)
    receipt = text_of(crew.page(record, "handover"), "receipts")
    assert f"Received by hospital-a at {DAY} 09:58 UTC · handover accepted by E400001" in receipt
    hospital_client.close()
    hospital.close()


def test_with_the_hub_down_every_form_still_works(
    crew_site: Site, trust: Trust, tmp_path: Path
) -> None:
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    served = ServedApp(create_app(hub))
    loop = SyncLoop(crew_site.node, (served.url,), interval=60)
    app = create_app(crew_site.node, sync_loop=loop, accounts=crew_site.accounts)
    site = Site(
        crew_site.node, crew_site.accounts, TestClient(app, base_url="http://127.0.0.1"), {}
    )
    crew = Crew(site).login()
    record = crew.open()
    assert _status(crew, record)["hub"]["reachable"] is False  # not reached yet

    loop.sync_peer(loop.peers[served.url])
    status = _status(crew, record)
    assert status["hub"] == {**status["hub"], "configured": True, "reachable": True}
    assert status["hub"]["text"].startswith("Hub reachable")
    assert status["counts"]["hub"] == status["counts"]["device"] + status["counts"]["hub"]

    served.stop()
    loop.sync_peer(loop.peers[served.url])
    status = _status(crew, record)
    assert status["hub"]["reachable"] is False
    assert status["hub"]["text"].startswith("Hub not reachable")
    assert 'data-reachable="no"' in crew.page(record)
    # Nothing needs the hub: open, document, hand over, sign off.
    crew.save(record, "observations", {"taken_at": f"{DAY}T09:14", "pulse": "80"})
    crew.save(record, "patient", {"unknown_patient": "on"})
    crew.save(record, "notes", {"text": "Hub down, carried on."})
    assert "SBAR" in crew.page(record, "handover")
    r = crew.post(
        f"/crew/records/{record}/signoff",
        {
            "clinician_name": "Sam Patel",
            "clinician_role": "paramedic",
            "registration": "PA123456",
            "signed_at": f"{DAY}T10:20",
            "declaration": "on",
        },
    )
    assert r.status_code == 303
    status = _status(crew, record)
    assert status["counts"]["device"] == 4
    assert crew.open("RRV-2")
    site.client.close()
    hub.close()


def test_an_integrity_alert_is_always_on_screen(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    app: Any = crew_site.client.app
    app.state.sync.heads.alert("hub", b"\x01" * 32, "fork", "two different tree heads")
    alerts = _status(crew, record)["alerts"]
    assert [a["kind"] for a in alerts] == ["fork"]
    assert "Integrity alert: hub hub: fork: two different tree heads" in alerts[0]["text"]
    assert 'data-testid="integrity-alert"' in crew.page(record)
    assert 'data-testid="integrity-alert"' in crew.client.get("/crew").text
