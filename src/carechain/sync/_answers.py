"""Checking a peer's answer to a push: per-entry results, the signed head, and the proofs
that put each entry in the hub's log (a sync round's push and the push stream alike)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from carechain.entries import Entry, decode_entry
from carechain.errors import CarechainError, MalformedEntry
from carechain.node import Node
from carechain.sync.heads import HeadKeeper
from carechain.sync.receive import VERIFY_CODES
from carechain.sync.wire import (
    PushResult,
    RangeProof,
    decode_head,
    decode_heads,
    encode_message,
)
from carechain.transparency import (
    ProofError,
    ProofFetcher,
    SignedTreeHead,
    leaf_hash,
    log_id_from_key,
    verify_inclusion,
    verify_range,
)
from carechain.trust import Certificate

__all__ = ["Outgoing", "SyncReport", "check_push_answer"]


@dataclass
class SyncReport:
    """What one sync round did."""

    peer: str = ""
    role: str = ""
    pulled: int = 0
    pushed: int = 0
    refused: list[str] = field(default_factory=list)
    head: SignedTreeHead | None = None
    notes: list[str] = field(default_factory=list)
    from_peer: set[bytes] = field(default_factory=set, repr=False)

    def summary(self) -> str:
        """Return one line for a log or terminal."""
        head = f", hub head {self.head.size}" if self.head else ""
        refused = f", {len(self.refused)} refused" if self.refused else ""
        return (
            f"{self.peer} ({self.role}): pulled {self.pulled}, pushed {self.pushed}{head}{refused}"
        )


def _check_head(
    keeper: HeadKeeper,
    fetch: ProofFetcher,
    cert: Certificate,
    raw: Any,
    pending: bool = True,
    writes: list[tuple[str, bytes]] | None = None,
) -> SignedTreeHead | None:
    if cert.role != "hub":
        return None
    if raw is None:
        raise keeper.alert(cert.name, b"\0" * 32, "no-head", "the hub offered no tree head")
    head = decode_head(raw)
    keeper.offer(head, fetch, writes)
    if pending:  # heads gossiped earlier, checked now the hub can prove (once a round)
        keeper.check_pending(head.head.log_id, fetch)
    return head


class _Named(Protocol):
    @property
    def id(self) -> bytes: ...

    @property
    def hex(self) -> str: ...


@dataclass(frozen=True)
class Outgoing:
    """An entry to push, as its wire bytes: what a push sends needs no decoding."""

    seq: int
    id: bytes
    wire: bytes

    @property
    def hex(self) -> str:
        return self.id.hex()

    def entry(self) -> Entry:
        return decode_entry(self.wire)


def check_push_answer(
    node: Node,
    fetch: ProofFetcher,
    cert: Certificate,
    keeper: HeadKeeper,
    report: SyncReport,
    sending: list[Outgoing],
    answer: dict[str, Any],
    marks: list[tuple[str, bytes]],
    *,
    pending: bool = True,
) -> int | None:
    """Check a push answer and collect its status marks; return the log position of the
    first entry the peer refused as invalid, if any (the push cursor stays before it).

    `pending=False` leaves the heads other nodes gossiped for the next sync round (a
    stream's answers come a frame a second)."""
    raw = answer.get("results")
    if not isinstance(raw, list):
        raise MalformedEntry("a push answer's results must be a list")
    results = [PushResult.from_wire(r) for r in raw]
    if len(results) != len(sending):
        raise MalformedEntry("the peer answered a different number of results")
    # The accepted head is stored with the marks it proves, in one transaction.
    head = _check_head(keeper, fetch, cert, answer.get("head"), pending, marks)
    proven = RangeProof.from_wire(answer.get("range"))
    stop_at: int | None = None
    run: list[tuple[Outgoing, PushResult]] = []
    for stored, result in zip(sending, results, strict=True):
        if result.code is not None:
            report.refused.append(f"{stored.hex}: {result.code}")
            if result.code in VERIFY_CODES and stop_at is None:
                stop_at = stored.seq  # never passed by: offered again at the next round
                _refused_valid(node, keeper, cert, stored.entry(), result)
            continue
        report.pushed += int(result.new)
        if head is None:
            continue
        if result.new and proven is not None:
            run.append((stored, result))
        else:
            marks.append(_record_inclusion(keeper, cert, head, stored, result))
    if run and head is not None and proven is not None:
        marks.extend(_record_range(keeper, cert, head, proven, run))
    if stop_at is None:
        notes = answer.get("notes")
        report.notes += [str(n) for n in notes] if isinstance(notes, list) else []
        if cert.role != "hub":
            report.notes += keeper.gossip_noting(decode_heads(answer.get("heads")))
    return stop_at


def _refused_valid(
    node: Node, keeper: HeadKeeper, cert: Certificate, entry: Entry, result: PushResult
) -> None:
    """A hub refusing, as invalid, an entry that verifies here is misbehaving; another
    node refusing one of ours is kept in the alert list (the entry waits for it)."""
    if cert.role != "hub" and result.code == "bad-parents":
        return  # sent before its parents reached the peer: it goes again next round
    if cert.role != "hub":
        keeper.note(
            cert.name,
            "refused-by-peer",
            f"entry {entry.hex}: {cert.name} answered {result.code}: {result.detail}",
            entry.hex,
        )
        return
    try:
        node.directory.check_signature(entry)
    except CarechainError:
        return  # it really is invalid (say, revoked since): the refusal is right
    raise keeper.alert(
        cert.name,
        log_id_from_key(cert.sig_key),
        "refused-valid-entry",
        f"entry {entry.hex} verifies here but the hub answered {result.code}: {result.detail}",
    )


def _record_inclusion(
    keeper: HeadKeeper,
    cert: Certificate,
    head: SignedTreeHead,
    entry: _Named,
    result: PushResult,
) -> tuple[str, bytes]:
    """Check a pushed entry's inclusion proof; return the status mark to keep."""
    if result.seq is None or result.proof is None:
        raise keeper.alert(
            cert.name,
            head.head.log_id,
            "no-inclusion-proof",
            f"entry {entry.hex} was acknowledged without an inclusion proof",
        )
    _included(keeper, cert, head, entry, result.seq, result.proof, "bad-inclusion-proof")
    return f"at-hub:{entry.hex}", _mark(cert, result.seq, head)


def _included(
    keeper: HeadKeeper,
    cert: Certificate,
    head: SignedTreeHead,
    entry: _Named,
    seq: int,
    proof: Sequence[bytes],
    alert: str,
) -> None:
    """Check that the entry is at `seq` in the hub's log under `head`, or raise the alert."""
    try:
        verify_inclusion(leaf_hash(entry.id), seq - 1, head.size, proof, head.root)
    except ProofError as exc:
        raise keeper.alert(
            cert.name, head.head.log_id, alert, f"entry {entry.hex} at {seq}: {exc}"
        ) from None


def _mark(cert: Certificate, seq: int, head: SignedTreeHead) -> bytes:
    # Kept as `at-hub:<id>`: the crew's "held by the hub" status.
    return encode_message({"hub": cert.name, "seq": seq, "size": head.size})


def _record_range(
    keeper: HeadKeeper,
    cert: Certificate,
    head: SignedTreeHead,
    proven: RangeProof,
    run: Sequence[tuple[_Named, PushResult]],
) -> list[tuple[str, bytes]]:
    """Check the range proof of the entries a push newly stored; return their marks."""
    for offset, (entry, result) in enumerate(run):
        if result.seq != proven.first + offset:
            raise keeper.alert(
                cert.name,
                head.head.log_id,
                "bad-inclusion-proof",
                f"entry {entry.hex} at {result.seq}: the run the hub stored puts it at "
                f"{proven.first + offset}",
            )
    try:
        verify_range(
            proven.first - 1,
            [leaf_hash(entry.id) for entry, _ in run],
            proven.left,
            proven.consistency,
            head.size,
            head.root,
        )
    except ProofError as exc:
        raise keeper.alert(
            cert.name,
            head.head.log_id,
            "bad-inclusion-proof",
            f"entries {run[0][0].hex} … {run[-1][0].hex} at {proven.first}.."
            f"{proven.first + len(run) - 1}: {exc}",
        ) from None
    return [
        (f"at-hub:{entry.hex}", _mark(cert, proven.first + offset, head))
        for offset, (entry, _) in enumerate(run)
    ]
