"""Where a record's entries have reached, and the receipts that say so.

Each entry is, for the crew that wrote it: only on this device → held by the hub (an
inclusion proof from the hub's log verified at push, kept as `at-hub:<id>`) → received by
the destination hospital (a `receipt.recorded` entry signed by a hospital node that
descends from it). A receipt acknowledges everything it descends from, so one receipt per
delivery covers the whole record so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from carechain.entries import Entry
from carechain.node.service import Node, Written
from carechain.store import Stored

__all__ = ["acknowledge", "replication"]


def acknowledge(node: Node, entries: Sequence[Entry]) -> list[Written]:
    """On a hospital node, write a receipt for each record that received clinical entries."""
    if node.info.role != "hospital":
        return []
    mine = node.keys.box_key_id
    records = {
        e.header.record
        for e in entries
        if e.header.cls == "clinical"
        and e.header.author != node.keys.key_id
        and mine in e.header.recipients
    }
    now = datetime.now(UTC).isoformat()
    data = {"received_at": now, "node": node.info.name}
    return node.append_many(
        user=node.info.name,
        items=[(record, "receipt.recorded", data) for record in sorted(records)],
    )


def _ancestors(entries: Sequence[Stored], start: bytes) -> set[bytes]:
    parents = {s.entry.id: s.entry.header.parents for s in entries}
    seen: set[bytes] = set()
    stack = list(parents.get(start, ()))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(parents.get(current, ()))
    return seen


def replication(node: Node, record: bytes) -> dict[str, Any]:
    """Return, per entry of the record, where it has reached."""
    entries = node.store.record(record)
    received: dict[bytes, str] = {}
    for s in entries:
        cert = node.directory.certs.get(s.entry.header.author)
        if s.entry.header.cls != "clinical" or not cert or cert[0].role != "hospital":
            continue
        body = node.body(s.entry)
        if body is None or body.get("kind") != "receipt.recorded":
            continue
        for ancestor in _ancestors(entries, s.entry.id):
            received.setdefault(ancestor, cert[0].name)
    out = []
    for s in entries:
        hub = node.store.get_meta(f"at-hub:{s.entry.hex}")
        state = "hospital" if s.entry.id in received else "hub" if hub is not None else "device"
        item: dict[str, Any] = {"entry": s.entry.hex, "class": s.entry.header.cls, "state": state}
        if s.entry.id in received:
            item["received_by"] = received[s.entry.id]
        out.append(item)
    counts = {k: sum(1 for i in out if i["state"] == k) for k in ("device", "hub", "hospital")}
    return {"record_id": record.hex(), "entries": out, "counts": counts}
