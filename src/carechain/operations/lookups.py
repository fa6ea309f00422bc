"""Patient lookup (PDS) and previous calls, on a crew node: every interface comes here.

- `ask` looks a patient up on PDS (by NHS number, or by demographics) for a record this
  crew is caring for: tried at once, else queued (`carechain.lookup.queue`); audited
  `patient.lookup` (how it was asked and what became of it, never the demographics);
- `confirm` writes the chosen PDS patient's details into the record as `patient.recorded`
  with the NHS number's verification status: the crew's decision, never automatic;
  `dismiss` sets an answer aside;
- `request_previous` writes `previous_calls.requested` into the record (the vault answers,
  `carechain.lookup.previous`); a number that is not this record's patient's is
  break-glass: a reason, the `break_glass` permission, audited `break_glass`;
- `previous` lists the requests, the vault's answers and the earlier records it granted,
  each shown record read audited `record.view` (`why` `previous-call`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from carechain.accounts.breakglass import check_reason
from carechain.clinical.nhs_number import check_nhs_number
from carechain.errors import CarechainError, FieldInvalid, Forbidden
from carechain.lookup.pds import Search
from carechain.lookup.queue import Job, LookupQueue
from carechain.node import Unit, Written
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.records import _writable, append, read

__all__ = ["ask", "confirm", "dismiss", "jobs", "previous", "request_previous", "search_of"]


def _queue(door: Door, actor: Actor) -> LookupQueue:
    if door.lookups is None:
        raise Forbidden("patient lookup is done on a crew node", action="patient.lookup",
                        role=actor.role)
    return door.lookups


def _number(value: object, field: str = "nhs_number") -> str:
    check = check_nhs_number(value if isinstance(value, str) else "")
    if not check.valid or check.number is None:
        raise FieldInvalid(field, check.reason or "must be an NHS number")
    return check.number


def search_of(fields: dict[str, Any]) -> Search:
    """Return the PDS search of a form's or a body's fields (family name and date of birth
    at least), naming the field that breaks a rule."""
    family = str(fields.get("family_name") or "").strip()
    if not family:
        raise FieldInvalid("family_name", "is required to search by demographics")
    try:
        born = date.fromisoformat(str(fields.get("date_of_birth") or ""))
    except ValueError:
        raise FieldInvalid("date_of_birth", "is required to search by demographics, "
                                            "as YYYY-MM-DD") from None
    sex = fields.get("sex") or None
    return Search(family=family, birthdate=born, given=fields.get("given_name") or None,
                  gender=sex, postcode=fields.get("postcode") or None)


def ask(door: Door, actor: Actor, uow: Unit, *, record: bytes, nhs_number: str | None = None,
        search: Search | None = None) -> Job:
    """Look a patient up on PDS for a record this crew is caring for (never blocks: a
    lookup PDS cannot answer now is queued)."""
    _writable(door, actor, record)
    queue = _queue(door, actor)
    number = None if nhs_number is None else _number(nhs_number)
    job = queue.ask(record, actor.user, search=search, nhs_number=number)
    door.audit(actor, uow, "patient.lookup", record=record, detail={
        "lookup": job.id, "by": "nhs_number" if number else "demographics",
        "state": job.state, "outcome": (job.answer or {}).get("outcome")})
    return job


def jobs(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> list[Job]:
    """Return a record's lookups, newest first (a read of the record, audited)."""
    read(door, actor, uow, record=record, what="lookups")
    return _queue(door, actor).jobs(record)


def confirm(door: Door, actor: Actor, uow: Unit, *, record: bytes, lookup: str,
            nhs_number: str) -> Written:
    """Write the PDS patient the crew chose into the record, with the NHS number's
    verification status (`patient.recorded`)."""
    queue = _queue(door, actor)
    job = queue.get(record, lookup)
    number = _number(nhs_number)
    if job.state != "answered":
        raise FieldInvalid("lookup", f"is {job.state}: only an answered lookup is confirmed")
    chosen = [p for p in job.patients() if p.nhs_number == number]
    if not chosen:
        raise FieldInvalid("nhs_number", "must be one of the patients this lookup answered")
    written = append(door, actor, uow, record=record, kind="patient.recorded",
                     data=chosen[0].patient_fields())
    queue.settle(record, lookup, "confirmed", confirmed=number)
    uow.on_rollback(lambda: queue.put_back(job))  # not written: still to confirm
    door.audit(actor, uow, "patient.lookup", record=record,
               detail={"lookup": lookup, "state": "confirmed"})
    return written


def dismiss(door: Door, actor: Actor, uow: Unit, *, record: bytes, lookup: str) -> Job:
    """Set a lookup's answer aside: nothing is written into the record."""
    _writable(door, actor, record)
    queue = _queue(door, actor)
    before = queue.get(record, lookup)
    job = queue.settle(record, lookup, "dismissed")
    uow.on_rollback(lambda: queue.put_back(before))
    door.audit(actor, uow, "patient.lookup", record=record,
               detail={"lookup": lookup, "state": "dismissed"})
    return job


def request_previous(door: Door, actor: Actor, uow: Unit, *, record: bytes,
                     nhs_number: str | None = None, reason: str | None = None) -> Written:
    """Ask the trust's records vault for this patient's previous calls (`nhs_number`: the
    record's patient's by default; another number is break-glass, with a reason)."""
    _writable(door, actor, record)
    if door.node.info.role != "crew":
        raise Forbidden("previous calls are asked for on a crew node",
                        action="previous_calls.request", role=actor.role)
    patient = door.node.state(record)["sections"].get("patient", {})
    own = patient.get("nhs_number")
    number = _number(nhs_number) if nhs_number else own
    if number is None:
        raise FieldInvalid("nhs_number", "record the patient's NHS number first, or give "
                                         "one (with a break-glass reason)")
    data: dict[str, Any] = {"nhs_number": number}
    if number != own:
        if not actor.can("break_glass") or actor.staff_id is None:
            raise Forbidden("asking for the previous calls of a patient who is not this "
                            "record's needs break-glass", action="break_glass",
                            role=actor.role)
        data["reason"] = check_reason(reason)
    written = _append_request(door, actor, uow, record=record, data=data)
    if "reason" in data:
        door.audit(actor, uow, "break_glass", record=record,
                   detail={"reason": data["reason"], "what": "previous-calls"})
    return written


def _append_request(door: Door, actor: Actor, uow: Unit, *, record: bytes,
                   data: dict[str, Any]) -> Written:
    """Write the request entry and its audit entry."""
    written = door.node.append(record=record, user=actor.user, kind="previous_calls.requested",
                               data=data, uow=uow)
    door.audit(actor, uow, "previous_calls.request", record=record,
               detail={"entry": written.entry.hex, "break_glass": "reason" in data})
    return written


def _summary(state: dict[str, Any]) -> dict[str, Any]:
    s = state["sections"]
    history = s.get("history", {})
    return {
        "record_id": state["record_id"],
        # When the call was: as recorded, else when its first entry was written.
        "opened": s.get("record", {}).get("opened_at")
        or (state["history"][0]["time"] if state.get("history") else None),
        "call_received": s.get("incident", {}).get("call_received"),
        "complaint": history.get("presenting_complaint")
        or s.get("incident", {}).get("dispatch_complaint"),
        "impression": s.get("impression", {}).get("working_impression"),
        "past_medical_history": history.get("past_medical_history"),
        "medications": history.get("medications"),
        "allergies": history.get("allergies"),
        "no_known_allergies": history.get("no_known_allergies"),
        "outcome": s.get("disposition", {}).get("outcome"),
        "hospital": s.get("disposition", {}).get("hospital"),
        "given": [m.get("drug") for m in state["items"].get("medications", [])],
    }


def _from_vault(door: Door, entry: str) -> bool:
    stored = door.node.store.get(bytes.fromhex(entry))
    if stored is None:
        return False
    certs = door.node.directory.certs.get(stored.entry.header.author) or []
    return any(c.role == "vault" and c.org == door.node.info.org for c in certs)


def previous(door: Door, actor: Actor, uow: Unit, *, record: bytes) -> dict[str, Any]:
    """Return a record's previous-call requests, the vault's answers and the earlier
    records here, newest first; each earlier record shown is a read, audited."""
    read(door, actor, uow, record=record, what="previous-calls")
    items = door.node.state(record)["items"]
    answers = {a["request"]: a for a in items.get("previous_answers", [])
               if _from_vault(door, a["entry"])}
    out = []
    for request in items.get("previous_requests", []):
        answer = answers.get(request["entry"])
        shown, missing = [], []
        for rid in (answer or {}).get("records", []):
            earlier = bytes.fromhex(rid)
            try:
                state = door.node.state(earlier)
            except CarechainError:
                missing.append(rid)  # granted; not synced to this device yet
                continue
            read(door, actor, uow, record=earlier, what="previous-call", state=state)
            shown.append(_summary(state))
        out.append({"request": request["entry"], "nhs_number": request["nhs_number"],
                    "asked_by": request["author"], "asked_at": request["recorded_at"],
                    "break_glass": "reason" in request,
                    "state": "waiting" if answer is None else answer["access"],
                    "rule": (answer or {}).get("rule"), "records": shown,
                    "not_here_yet": missing})
    return {"record_id": record.hex(), "requests": out[::-1]}
