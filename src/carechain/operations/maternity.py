"""A birth: the baby's own record, opened on the crew device and linked to the mother's.

`record_birth` writes, in the caller's unit of work: the baby's record (its own id and
content key, `record.opened` with the mother's vehicle), granted to every node the
mother's record is granted to (so it goes where she goes); on the baby's record, the
patient section (date of birth, sex), the incident copied from the mother's record and a
`record.linked` naming the mother's record; on the mother's record, `birth.recorded`
naming the baby's record and a `record.linked` naming it. Every entry is signed by this
node; an audit entry for each record. A disposition that later addresses the mother's
record to a hospital addresses her linked babies' records there too
(`carechain.operations.records.append`): hazard H-055 in docs/hazard-log.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from carechain.errors import FieldInvalid
from carechain.node import Unit
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.operations.records import _permit, _writable
from carechain.records import kinds
from carechain.records.kinds import DISPLAY_ZONE
from carechain.records.times import check_entry_times

__all__ = ["record_birth"]

# The mother's sections the baby's record starts with (the same call, the same vehicle).
_OPENED_FROM_MOTHER = ("callsign", "vehicle", "crew")


def _birth_date(born_at: str) -> str:
    """Return the calendar date of birth in the UK, where the birth is registered."""
    return datetime.fromisoformat(born_at).astimezone(ZoneInfo(DISPLAY_ZONE)).date().isoformat()


def record_birth(
    door: Door, actor: Actor, uow: Unit, *, mother: bytes, data: dict[str, Any]
) -> tuple[bytes, str]:
    """Open the baby's record and link it to the mother's; return (baby's record id, the
    mother's `birth.recorded` entry id in hex).

    `data` is a `birth.recorded` body without `baby_record` (this operation names it).
    Refused with FieldInvalid, nothing written, when the birth breaks a rule.
    """
    _permit(door, actor, "record.write")
    _writable(door, actor, mother)
    if "baby_record" in data:
        raise FieldInvalid("data.baby_record", "is named by the birth itself; leave it out")
    node = door.node
    # The baby's record id exists only once its record is opened: the body is checked
    # first with a well-formed stand-in id, so that a bad body opens no record at all.
    stand_in = "0" * 32
    birth = kinds.validate_body("birth.recorded", {**data, "baby_record": stand_in})
    state = node.state(mother)
    # The birth's times first: a time in the future names its own field, not the baby's.
    check_entry_times("birth.recorded", birth, now_ms=node.clock_ms(), state=lambda: state)
    opened = {k: v for k, v in state["sections"].get("record", {}).items()
              if k in _OPENED_FROM_MOTHER}
    baby, _ = node.open_record(user=actor.user, data={**opened, "opened_at": birth["born_at"]},
                               uow=uow)
    mine = node.default_recipients()
    others = {}
    for key_id in node.recipients(mother) - set(mine):
        cert = node.directory.certificate_for_box_key(key_id)
        if cert is not None:
            others[cert.box_key_id] = cert.box_key
    if others:  # the hospital she is addressed to, already: the baby goes there too
        node.grant(record=baby, user=actor.user, recipients=others, uow=uow)
    patient: dict[str, Any] = {"date_of_birth": _birth_date(birth["born_at"])}
    if birth.get("sex") is not None:
        patient["sex"] = birth["sex"]
    incident = state["sections"].get("incident", {})
    written = [("patient.recorded", patient)]
    if incident:
        written.append(("incident.recorded", dict(incident)))
    written.append(("record.linked", {"relation": "mother", "record": mother.hex(),
                                      "linked_at": birth["born_at"]}))
    for kind, body in written:
        node.append(record=baby, user=actor.user, kind=kind, data=body, uow=uow)
    entry = node.append(record=mother, user=actor.user, kind="birth.recorded",
                        data={**birth, "baby_record": baby.hex()}, uow=uow)
    node.append(record=mother, user=actor.user, kind="record.linked", uow=uow,
                data={"relation": "baby", "record": baby.hex(), "linked_at": birth["born_at"]})
    door.audit(actor, uow, "record.write", record=mother, detail={"kind": "birth.recorded"})
    door.audit(actor, uow, "record.write", record=baby, detail={"kind": "record.opened",
                                                                "born_to": mother.hex()})
    return baby, entry.entry.hex
