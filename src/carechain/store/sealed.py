"""The node's own signed head of its log: its store made tamper-evident to itself.

Every append writes, in its own transaction, a head of the whole log in the layout of a
signed tree head (`transparency.md`: size, Merkle root of the entry ids in log order,
time, the node's log id), signed with the node's key, and the frontier that lets the next
append extend it without reading the log (`log:head`, `log:frontier` in the bookkeeping
table). Someone who edits the store without the node's key — deletes the newest audit
entry, renumbers the log, slips a row in — cannot sign a head for what they leave, so
`carechain verify` (`check_sealed`) names it. What it cannot catch, it cannot: a copy of
the whole store, entries and head together, put back from earlier (see docs/storage.md).

A store is sealed as it is when a node first opens it (the migration that brought heads
marks every store `log:unsealed`: a new one, holding only what enrolment wrote, or one an
older version filled). A store whose head has gone later is not sealed again: verify says
so, rather than vouching for whatever is there now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nacl.signing

from carechain.store.base import Seal, Store
from carechain.transparency import (
    CompactRange,
    HeadSignatureError,
    SignedTreeHead,
    TreeHead,
    leaf_hash,
    log_id_from_key,
    root_from_leaf_hashes,
    sign_head,
    verify_head,
)

__all__ = [
    "FRONTIER_KEY",
    "HEAD_KEY",
    "UNSEALED_KEY",
    "LogFinding",
    "Seal",
    "check_sealed",
    "log_sealer",
    "read_head",
    "reseal",
    "seal_existing",
]

HEAD_KEY = "log:head"
FRONTIER_KEY = "log:frontier"
UNSEALED_KEY = "log:unsealed"  # set by the migration; cleared once the node seals the log



def _pack(compact: CompactRange) -> bytes:
    return compact.size.to_bytes(8, "big") + b"".join(compact.frontier)


def _unpack(raw: bytes) -> CompactRange:
    size = int.from_bytes(raw[:8], "big")
    hashes = [raw[i : i + 32] for i in range(8, len(raw), 32)]
    return CompactRange.resume(size, hashes)


def _head(
    compact: CompactRange, signing_key: nacl.signing.SigningKey, now_ms: int
) -> list[tuple[str, bytes]]:
    log_id = log_id_from_key(bytes(signing_key.verify_key))
    head = TreeHead(compact.size, compact.root(), now_ms, log_id)
    signed = sign_head(head, signing_key)
    return [(FRONTIER_KEY, _pack(compact)), (HEAD_KEY, head.to_bytes() + signed.signature)]


def log_sealer(signing_key: nacl.signing.SigningKey, now_ms: Callable[[], int]) -> Seal:
    """Return the seal a node's store writes with every append."""

    def seal(
        read: Callable[[str], bytes | None], before: int, added: Sequence[bytes]
    ) -> list[tuple[str, bytes]]:
        raw = read(FRONTIER_KEY)
        if not raw and before > 0:
            return []  # the head is gone: stay unsealed, for verify to say so
        try:
            compact = _unpack(raw) if raw else CompactRange()
        except ValueError:
            return []  # not a frontier this node wrote: verify says so; writing goes on
        for entry_id in added:
            compact.append(leaf_hash(entry_id))
        return _head(compact, signing_key, now_ms())

    return seal


def seal_existing(store: Store, signing_key: nacl.signing.SigningKey, now_ms: int) -> None:
    """Seal a store its node opens for the first time (marked by its migration)."""
    if store.get_meta(UNSEALED_KEY) != b"1":
        return
    compact = CompactRange()
    after = 0
    while ids := store.ids(after, 10_000):
        for entry_id in ids:
            compact.append(leaf_hash(entry_id))
        after += len(ids)
    store.set_meta_many([*_head(compact, signing_key, now_ms), (UNSEALED_KEY, b"")])


def reseal(store: Store, signing_key: nacl.signing.SigningKey, now_ms: int) -> None:
    """Sign the store's head again with a node's new key (after `check_sealed` with the
    old one found nothing): the same log, vouched for by the key the node now holds."""
    raw = store.get_meta(FRONTIER_KEY)
    if store.get_meta(UNSEALED_KEY) == b"1" or not raw:
        return  # sealed when the node next opens it, or not sealed at all (verify says so)
    store.set_meta_many(_head(_unpack(raw), signing_key, now_ms))


def read_head(store: Store) -> SignedTreeHead | None:
    """Return the node's signed head of its own log, if it has one."""
    raw = store.get_meta(HEAD_KEY)
    if raw is None or len(raw) != 160:
        return None
    try:
        return SignedTreeHead(TreeHead.from_bytes(raw[:96]), raw[96:])
    except ValueError:
        return None


@dataclass(frozen=True)
class LogFinding:
    """What is wrong with the log as a whole, and where (a log position, 0 if nowhere)."""

    seq: int
    code: str
    detail: str


def check_sealed(store: Store, verify_key: bytes) -> list[LogFinding]:
    """Check the store's log against the node's own signed head of it."""
    if store.get_meta(UNSEALED_KEY) == b"1":
        return []  # sealed when the node next opens it
    ids: list[bytes] = []
    while page := store.ids(len(ids), 10_000):
        ids += page
    head = read_head(store)
    if head is None:
        if not ids:
            return []
        return [
            LogFinding(
                0,
                "log-head-missing",
                "the node's signed head of its own log is "
                "gone: the log cannot be checked against what the node wrote",
            )
        ]
    try:
        verify_head(head, verify_key)
    except HeadSignatureError:
        return [
            LogFinding(
                0, "log-head-invalid", "the head of the log is not signed by this node's key"
            )
        ]
    try:
        frontier = _unpack(store.get_meta(FRONTIER_KEY) or b"")
    except ValueError:
        frontier = None
    if frontier is None or frontier.size != head.size or frontier.root() != head.root:
        return [
            LogFinding(0, "log-head-invalid", "the head and the frontier kept with it disagree")
        ]

    size = head.size
    findings: list[LogFinding] = []
    if len(ids) < size:
        findings.append(
            LogFinding(
                len(ids) + 1,
                "log-trimmed",
                f"the node signed a log of {size} entries; the store holds "
                f"{len(ids)}: entries were removed",
            )
        )
    elif root_from_leaf_hashes(leaf_hash(i) for i in ids[:size]) != head.root:
        first, last = _first_difference(ids, size, frontier.frontier)
        findings.append(
            LogFinding(
                first,
                "log-altered",
                f"the entries at {first}..{last} are not those the node "
                "stored there: altered, removed or inserted",
            )
        )
    if len(ids) > size:
        findings.append(
            LogFinding(
                size + 1,
                "log-unsealed",
                f"the store holds {len(ids) - size} entries after the "
                f"{size} the node signed: not written by this node",
            )
        )
    return findings


def _first_difference(ids: list[bytes], size: int, frontier: list[bytes]) -> tuple[int, int]:
    """Return the first range of log positions (1-based, inclusive) whose full subtree
    differs from the one the node signed: the frontier holds one per set bit of `size`."""
    widths = [1 << h for h in reversed(range(size.bit_length())) if size >> h & 1]
    start = 0
    for width, expected in zip(widths, frontier, strict=True):
        if root_from_leaf_hashes(leaf_hash(i) for i in ids[start : start + width]) != expected:
            return start + 1, start + width
        start += width
    return 1, size
