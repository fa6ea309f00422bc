"""Operations on patient records: open, write, amend, address, read, list, hand over.

Each takes the door, the actor and the caller's unit of work; checks the permission and
the care relationship; drafts its entries and its audit entry in the unit. A refused
read is audited on its own (nothing else is written) and raises `Forbidden`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from carechain.accounts import BREAK_GLASS_MS
from carechain.accounts.breakglass import check_reason
from carechain.errors import CarechainError, FieldInvalid, Forbidden
from carechain.handover import build_handover
from carechain.node import Unit, Written
from carechain.node.replication import replication
from carechain.node.verify import verify_record
from carechain.operations.access import Access, addressed_here, held_record, record_access
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.prealert import with_ecg
from carechain.operations.readings import flush_before
from carechain.records.fold import AMENDMENT_KIND
from carechain.records.maternity import check_written_on
from carechain.records.safety import SecondClinician

__all__ = [
    "accept_handover",
    "address",
    "amend",
    "append",
    "break_glass",
    "check_read",
    "form_context",
    "list_records",
    "open_record",
    "read",
    "read_handover",
    "read_history",
    "read_replication",
    "read_state",
    "verify",
]

# Kinds that need more than `record.write`.
_KIND_ACTIONS = {"record.signed": "record.sign"}
# Kinds written only by an operation of their own (or by another node).
_OWN_OPERATION = {
    "birth.recorded": "is written by recording a birth (POST /records/{record_id}/births), "
                      "which opens the baby's own record",
    "previous_calls.requested": "is written by asking for previous calls "
                                "(POST /records/{record_id}/previous-calls)",
    "previous_calls.answered": "is written by the trust's records vault, not by a crew",
}


def _permit(door: Door, actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise Forbidden(f"a {actor.role} may not {action}", action=action, role=actor.role)


def _writable(door: Door, actor: Actor, record: bytes) -> None:
    """A writer writes only records it may read (its own device's, on a crew node)."""
    held_record(door.node, record)
    access = record_access(door.node, door.accounts, actor, record, door.now_ms())
    if not access.allowed:
        raise Forbidden(f"{actor.name} has no care relationship with this record",
                        action="record.write", role=actor.role)
    if access.why == "previous-call":
        raise Forbidden("a previous call is another crew's record: it is read here, never "
                        "written", action="record.write", role=actor.role)


def open_record(door: Door, actor: Actor, uow: Unit, *, data: dict[str, Any]) -> tuple[
    bytes, Written
]:
    """Start a record written by `actor`."""
    _permit(door, actor, "record.write")
    record, written = door.node.open_record(user=actor.user, data=data, uow=uow)
    door.audit(actor, uow, "record.write", record=record, detail={"kind": "record.opened"})
    return record, written


def _second(door: Door, confirmation: tuple[str, str] | None) -> SecondClinician | None:
    """A second clinician's staff id and PIN, checked against this node's accounts."""
    if confirmation is None:
        return None
    return SecondClinician(confirmation[0], confirmation[1], door.accounts)


def append(
    door: Door, actor: Actor, uow: Unit, *, record: bytes, kind: str, data: Any,
    confirmation: tuple[str, str] | None = None,
) -> Written:
    """Append a typed entry (a section) to a record; `confirmation` is a second clinician's
    (staff id, PIN) for a dose only a second clinician may let through."""
    _permit(door, actor, _KIND_ACTIONS.get(kind, "record.write"))
    if kind in _OWN_OPERATION:
        raise FieldInvalid("kind", f"{kind} {_OWN_OPERATION[kind]}")
    _writable(door, actor, record)
    if kind == "apgar.scored":
        check_written_on(kind, door.node.state(record))
    if kind == "disposition.recorded":  # a STEMI pre-alert carries the record's 12-lead
        data = with_ecg(door.node.state(record), data)
    flush_before(door, uow, record=record, kind=kind)  # held monitor readings go first
    granted = door.node.recipients(record)
    written = door.node.append(record=record, user=actor.user, kind=kind, data=data, uow=uow,
                               confirmation=_second(door, confirmation))
    door.audit(actor, uow, "record.write", record=record, detail={"kind": kind})
    if door.node.recipients(record) - granted:  # a disposition addressed it to a hospital
        node_name = data.get("hospital_node") if isinstance(data, dict) else None
        door.audit(actor, uow, "key.grant", record=record, detail={"node": str(node_name)})
        _address_babies(door, actor, uow, record=record, node_name=str(node_name))
    return written


def _address_babies(door: Door, actor: Actor, uow: Unit, *, record: bytes,
                    node_name: str) -> None:
    """Address the records of the babies born to this mother where she is addressed: a
    baby goes where its mother goes unless its own disposition names elsewhere (H-055)."""
    links = door.node.state(record).get("maternity", {}).get("links", [])
    for link in links:
        baby = bytes.fromhex(str(link.get("record")))
        if link.get("relation") != "baby" or not door.node.holds(baby):
            continue
        if door.node.address_to(record=baby, user=actor.user, node_name=node_name, uow=uow):
            door.audit(actor, uow, "key.grant", record=baby,
                       detail={"node": node_name, "born_to": record.hex()})


def amend(
    door: Door, actor: Actor, uow: Unit, *, record: bytes, supersedes: str, reason: str,
    data: Any, confirmation: tuple[str, str] | None = None,
) -> Written:
    """Supersede an entry's data with a reason."""
    _permit(door, actor, "record.write")
    _writable(door, actor, record)
    written = door.node.amend(record=record, user=actor.user, supersedes=supersedes,
                              reason=reason, data=data, uow=uow,
                              confirmation=_second(door, confirmation))
    door.audit(actor, uow, "record.write", record=record, detail={"kind": AMENDMENT_KIND})
    return written


def address(door: Door, actor: Actor, uow: Unit, *, record: bytes, node_name: str) -> (
    Written | None
):
    """Grant the record's key to a named hospital, vault or crew node."""
    _permit(door, actor, "key.grant")
    _writable(door, actor, record)
    flush_before(door, uow, record=record, kind=None)  # the hospital gets every reading
    written = door.node.address_to(record=record, user=actor.user, node_name=node_name, uow=uow)
    door.audit(actor, uow, "key.grant", record=record,
               detail={"node": node_name, "granted": written is not None})
    return written


def check_read(door: Door, actor: Actor, *, record: bytes, what: str,
               state: dict[str, Any] | None = None) -> Access:
    """Check that `actor` may read `record` (`state`: the record's state, when the caller has
    folded it already); a refusal is recorded in its own unit of work, then raised."""
    held_record(door.node, record)
    access = record_access(door.node, door.accounts, actor, record, door.now_ms(), state)
    if not access.allowed:
        raise door.refuse(actor, "record.read",
                          f"{actor.name} has no care relationship with this record; "
                          "break-glass access needs a reason", audit_as="record.view",
                          record=record, detail={"what": what})
    return access


def read(door: Door, actor: Actor, uow: Unit, *, record: bytes, what: str,
         state: dict[str, Any] | None = None) -> Access:
    """Check that `actor` may read `record`, and draft the audit entry of the read
    (`state`: the record's state, when the caller has folded it already).

    A refused read is recorded in its own unit, so the refusal stays in the trail even
    though the caller's unit (which holds nothing else) is abandoned by the raise.
    """
    access = check_read(door, actor, record=record, what=what, state=state)
    door.audit(actor, uow, "record.view", record=record, detail={"what": what,
                                                                 **access.detail()})
    return access


def read_state(door: Door, actor: Actor, uow: Unit, *, record: bytes,
               what: str = "state") -> dict[str, Any]:
    """Return a record's clinical state (with history), audited (folded once: the care
    relationship of a hospital reads the same state)."""
    held_record(door.node, record)
    try:
        state: dict[str, Any] | None = door.node.state(record)
    except CarechainError:  # not readable here: the read is refused (and audited) as ever
        state = None
    read(door, actor, uow, record=record, what=what, state=state)
    return state if state is not None else door.node.state(record)


def form_context(door: Door, actor: Actor, *, record: bytes) -> dict[str, Any]:
    """Return a record's state for a form's live preview (NEWS2 of the values being typed),
    access checked but not audited again: the form it belongs to was read, and audited,
    when it was opened; the preview shows only scores of what is being typed."""
    held_record(door.node, record)
    if not record_access(door.node, door.accounts, actor, record, door.now_ms()).allowed:
        raise Forbidden(f"{actor.name} has no care relationship with this record",
                        action="record.read", role=actor.role)
    return door.node.state(record)


def read_history(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> list[dict[str, Any]]:
    """Return every entry of a record with author and time, audited."""
    history: list[dict[str, Any]] = read_state(door, actor, uow, record=record,
                                               what="history")["history"]
    return history


def read_handover(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> dict[str, Any]:
    """Return the ATMIST or SBAR handover of a record, audited."""
    state = read_state(door, actor, uow, record=record, what="handover")
    handover = build_handover(state, now=datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC))
    return {**handover.to_dict(), "text": handover.to_text()}


def read_replication(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> dict[str, Any]:
    """Return where each entry of a record has reached, audited."""
    read(door, actor, uow, record=record, what="replication")
    return replication(door.node, record)


def verify(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> dict[str, Any]:
    """Verify every entry of a record, audited."""
    read(door, actor, uow, record=record, what="verify")
    findings = verify_record(door.node, record)
    return {"record_id": record.hex(), "ok": not findings,
            "findings": [f.to_dict() for f in findings]}


def list_records(door: Door, actor: Actor, uow: Unit, *, limit: int) -> list[dict[str, Any]]:
    """Return the records `actor` may read here, newest activity first, audited once."""
    if not any(actor.can(a) for a in ("record.read_own", "record.read_own_org",
                                       "record.read_addressed")):
        raise Forbidden(f"a {actor.role} may not read clinical records",
                        action="record.read", role=actor.role)
    node = door.node
    out = []
    for item in node.list_records(limit=10_000):
        record = bytes.fromhex(item["record_id"])
        try:
            access = record_access(node, door.accounts, actor, record, door.now_ms())
            if not access.allowed or access.why == "previous-call":  # shown with its call
                continue
        except CarechainError:
            continue
        out.append(item)
        if len(out) >= limit:
            break
    door.audit(actor, uow, "record.list", detail={"count": len(out)})
    return out


def break_glass(door: Door, actor: Actor, *, record: bytes, reason: str) -> dict[str, Any]:
    """Open a record with no care relationship, for 4 hours, giving a reason.

    Two stores: the audit entry is made durable first, then the access is granted, so a
    crash between them leaves a recorded request and no access (never the reverse). The
    operation commits its own unit of work for that reason.
    """
    _permit(door, actor, "break_glass")
    # A record not held here is not refused: the answer must not tell whether it exists
    # (the page then says nothing readable is here); the request is recorded all the same.
    if actor.staff_id is None or actor.kind != "person":
        raise Forbidden("break-glass is a person's decision, made at a login",
                        action="break_glass", role=actor.role)
    clean = check_reason(reason)
    until = door.now_ms() + BREAK_GLASS_MS
    with door.unit() as uow:
        door.audit(actor, uow, "break_glass", record=record,
                   detail={"reason": clean, "until_ms": until})
    person = door.accounts.person(actor.staff_id)
    if person is None:
        raise Forbidden("no such account here", action="break_glass", role=actor.role)
    door.accounts.break_glass(person, record.hex(), clean, now_ms=door.now_ms())
    return {"reason": clean, "until_ms": until}


def accept_handover(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> bool:
    """Accept a handover addressed to this hospital: one receipt, audited; False if it
    had already been accepted."""
    _permit(door, actor, "handover.accept")
    node = door.node
    held_record(node, record)
    state = node.state(record)
    if node.info.role != "hospital" or not addressed_here(node, record, state):
        raise Forbidden("only a record addressed to this hospital can be accepted here",
                        action="handover.accept", role=actor.role)
    accepted = [r for r in state.get("items", {}).get("receipts", [])
                if r.get("handover_accepted")]
    if accepted:
        return False
    now = datetime.fromtimestamp(door.now_ms() / 1000, tz=UTC)
    node.append(record=record, user=actor.user, kind="receipt.recorded", uow=uow,
                data={"received_at": now.isoformat(), "node": node.info.name,
                      "accepted_by": actor.user, "handover_accepted": True})
    door.audit(actor, uow, "handover.accept", record=record)
    return True
