"""Incidents from dispatch: a hub takes a CAD delivery and seals it as an offer to its crews;
a crew node holds the offers it pulled and a crew member accepts one, opening the record.

On the hub (`receive_incident`, `dispatch.receive`): the JSON is checked (an error names the
field and nothing is stored), resolved to the assigned crew nodes of the directory, sealed
to them and to the trust's vaults, signed by the hub and kept; the hub keeps no plaintext.
A delivery identical to one already taken is answered as a duplicate and stores nothing.

On a crew node (`accept_offer`, `record.write`): the newest revision of the incident is
opened with the node's key and the record opens with its call time, location, category
and triage codes, as the crew member, with a `dispatch.accept` audit entry.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from carechain.dispatch import (
    Incident,
    Offer,
    parse_incident,
    record_fields,
    seal_offer,
)
from carechain.dispatch.held import ACCEPTED, NEWEST, OFFER, SEEN, held, kept, open_held
from carechain.errors import FieldInvalid, Forbidden, NotFound
from carechain.node import Node, Unit
from carechain.operations.actor import Actor
from carechain.operations.door import Door

__all__ = ["accept_offer", "held_offers", "receive_incident"]


def _permit(actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise Forbidden(f"a {actor.role} may not {action}", action=action, role=actor.role)


def _digest(raw: bytes) -> str:
    """Return the digest of a delivery's JSON value (so whitespace makes no new revision)."""
    value = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(value.encode()).hexdigest()


def _recipients(node: Node, incident: Incident, earlier: list[Offer]) -> dict[bytes, bytes]:
    """The assigned crews' receiving keys, every crew an earlier revision went to (so a crew
    stood down hears of it), and the trust's vaults."""
    crews = {c.name: c for c in node.directory.nodes("crew") if c.org == node.info.org}
    found: dict[bytes, bytes] = {}
    for i, resource in enumerate(incident.resources):
        cert = crews.get(resource.node)
        if cert is None:
            raise FieldInvalid(f"resources[{i}].node", "names no crew node of this trust")
        found[cert.box_key_id] = cert.box_key
    for offer in earlier:
        for kid in offer.to:
            cert = node.directory.certificate_for_box_key(kid)
            if cert is not None:
                found[kid] = cert.box_key
    for cert in node.directory.nodes("vault"):
        if cert.org == node.info.org:
            found[cert.box_key_id] = cert.box_key
    return found


def receive_incident(door: Door, actor: Actor, uow: Unit, *, raw: bytes) -> dict[str, Any]:
    """Take one CAD delivery on a hub; return what was offered (or that it is a duplicate)."""
    _permit(actor, "dispatch.receive")
    if door.node.info.role != "hub":
        raise Forbidden("only a hub takes incidents from dispatch", action="dispatch.receive",
                        role=actor.role)
    incident = parse_incident(raw)
    inc = incident.incident_number
    seen_key = f"{SEEN}{inc}/{_digest(raw)}"
    everything = kept(door.node)
    earlier = [o for _, o in everything if o.incident == inc]
    seen = door.node.store.get_meta(seen_key)
    if seen is not None:
        same = next(o for k, o in everything if k == OFFER + seen.decode())
        answer = {**same.describe(), "duplicate": True}
    else:
        if earlier and earlier[-1].status == "cancelled":
            raise FieldInvalid("status", f"incident {inc} was cancelled: it takes no update")
        recipients = _recipients(door.node, incident, earlier)
        offer = seal_offer(door.node.keys, incident=inc, revision=len(earlier) + 1,
                           status=incident.status, at_ms=door.now_ms(), raw=raw,
                           recipients=recipients)
        seq = f"{len(everything) + 1:012d}"
        # Kept in the unit of work: the offer, its dedup key and the newest sequence (what
        # a live stream looks at) commit with the audit entry below, or not at all.
        uow.keep(OFFER + seq, offer.to_bytes())
        uow.keep(seen_key, seq.encode())
        uow.keep(NEWEST, seq.encode())
        answer = {**offer.describe(), "duplicate": False}
    answer["nodes"] = [r.node for r in incident.resources]
    door.audit(actor, uow, "dispatch.receive", detail={
        "incident_number": inc, "revision": answer["revision"], "status": answer["status"],
        "nodes": answer["nodes"], "duplicate": answer["duplicate"]})
    return answer


def _changes(before: Incident | None, after: Incident, node: str) -> list[str]:
    """What changed from one revision to the next, as the crew is told."""
    if before is None:
        return []
    out: list[str] = []
    if after.status == "cancelled":
        out.append(f"cancelled: {after.cancel_reason}")
    if after.category != before.category:
        out.append(f"category changed from {before.category} to {after.category}")
    added = [r.callsign for r in after.resources if r.node not in
             {b.node for b in before.resources}]
    if added:
        out.append("extra crew assigned: " + ", ".join(added))
    if node not in {r.node for r in after.resources}:
        out.append("this crew was stood down")
    if after.location != before.location:
        out.append("location changed")
    if after.triage != before.triage or after.chief_complaint != before.chief_complaint:
        out.append("triage changed")
    return out


def held_offers(door: Door, actor: Actor) -> list[dict[str, Any]]:
    """Return the incidents offered to this crew node: the newest revision of each, what
    each revision changed, and the record it opened if accepted."""
    _permit(actor, "record.read_own")
    by_incident: dict[str, list[Offer]] = {}
    for offer in held(door.node):
        by_incident.setdefault(offer.incident, []).append(offer)
    out = []
    for inc, offers in by_incident.items():
        before: Incident | None = None
        updates = []
        for offer in offers:
            now = open_held(door.node, offer)
            updates.append({"revision": offer.revision, "at_ms": offer.at_ms,
                            "changes": _changes(before, now, door.node.info.name)})
            before = now
        assert before is not None
        accepted = door.node.store.get_meta(ACCEPTED + inc)
        out.append({"incident_number": inc, "status": before.status,
                    "revision": offers[-1].revision, "incident": before.model_dump(mode="json"),
                    "updates": updates, "record": None if accepted is None else accepted.hex()})
    return out


def accept_offer(door: Door, actor: Actor, uow: Unit, *, incident: str) -> bytes:
    """Open the record of an offered incident as `actor`; return its id (the same record if
    it was accepted before)."""
    _permit(actor, "record.write")
    offers = held(door.node, incident)
    if not offers:
        raise NotFound(f"no dispatch offer for incident {incident!r} on this node")
    newest = open_held(door.node, offers[-1])
    if newest.status == "cancelled":
        raise FieldInvalid("incident", f"incident {incident} was cancelled by dispatch")
    accepted = door.node.store.get_meta(ACCEPTED + incident)
    if accepted is not None and door.node.store.record(accepted):
        return accepted
    opened, recorded = record_fields(newest, door.node.info.name)
    if actor.staff_id is not None:
        opened["crew"] = [actor.staff_id]
    record, _ = door.node.open_record(user=actor.user, data=opened, uow=uow)
    door.audit(actor, uow, "record.write", record=record, detail={"kind": "record.opened"})
    door.node.append(record=record, user=actor.user, kind="incident.recorded", data=recorded,
                     uow=uow)
    door.audit(actor, uow, "record.write", record=record, detail={"kind": "incident.recorded"})
    door.audit(actor, uow, "dispatch.accept", record=record, detail={
        "incident_number": incident, "revision": offers[-1].revision})
    uow.keep(ACCEPTED + incident, record)  # with the record's entries, or not at all
    return record
