"""Which entries a node may hand to a peer, and which a receiver keeps.

- a hub or a vault receives everything;
- a crew or hospital node receives the directory and the records granted to its receiving
  key (a hospital those addressed to it, a crew node its own), whole: when a record is
  granted to it later, the entries written before the grant come with the grant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from carechain.entries import Entry
from carechain.store import RawRow, Store
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["FULL_ROLES", "Page", "accessible_records", "allow_for", "page_for"]

FULL_ROLES = ("hub", "vault")
ALL = 2**62
# How many log positions one page for a hospital or crew node looks through at most, as a
# multiple of the page size: the page ends there even if it holds fewer entries (and says
# more follow), so what it costs is bounded by the window, not by the log's size nor by
# how far behind the peer is.
WINDOW_PAGES = 20


class Page:
    """Rows for a peer after a cursor, as stored (to send on without decoding: the peer
    verifies each entry), and the cursor to continue from."""

    def __init__(self, entries: list[RawRow], next_cursor: int, more: bool) -> None:
        self.entries = entries
        self.next = next_cursor
        self.more = more


def page_for(store: Store, peer: Certificate, after: int, limit: int) -> Page:
    """Return the next page of this log that the peer may receive."""
    end = store.count()  # entries are numbered densely, so this is the last seq now
    if peer.role in FULL_ROLES:
        page = [r for r in store.raw_since(after, limit) if r.seq <= end]
        more = len(page) == limit
        return Page(page, page[-1].seq if more else max(end, after), more)
    key = peer.box_key_id
    stop = min(end, after + limit * WINDOW_PAGES)
    page = store.since_for(key, after, limit, stop)
    full = len(page) == limit
    upto = page[-1].seq if full else max(stop, after)
    more = full or upto < end
    backfill: list[RawRow] = []
    for record in store.granted_between(key, after, upto):
        backfill.extend(r for r in store.raw_record(record) if r.seq <= after)
    backfill.sort(key=lambda r: r.seq)
    return Page(backfill + page, upto, more)


def accessible_records(
    store: Store, role: str, box_key_id: bytes, batch: Sequence[Entry]
) -> set[bytes] | None:
    """Return the records a receiver keeps (None: every record)."""
    if role in FULL_ROLES:
        return None
    records = set(store.granted_between(box_key_id, 0, ALL))
    records.add(DIRECTORY_RECORD)
    records.update(
        e.header.record
        for e in batch
        if e.header.cls == "grant" and box_key_id in e.header.recipients
    )
    return records


def allow_for(
    store: Store, role: str, box_key_id: bytes
) -> Callable[[Sequence[Entry]], set[bytes] | None]:
    """Return the rule a receiver applies to the entries of a batch that verified."""

    def allow(batch: Sequence[Entry]) -> set[bytes] | None:
        return accessible_records(store, role, box_key_id, batch)

    return allow
