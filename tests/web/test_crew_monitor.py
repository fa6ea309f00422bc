"""The crew's "attach monitor" control: the monitors heard over a real MLLP socket are
listed on the device, and only one a crew member attaches feeds the record, as them."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.devices import MllpListener, default_map, frame
from carechain.node.audit import read_audit
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.devices import Monitors
from tests.web.conftest import PIN, Site

MESSAGE = (Path(__file__).parent.parent / "fixtures" / "hl7"
           / "ihe-pcd01-e12-episodic.hl7").read_bytes()
ACME = "ACME_Gateway^080019FFFE3ED02D^EUI-64"


@pytest.fixture
def listening(crew_site: Site) -> Iterator[MllpListener]:
    monitors = Monitors(Door(crew_site.node, crew_site.accounts))
    listener = MllpListener(monitors, default_map(), port=0)
    listener.start()
    crew_site.client.app.state.monitors = monitors  # as `serve --mllp-port` does
    yield listener
    listener.stop()


def _send(listener: MllpListener) -> str:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        sock.sendall(frame(MESSAGE))
        data = b""
        while not data.endswith(b"\x1c\r"):
            chunk = sock.recv(4096)
            assert chunk
            data += chunk
    found = re.search(rb"MSA\|(A[AER])\|", data)
    assert found
    return found.group(1).decode()


def _record(site: Site) -> bytes:
    person = site.accounts.person("P100234")
    assert person is not None
    door = Door(site.node, site.accounts)
    with door.unit() as uow:
        record, _ = ops.open_record(door, Actor.person(person, "web"), uow,
                                    data={"callsign": "RRV-1"})
    return record


def test_a_crew_member_attaches_a_heard_monitor_and_its_frames_follow(
    crew_site: Site, listening: MllpListener,
) -> None:
    record = _record(crew_site)
    page = f"/crew/records/{record.hex()}/monitor"
    assert _send(listening) == "AE"  # heard, not attached: nothing stored
    crew_site.login("P100234", PIN)
    html = crew_site.client.get(page).text
    assert 'data-testid="no-monitor"' in html
    assert f'data-testid="heard-monitor" data-monitor="{ACME}"' in html
    r = crew_site.client.post(page, data={"csrf": crew_site.csrf(page), "monitor": ACME,
                                          "action": "attach"}, follow_redirects=False)
    assert r.status_code == 303
    assert f'data-testid="attached-monitor" data-monitor="{ACME}"' in crew_site.client.get(
        page).text
    assert _send(listening) == "AA"
    held = listening.monitors.readings.pending(record)  # held for its chunk, charted live
    assert [(r["systolic_bp"], r["source"]) for r in held] == [(111, ACME)]
    assert "vitals" not in crew_site.node.state(record)["items"]
    attached = [e for e in read_audit(crew_site.node) if e["action"] == "device.attach"]
    assert [(e["staff_id"], e["detail"]["monitor"]) for e in attached] == [("P100234", ACME)]

    r = crew_site.client.post(page, data={"csrf": crew_site.csrf(page), "monitor": ACME,
                                          "action": "detach"}, follow_redirects=False)
    assert r.status_code == 303
    frames = crew_site.node.state(record)["items"]["vitals"]  # written on detach
    assert [(f["author"], f["systolic_bp"], f["source"]) for f in frames] == [
        ("P100234", 111, ACME)]
    assert _send(listening) == "AE"
    assert len(crew_site.node.state(record)["items"]["vitals"]) == 1


def test_the_page_says_when_the_device_is_not_listening(crew_site: Site) -> None:
    record = _record(crew_site)
    crew_site.login("P100234", PIN)
    assert 'data-testid="not-listening"' in crew_site.client.get(
        f"/crew/records/{record.hex()}/monitor").text


def test_attaching_needs_the_sessions_csrf_token(crew_site: Site,
                                                 listening: MllpListener) -> None:
    record = _record(crew_site)
    _send(listening)
    crew_site.login("P100234", PIN)
    r = crew_site.client.post(f"/crew/records/{record.hex()}/monitor",
                              data={"csrf": "forged", "monitor": ACME, "action": "attach"},
                              follow_redirects=False)
    assert r.status_code == 403
    assert _send(listening) == "AE"
