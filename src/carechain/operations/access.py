"""Who may read which record, and why: the one place the care relationship is decided.

- crew node: paramedics and technicians (`record.read_own`) read every record held on
  the device (`crew`);
- crew and vault nodes: clinical leads (`record.read_own_org`) and the operator read every
  record the node can decrypt (`organisation`);
- hospital node: ED clinicians (`record.read_addressed`) read the records addressed to
  this hospital (`addressed`);
- any node but a hub: a person with live break-glass on a record reads it for 4 hours
  (`break-glass`);
- crew node: a record the trust's records vault granted to it, as a previous call of a
  patient this crew asked about (docs/previous-calls.md), is read by paramedics and
  technicians (`previous-call`) and written by nobody here: it is another crew's record.

A record is **addressed** to a hospital when a crew node granted it the record's key and
the record's disposition, if it names a destination node, still names this one (a
diverted patient takes the care relationship with them). A hub can read nothing.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Literal

from carechain.errors import CarechainError, NotFound
from carechain.node import Node
from carechain.node.audit import audit_record
from carechain.operations.actor import Actor
from carechain.trust import DIRECTORY_RECORD

__all__ = ["Access", "Why", "addressed_here", "held_record", "previous_call", "record_access"]

Why = Literal["crew", "organisation", "addressed", "break-glass", "previous-call"]


@dataclass(frozen=True)
class Access:
    """Whether an actor may read a record, and the relationship that allows it."""

    why: Why | None
    glass_reason: str | None = None

    @property
    def allowed(self) -> bool:
        """Return whether the record may be shown."""
        return self.why is not None

    def detail(self) -> dict[str, Any]:
        """Return what the audit entry of a read says of why it was allowed."""
        out: dict[str, Any] = {"why": self.why}
        if self.why == "break-glass":
            out["access"] = "break_glass"
        return out


def held_record(node: Node, record: bytes) -> bytes:
    """Return `record` if it is a patient record held on this node, else raise NotFound."""
    if record in (DIRECTORY_RECORD, audit_record(node)) or not node.holds(record):
        raise NotFound(f"no record {record.hex()} on this node")
    return record


# node -> record -> (the record's heads when last looked at, whether a crew node granted
# it to this node then): the grant is looked for in the log again once the record changes.
_GRANTED: weakref.WeakKeyDictionary[Node, dict[bytes, tuple[frozenset[bytes], bool]]] = (
    weakref.WeakKeyDictionary()
)


_Cache = weakref.WeakKeyDictionary[Node, dict[bytes, tuple[frozenset[bytes], bool]]]
# The same, for grants from the trust's records vault (a previous call, on a crew node).
_FROM_VAULT: _Cache = weakref.WeakKeyDictionary()


def _granted_by(node: Node, record: bytes, roles: tuple[str, ...], cache: _Cache) -> bool:
    """Return whether a node of one of `roles` granted this node the record's key."""
    heads = node.heads(record)
    known = cache.setdefault(node, {})
    seen = known.get(record)
    if seen is not None and seen[0] == heads:
        return seen[1]
    mine = node.keys.box_key_id
    granted = False
    for stored in node.store.record(record):
        header = stored.entry.header
        if header.cls == "grant" and mine in header.recipients:
            certs = node.directory.certs.get(header.author) or []
            if any(c.role in roles for c in certs):
                granted = True
                break
    known[record] = (heads, granted)
    return granted


def _granted_by_crew(node: Node, record: bytes) -> bool:
    return _granted_by(node, record, ("crew",), _GRANTED)


def previous_call(node: Node, record: bytes) -> bool:
    """Return whether a crew node holds a record only as a previous call: the records vault
    granted it the key, and no crew node (this one included) did."""
    return (node.info.role == "crew" and _granted_by(node, record, ("vault",), _FROM_VAULT)
            and not _granted_by_crew(node, record))


def addressed_here(node: Node, record: bytes, state: dict[str, Any] | None = None) -> bool:
    """Return whether a record is addressed to this hospital (see the module docstring)."""
    if not _granted_by_crew(node, record):
        return False
    if state is None:
        try:
            state = node.state(record)
        except CarechainError:
            return False
    named = state.get("sections", {}).get("disposition", {}).get("hospital_node", node.info.name)
    return bool(named == node.info.name)


def _relationship(node: Node, actor: Actor, record: bytes,
                  state: dict[str, Any] | None) -> Why | None:
    role = node.info.role
    if role == "crew" and actor.can("record.read_own"):
        return "previous-call" if previous_call(node, record) else "crew"
    if role in ("crew", "vault") and actor.can("record.read_own_org"):
        return "organisation"
    if (role == "hospital" and actor.can("record.read_addressed")
            and addressed_here(node, record, state)):
        return "addressed"
    return None


def record_access(node: Node, glass: Any, actor: Actor, record: bytes, now_ms: int,
                  state: dict[str, Any] | None = None) -> Access:
    """Return whether `actor` may read `record` here and why (`glass` answers
    `has_break_glass(staff_id, record_hex, now_ms=)`: the node's accounts; `state`, the
    record's state when the caller has folded it already)."""
    held_record(node, record)
    why = _relationship(node, actor, record, state)
    if why is not None:
        return Access(why)
    if (
        actor.staff_id is not None
        and node.info.role != "hub"
        and glass.has_break_glass(actor.staff_id, record.hex(), now_ms=now_ms)
    ):
        return Access("break-glass")
    return Access(None)
