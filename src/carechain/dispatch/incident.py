"""The dispatch webhook's JSON body: one incident as the CAD system knows it now.

Each delivery is the whole incident (not a difference): a later delivery with the same
`incident_number` and a different body is an update, the same body again is a duplicate.
Errors name the field (`resources[0].node`), and nothing is stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from carechain.errors import FieldInvalid

__all__ = ["Incident", "parse_incident", "record_fields"]

Text = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Location(Strict):
    """Where the patient is: an address and, when the CAD has it, a WGS 84 position."""

    address: Annotated[str, Field(max_length=500)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    what3words: Annotated[str, Field(max_length=100)] | None = None


class Triage(Strict):
    """One triage determinant from the call: its system and code (e.g. AMPDS `09-E-01`)."""

    system: Literal["AMPDS", "NHS Pathways", "other"]
    code: Text
    text: Annotated[str, Field(max_length=500)] | None = None


class Resource(Strict):
    """A vehicle assigned to the incident, and the carechain crew node on board."""

    callsign: Text
    node: Text
    assigned_at: AwareDatetime | None = None


class Incident(Strict):
    """An incident as the CAD system sends it."""

    incident_number: Annotated[str, Field(min_length=1, max_length=64,
                                          pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    status: Literal["active", "cancelled"] = "active"
    updated_at: AwareDatetime | None = None
    """When the CAD last changed the incident: makes a change back to an earlier state a
    new revision rather than a duplicate of the earlier one."""
    call_received: AwareDatetime
    category: Annotated[int, Field(ge=1, le=4)]
    chief_complaint: Annotated[str, Field(max_length=500)] | None = None
    triage: Annotated[list[Triage], Field(max_length=20)] = Field(default_factory=list)
    location: Location
    resources: Annotated[list[Resource], Field(min_length=1, max_length=10)]
    cancel_reason: Annotated[str, Field(max_length=500)] | None = None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def parse_incident(raw: bytes) -> Incident:
    """Return the incident `raw` (JSON) describes, or raise FieldInvalid naming the field."""
    try:
        value: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FieldInvalid("body", f"must be a JSON object ({e})") from None
    if not isinstance(value, dict):
        raise FieldInvalid("body", "must be a JSON object")
    try:
        incident = Incident.model_validate(value)
    except ValidationError as e:
        first = e.errors()[0]
        raise FieldInvalid(_where(tuple(first["loc"])), first["msg"]) from None
    nodes = [r.node for r in incident.resources]
    if len(set(nodes)) != len(nodes):
        raise FieldInvalid("resources", "must not name the same node twice")
    if incident.status == "cancelled" and not incident.cancel_reason:
        raise FieldInvalid("cancel_reason", "is required when status is cancelled")
    return incident


def _iso(at: datetime) -> str:
    return at.isoformat()


def record_fields(incident: Incident, node: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the `record.opened` and `incident.recorded` data a crew node `node` opens its
    record with when it accepts `incident`."""
    mine = next((r for r in incident.resources if r.node == node), incident.resources[0])
    opened: dict[str, Any] = {"callsign": mine.callsign}
    codes = "; ".join(f"{t.system} {t.code}" + (f" {t.text}" if t.text else "")
                      for t in incident.triage)
    complaint = " — ".join(x for x in (incident.chief_complaint, codes) if x)
    recorded: dict[str, Any] = {
        "incident_number": incident.incident_number,
        "call_received": _iso(incident.call_received),
    }
    recorded["category"] = incident.category
    if complaint:
        recorded["dispatch_complaint"] = complaint
    if incident.location.address:
        recorded["address"] = incident.location.address
    if incident.location.lat is not None and incident.location.lon is not None:
        recorded["location"] = {"lat": incident.location.lat, "lon": incident.location.lon}
    return opened, recorded
