"""The record fold: clinical state as a deterministic function of a record's entries.

Entries are visited in a topological order of their parent links, ties broken by
(HLC time, entry id), so every node that holds the same entries computes the same state
whatever order they arrived in (DESIGN §4).

- A multi-valued kind (observations, medications, …) adds one item per entry.
- A single-valued kind sets fields of its section. Two writes of one field conflict when
  neither author had seen the other's entry (neither is an ancestor of the other) and
  the values differ: both are kept and reported; the later in fold order is shown.
  A later entry that descends from both settles the field.
- An amendment (`entry.amended`) supersedes an earlier entry's data, in that entry's
  place, and keeps the original in the history with the reason.
- Observations are listed by `taken_at` to the second, ties broken by when the device
  recorded them (HLC, then entry id), so the last is the latest measured set; a set
  recorded more than the back-dating limit after it was taken is marked `backdated`.
- Monitor readings: each reading of a `vitals.chunk` becomes one item of `vitals`, as a
  `vitals.frame` does, and `vitals` is listed by reading time; so readings fold to the
  same series however they were split into chunks or frames (old logs hold frames).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from carechain.entries import HLC
from carechain.records.times import is_backdated

__all__ = [
    "AMENDMENT_KIND",
    "CHUNK_SECTION",
    "READINGS_SECTION",
    "READING_META",
    "FoldEntry",
    "fold",
    "hlc_iso",
    "topological_order",
]

AMENDMENT_KIND = "entry.amended"
READINGS_SECTION = "vitals"  # one item per monitor reading (`vitals.frame`, or in a chunk)
CHUNK_SECTION = "vitals_chunks"  # `vitals.chunk` entries, expanded into READINGS_SECTION


@dataclass(frozen=True)
class FoldEntry:
    """What the fold needs of one entry: its place in the graph and its decrypted body."""

    id: bytes
    hlc: HLC
    parents: tuple[bytes, ...]
    cls: str
    user: str
    author: str
    body: Mapping[str, Any] | None


@dataclass(frozen=True)
class KindInfo:
    """Where a kind's data goes in the state."""

    section: str
    multi: bool


def hlc_iso(hlc: HLC) -> str:
    """Return the wall time of an HLC reading as ISO 8601 UTC."""
    return datetime.fromtimestamp(hlc.ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def topological_order(entries: Sequence[FoldEntry]) -> list[FoldEntry]:
    """Order entries parents-first, ties by (HLC, id); parents not present are ignored."""
    by_id = {e.id: e for e in entries}
    waiting = {e.id: sum(1 for p in set(e.parents) if p in by_id) for e in entries}
    children: dict[bytes, list[bytes]] = {}
    for e in entries:
        for p in set(e.parents):
            if p in by_id:
                children.setdefault(p, []).append(e.id)
    ready = [(e.hlc, e.id) for e in entries if waiting[e.id] == 0]
    heapq.heapify(ready)
    out: list[FoldEntry] = []
    while ready:
        _, eid = heapq.heappop(ready)
        out.append(by_id[eid])
        for c in children.get(eid, ()):
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, (by_id[c].hlc, c))
    return out


def _ancestors(order: Sequence[FoldEntry]) -> list[int]:
    """Return, per position, a bitset of the positions of its ancestors."""
    pos = {e.id: i for i, e in enumerate(order)}
    anc: list[int] = []
    for e in order:
        bits = 0
        for p in e.parents:
            j = pos.get(p)
            if j is not None:
                bits |= anc[j] | (1 << j)
        anc.append(bits)
    return anc


def _is_ancestor(anc: list[int], a: int, b: int) -> bool:
    return bool((anc[b] >> a) & 1)


def fold(
    record_id: bytes, entries: Sequence[FoldEntry], kinds: Mapping[str, KindInfo]
) -> dict[str, Any]:
    """Return the record's clinical state and history."""
    order = topological_order(entries)
    anc = _ancestors(order)
    pos = {e.id: i for i, e in enumerate(order)}
    clinical = [i for i, e in enumerate(order) if e.body is not None and "kind" in e.body]

    def kind_of(i: int) -> str:
        body = order[i].body
        return str(body["kind"]) if body is not None else ""

    # Amendments: resolve each to the original entry it finally supersedes.
    effective: dict[int, tuple[int, Mapping[str, Any]]] = {}
    superseded_by: dict[int, list[int]] = {}
    amends: dict[int, int] = {}
    conflicts: list[dict[str, Any]] = []
    for i in clinical:
        if kind_of(i) != AMENDMENT_KIND:
            continue
        data = order[i].body["data"]  # type: ignore[index]
        target = pos.get(bytes.fromhex(str(data.get("supersedes", ""))))
        if target is None:
            continue
        root = target
        while root in amends:
            root = amends[root]
        amends[i] = root
        superseded_by.setdefault(target, []).append(i)
        previous = effective.get(root)
        if previous is not None and not _is_ancestor(anc, previous[0], i):
            conflicts.append(
                {
                    "section": "amendment",
                    "field": order[root].id.hex(),
                    "values": [_who(order[j], dict(d)) for j, d in (previous, (i, data["data"]))],
                }
            )
        effective[root] = (i, data["data"])

    sections: dict[str, dict[str, Any]] = {}
    items: dict[str, list[dict[str, Any]]] = {}
    recorded: dict[int, FoldEntry] = {}  # id(item) → its entry, to order observations
    writers: dict[tuple[str, str], list[tuple[int, Any]]] = {}
    for i in clinical:
        kind = kind_of(i)
        info = kinds.get(kind)
        if info is None or i in amends:
            continue
        entry = order[i]
        data = effective[i][1] if i in effective else entry.body["data"]  # type: ignore[index]
        if info.multi:
            item = dict(data)
            item.update(entry=entry.id.hex(), author=entry.user)
            # When the entry was written, unless the body says itself when it was recorded
            # (a refusal's time is clinical: never overwritten by the time it was typed).
            item.setdefault("recorded_at", hlc_iso(entry.hlc))
            if i in effective:
                item["amended_by"] = order[effective[i][0]].id.hex()
            if info.section == "observations" and is_backdated(item.get("taken_at"), entry.hlc.ms):
                item["backdated"] = True
            recorded[id(item)] = entry
            items.setdefault(info.section, []).append(item)
            continue
        section = sections.setdefault(info.section, {})
        for name, value in data.items():
            key = (info.section, name)
            kept = [(j, v) for j, v in writers.get(key, []) if not _is_ancestor(anc, j, i)]
            kept.append((i, value))
            writers[key] = kept
            section[name] = value
    for (section_name, name), kept in sorted(writers.items()):
        distinct = {repr(v) for _, v in kept}
        if len(distinct) > 1:
            conflicts.append(
                {
                    "section": section_name,
                    "field": name,
                    "values": [_who(order[j], v) for j, v in kept],
                }
            )
    _readings(items)
    if "observations" in items:
        items["observations"].sort(key=lambda o: _observation_order(o, recorded[id(o)]))
    return {
        "record_id": record_id.hex(),
        "sections": sections,
        "items": items,
        "conflicts": conflicts,
        "history": [_history(order, i, superseded_by, amends) for i in range(len(order))],
        "entries": len(order),
    }


def _readings(items: dict[str, list[dict[str, Any]]]) -> None:
    """List each chunk's readings in `vitals` beside the frames, in reading-time order."""
    chunks = items.pop(CHUNK_SECTION, [])
    if not chunks and READINGS_SECTION not in items:
        return
    readings = items.setdefault(READINGS_SECTION, [])
    for chunk in chunks:
        meta = {k: chunk[k] for k in ("source", "entry", "author", "recorded_at", "amended_by")
                if chunk.get(k) is not None}
        for n, reading in enumerate(chunk.get("readings", [])):
            readings.append({**reading, **meta, "reading": n})
    readings.sort(key=_reading_order)


def _reading_order(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """Order readings by time, then source and values, whatever entries carried them."""
    try:
        at = datetime.fromisoformat(str(item.get("at"))).astimezone(UTC)
    except ValueError:
        at = datetime.min.replace(tzinfo=UTC)  # the kinds refuse such a reading anyway
    values = sorted((k, repr(v)) for k, v in item.items() if k not in READING_META)
    return (at, str(item.get("source") or ""), values)


# What the fold adds to a reading: the entry that carried it (and, in a chunk, its place).
READING_META = frozenset({"entry", "author", "recorded_at", "amended_by", "reading"})


def _observation_order(item: Mapping[str, Any], entry: FoldEntry) -> tuple[Any, ...]:
    """Order sets by time taken to the second, then by when the device recorded them."""
    try:
        taken = datetime.fromisoformat(str(item.get("taken_at"))).astimezone(UTC)
    except ValueError:
        taken = datetime.min.replace(tzinfo=UTC)  # the kind refuses such a set anyway
    return (taken.replace(microsecond=0), entry.hlc, entry.id)


def _who(entry: FoldEntry, value: Any) -> dict[str, Any]:
    return {"entry": entry.id.hex(), "user": entry.user, "author": entry.author, "value": value}


def _history(
    order: Sequence[FoldEntry], i: int, superseded_by: dict[int, list[int]], amends: dict[int, int]
) -> dict[str, Any]:
    e = order[i]
    out: dict[str, Any] = {
        "entry": e.id.hex(),
        "class": e.cls,
        "kind": None if e.body is None else e.body.get("kind"),
        "author": e.author,
        "user": e.user,
        "time": hlc_iso(e.hlc),
        "hlc": e.hlc.to_wire(),
        "parents": [p.hex() for p in e.parents],
        "data": None if e.body is None else e.body.get("data"),
        "superseded_by": [order[j].id.hex() for j in superseded_by.get(i, [])],
    }
    if i in amends:
        out["amends"] = out["data"]["supersedes"] if out["data"] else None
    return out
