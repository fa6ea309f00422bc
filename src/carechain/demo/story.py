"""The demo's jobs, played as they happen: the CAD sends the incident to the hub's webhook
(as an API client with the `dispatcher` role), the hub offers it to the assigned crew over
its live connection, the crew accepts it through the crew node's JSON API (as a crew
member's token), the record opens prefilled, and the crew documents the rest through the
door as its paramedic — the STEMI case with its 12-lead attached before the pre-alert, so
the pre-alert carries it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from carechain.demo.cases import Case
from carechain.demo.chain import DemoChain, DemoNode
from carechain.dispatch.held import held
from carechain.operations import Actor, Door, admin, ecgs, records

__all__ = ["Job", "cad_incident", "play_job"]

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Job:
    """One job of the demo: the case, the crew node and crew member, where it goes, and
    the 12-lead the crew attaches before the pre-alert (if any)."""

    case: Case
    crew: str
    staff_id: str
    hospital: str
    ecg: bytes | None = None


def cad_incident(case: Case, node: str, base: datetime) -> dict[str, Any]:
    """Return the CAD's JSON for a case's incident, assigned to crew node `node` (its
    number made unique to the run: a demo started again is a new incident)."""
    incident = dict(case.at(base)[0][1])
    return {
        "incident_number": f"{incident['incident_number']}-{base:%H%M%S}",
        "updated_at": incident["call_received"],
        "call_received": incident["call_received"],
        "category": incident["category"],
        "chief_complaint": incident["dispatch_complaint"],
        "location": {"address": incident["address"]},
        "resources": [{"callsign": case.opened["callsign"], "node": node,
                       "assigned_at": incident.get("mobile", incident["call_received"])}],
    }


def _token(site: DemoNode, name: str, *, role: str | None, staff_id: str | None) -> str:
    """Issue a day's bearer token on a node, as its operator would (`carechain token
    issue`), audited there."""
    door = Door(site.node, site.accounts)
    with door.unit() as uow:
        _, token = admin.issue_client(door, Actor.operator(), uow, name=name, role=role,
                                      staff_id=staff_id, expires_ms=door.now_ms() + DAY_MS)
    return token


def _wait(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo timed out waiting for {what}")
        time.sleep(0.1)


def play_job(chain: DemoChain, job: Job, base: datetime) -> bytes:
    """Dispatch, accept and document one job; return the record's id."""
    hub, site = chain.nodes["hub"], chain.nodes[job.crew]
    cad = cad_incident(job.case, job.crew, base)
    _wait(lambda: any(c.name == job.crew for c in hub.node.directory.nodes("crew"))
          and any(c.name == job.hospital for c in site.node.directory.nodes("hospital")),
          "the hub and the crew to know each other")
    token = _token(hub, "demo CAD", role="dispatcher", staff_id=None)
    with httpx.Client(base_url=hub.url, timeout=30) as http:
        r = http.post("/dispatch/v1/incidents", json=cad,
                      headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
    inc = cad["incident_number"]
    _wait(lambda: bool(held(site.node, inc)), f"the offer of {inc} to reach {job.crew}")
    crew_token = _token(site, f"demo tablet {job.staff_id}", role=None, staff_id=job.staff_id)
    with httpx.Client(base_url=site.url, timeout=30) as http:
        r = http.post(f"/dispatch/offers/{inc}/accept",
                      headers={"Authorization": f"Bearer {crew_token}"})
        r.raise_for_status()
        record = bytes.fromhex(r.json()["record_id"])
    _document(site, job, record, base)
    return record


def _document(site: DemoNode, job: Job, record: bytes, base: datetime) -> None:
    """Write the rest of the case through the door as the crew member: what dispatch did
    not fill in, the 12-lead (if any) before the disposition, addressed to the hospital."""
    door = Door(site.node, site.accounts)
    person = site.accounts.person(job.staff_id)
    assert person is not None
    actor = Actor.person(person, "cli")
    filled = site.node.state(record)["sections"].get("incident", {})
    for kind, data in job.case.at(base):
        if kind == "incident.recorded":
            data = {k: v for k, v in data.items() if k not in filled}
            if not data:
                continue
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": job.hospital,
                    "eta": (base + timedelta(minutes=55)).isoformat()}
            if job.ecg is not None:
                with door.unit() as uow:
                    ecgs.add(door, actor, uow, record=record, filename="12-lead.dcm",
                             content=job.ecg)
        with door.unit() as uow:
            records.append(door, actor, uow, record=record, kind=kind, data=data)
