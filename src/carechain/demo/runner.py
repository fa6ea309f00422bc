"""Play a scripted case through a node's HTTP API and render the result for a terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from carechain.demo.cases import Case

__all__ = ["play_case", "render_state"]


def play_case(client: httpx.Client, case: Case, *, base: datetime) -> str:
    """Document a case through the JSON API, entry by entry; return the record id.

    `client` carries the bearer token of the crew member writing it (`carechain token
    issue --staff …`): the API takes the author from the token, never from the body.
    """
    r = client.post("/records", json={"data": case.opened})
    r.raise_for_status()
    record_id = str(r.json()["record_id"])
    for kind, data in case.at(base):
        r = client.post(
            f"/records/{record_id}/entries", json={"kind": kind, "data": data}
        )
        if r.status_code != 201:
            raise RuntimeError(f"{kind} refused: {r.text}")
    return record_id


def _line(label: str, value: Any) -> str:
    return f"  {label:<22} {value}"


def render_state(state: dict[str, Any]) -> str:
    """Return a short, readable summary of a record's state."""
    s = state["sections"]
    patient, incident = s.get("patient", {}), s.get("incident", {})
    out = [f"record {state['record_id']}  ({state['entries']} entries)"]
    name = " ".join(x for x in (patient.get("given_name"), patient.get("family_name")) if x)
    out.append(
        _line(
            "patient",
            f"{name or 'unknown'}, born {patient.get('date_of_birth', '?')}, "
            f"NHS {patient.get('nhs_number', 'not recorded')}",
        )
    )
    out.append(
        _line(
            "incident",
            f"{incident.get('incident_number', '?')} category "
            f"{incident.get('category', '?')}: {incident.get('dispatch_complaint', '')}",
        )
    )
    out.append(_line("impression", s.get("impression", {}).get("working_impression", "-")))
    for obs in state["items"].get("observations", []):
        out.append(
            _line(
                f"obs {obs['taken_at'][11:16]}",
                f"RR {obs.get('respiratory_rate', '-')} SpO2 {obs.get('spo2', '-')} "
                f"BP {obs.get('systolic_bp', '-')}/{obs.get('diastolic_bp', '-')} "
                f"HR {obs.get('pulse', '-')} {obs.get('acvpu', '-')} "
                f"T {obs.get('temperature_c', '-')}",
            )
        )
    for med in state["items"].get("medications", []):
        out.append(
            _line(
                "given",
                f"{med['drug']} {med['dose']} {med['unit']} {med['route']} "
                f"at {med['given_at'][11:16]}",
            )
        )
    scores = state.get("scores", {})
    if "news2" in scores:
        n = scores["news2"]
        out.append(_line("NEWS2", f"{n['aggregate']} ({n['band']})"))
    for prompt in state.get("prompts", []):
        out.append(_line(f"prompt [{prompt['severity']}]", prompt["text"]))
    for conflict in state.get("conflicts", []):
        out.append(_line("CONFLICT", f"{conflict['section']}.{conflict['field']}"))
    return "\n".join(out)
