"""The node's unit of work, and the shape of a record it keeps to draft the next entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carechain.entries import Entry
from carechain.store import Stored

if TYPE_CHECKING:
    from carechain.node._reading import Reading

__all__ = ["Shape", "Unit", "Written"]


class Written:
    """An entry drafted in a unit of work; its log position is known once the unit commits."""

    __slots__ = ("_unit", "entry")

    def __init__(self, unit: Unit, entry: Entry) -> None:
        self._unit = unit
        self.entry = entry

    @property
    def seq(self) -> int:
        """Return the entry's position in this node's log (after the unit committed)."""
        seqs = self._unit.seqs
        if seqs is None:
            raise RuntimeError("the unit of work has not committed yet")
        return seqs[self.entry.id]


class Unit:
    """One unit of work: entries drafted in it are stored in one durable transaction.

    Made by `Node.unit()`, which holds the node's lock for its whole life, so drafts in
    it see each other (a second entry of a record descends from the first) and nothing
    else writes meanwhile. If the block raises, nothing of it is stored.
    """

    def __init__(self, node: Reading) -> None:
        self.node = node
        self.entries: list[Entry] = []
        self.seqs: dict[bytes, int] | None = None
        self._touched: set[bytes] = set()
        self._keys: set[bytes] = set()
        self._undo: list[Callable[[], None]] = []
        self.meta: list[tuple[str, bytes]] = []

    def add(self, entry: Entry) -> Written:
        """Take a drafted entry into the unit; later drafts of its record descend from it."""
        if self.seqs is not None:
            raise RuntimeError("the unit of work has already committed")
        self.entries.append(entry)
        self._touched.add(entry.header.record)
        self.node._shape(entry.header.record).add(entry)
        return Written(self, entry)

    def keep_key(self, record: bytes, key: bytes) -> None:
        """Know a new record's content key from now on (forgotten if the unit fails)."""
        self.node._content_keys[record] = key
        self._keys.add(record)

    def keep(self, key: str, value: bytes) -> None:
        """Set a bookkeeping value of the store in the unit's transaction (a hub's dispatch
        offer beside its audit entry): stored with the entries, or not at all."""
        if self.seqs is not None:
            raise RuntimeError("the unit of work has already committed")
        self.meta.append((key, value))

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call `undo` if the unit fails (say, to hold again what a draft took away)."""
        self._undo.append(undo)

    def commit(self) -> list[Stored]:
        """Store every entry of the unit in one durable transaction."""
        node = self.node
        if not self.entries:
            if self.meta:
                node.store.set_meta_many(self.meta)
            self.seqs = {}
            return []
        # (Only given when there is any: a store wrapped to count appends takes entries only.)
        seqs = node.store.append(self.entries, self.meta) if self.meta else \
            node.store.append(self.entries)
        self.seqs = {e.id: seq for e, (seq, _) in zip(self.entries, seqs, strict=True)}
        node.notifier.notify(max(seq for seq, _ in seqs))
        return [Stored(seq, e) for e, (seq, _) in zip(self.entries, seqs, strict=True)]

    def rollback(self) -> None:
        """Forget what the unit drafted: the records' shapes are read again from the log."""
        for record in self._touched:
            self.node._shapes.pop(record, None)
        for record in self._keys:
            self.node._content_keys.pop(record, None)
        self.entries.clear()
        self.meta.clear()
        undo, self._undo = self._undo, []
        for step in undo:
            step()


@dataclass
class Shape:
    """A record's heads (entries no other entry names as a parent), recipients, and the
    ids of its clinical entries (what the time checks fold).

    Entries arrive parents first, so a new entry is never the parent of one already
    held: adding it removes its parents from the heads and makes it one.
    """

    heads: set[bytes] = field(default_factory=set)
    recipients: set[bytes] = field(default_factory=set)
    clinical: list[bytes] = field(default_factory=list)  # ids: tens, where frames are thousands

    def add(self, entry: Entry) -> None:
        """Take one more stored entry into account."""
        self.heads.difference_update(entry.header.parents)
        self.heads.add(entry.id)
        if entry.header.cls == "grant":
            self.recipients.update(entry.header.recipients)
        elif entry.header.cls == "clinical":
            self.clinical.append(entry.id)
