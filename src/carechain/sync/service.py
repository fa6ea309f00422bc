"""The serving side of sync, without HTTP: push, pull, heads and proofs for a peer."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from carechain.entries import Entry
from carechain.entries.canonical import encode_pair
from carechain.errors import CarechainError, FieldInvalid
from carechain.hub import TransparencyLog
from carechain.node import Node
from carechain.store.replica import ReadPath
from carechain.sync.heads import HeadKeeper
from carechain.sync.policy import ALL, FULL_ROLES, page_for
from carechain.sync.receive import Delivery, Received, receive
from carechain.sync.wire import PullPage, PushAnswer, PushResult, RangeProof, RunProof
from carechain.transparency import SignedTreeHead
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["SEEN_EVERY_MS", "SyncService"]

SEEN_EVERY_MS = 60_000


class SyncService:
    """What a node answers to its peers."""

    def __init__(
        self, node: Node, log: TransparencyLog | None = None, reads: ReadPath | None = None
    ) -> None:
        self.node = node
        self.log = log
        # Where pull pages and live delivery read the log (a read replica, if named); the
        # transparency log is fed from the node's own store, so heads never shrink.
        self.reads = reads if reads is not None else ReadPath(node.store)
        self.heads = HeadKeeper(node.store, node.directory)
        self.seen: dict[bytes, int] = {}  # key id → when that node last synced here (ms)
        self._proofs: dict[tuple[int, int], list[bytes]] = {}
        self._proofs_lock = threading.Lock()

    def seen_due(self, peer: Certificate, now_ms: int) -> bool:
        """Return whether to note that the peer synced here now (at most once a minute)."""
        last = self.seen.get(peer.key_id)
        return last is None or now_ms - last >= SEEN_EVERY_MS

    def note_seen(self, peer: Certificate, now_ms: int) -> None:
        """Keep when a node last synced here, for the admin console (`seen:<key id>`)."""
        self.seen[peer.key_id] = now_ms
        self.node.store.set_meta(f"seen:{peer.key_id.hex()}", str(now_ms).encode())

    def head(self) -> SignedTreeHead | None:
        """Return this node's signed tree head, if it keeps a transparency log."""
        return None if self.log is None else self.log.head()

    def push(self, peer: Certificate, items: Sequence[Entry | CarechainError]) -> PushAnswer:
        """Verify and store a pushed batch; answer per entry (see `push_many`)."""
        return self.push_many([(peer, items)])[0]

    def push_many(
        self,
        batches: Sequence[tuple[Certificate, Sequence[Entry | CarechainError]]],
        signatures: Sequence[Sequence[bool | None] | None] | None = None,
    ) -> list[PushAnswer]:
        """Verify and store several pushed batches in one transaction; answer each.

        Batches are stored in the order given, each in its own order, through the same
        checks and alerts as every other way in (`carechain.sync.receive`). A hub also
        proves where each entry is in its log: one range proof for the entries a batch
        stored (they hold consecutive positions), an inclusion proof for each entry it held
        already.
        """
        checked = signatures or [None] * len(batches)
        deliveries = [
            Delivery(peer, [Received(i) for i in items], signatures=before)
            for (peer, items), before in zip(batches, checked, strict=True)
        ]
        outcomes = receive(self.node, self.heads, deliveries)
        head = self.head()
        answers: list[PushAnswer] = []
        for (_, items), outcome in zip(batches, outcomes, strict=True):
            results: list[PushResult] = []
            for item, r in zip(items, outcome.results, strict=True):
                entry_id = item.id if isinstance(item, Entry) else b""
                if isinstance(r, CarechainError):
                    results.append(PushResult(entry_id, None, False, r.code, r.detail))
                elif r.error is not None:
                    results.append(PushResult(r.id, None, False, r.error.code, r.error.detail))
                else:
                    results.append(PushResult(r.id, r.seq, r.new))
            answers.append(self._proven(results, head))
        return answers

    def _proven(self, results: list[PushResult], head: SignedTreeHead | None) -> PushAnswer:
        if head is None or self.log is None:
            return PushAnswer(results, head)
        fresh = [r.seq for r in results if r.new and r.seq is not None]
        proven: RangeProof | None = None
        if fresh and fresh == list(range(fresh[0], fresh[0] + len(fresh))):
            end = fresh[-1]
            consistency = [] if end == head.size else self.log.consistency(end, head.size)
            proven = RangeProof(fresh[0], self.log.frontier(fresh[0] - 1), consistency)
        results = [
            r
            if r.seq is None or r.seq > head.size or (proven is not None and r.new)
            else PushResult(r.id, r.seq, r.new, proof=self.log.inclusion(r.seq, head.size))
            for r in results
        ]
        return PushAnswer(results, head, proven)

    def pull(
        self, peer: Certificate, after: int, limit: int, proofs: bool, runs: bool = False
    ) -> PullPage:
        """Return the next page of entries the peer may receive.

        With `proofs`, a hub proves where each entry is in its log: with `runs` too, one
        proof for each run of two or more consecutive positions (`RunProof`) and an
        inclusion proof for each entry standing alone; without, an inclusion proof each.
        """
        if after < 0:
            raise FieldInvalid("after", "must be 0 or more")
        if not 1 <= limit <= 1000:
            raise FieldInvalid("limit", "must be between 1 and 1000")
        page = self.reads.read_current(
            lambda store: page_for(store, peer, after, limit),
            lambda page, size: page.more or page.next >= size,
        )
        head = self.head()
        log = self.log if proofs and head is not None else None
        proven: list[RunProof] = []
        if log is not None and head is not None and runs:
            proven = self._runs([r.seq for r in page.entries if r.seq <= head.size], head.size)
        covered = {seq for run in proven for seq in range(run.first, run.first + run.count)}
        out: list[tuple[int, bytes, list[bytes] | None]] = []
        for r in page.entries:
            proof = None
            if log is not None and head is not None and r.seq <= head.size:
                proof = None if r.seq in covered else log.inclusion(r.seq, head.size)
            out.append((r.seq, encode_pair(r.signed, r.signature), proof))
        return PullPage(out, page.next, page.more, head, proven)

    def _runs(self, seqs: Sequence[int], size: int) -> list[RunProof]:
        """Return a proof for each run of two or more consecutive positions among `seqs`."""
        assert self.log is not None
        proven: list[RunProof] = []
        start = 0
        for i in range(1, len(seqs) + 1):
            if i < len(seqs) and seqs[i] == seqs[i - 1] + 1:
                continue
            first, last = seqs[start], seqs[i - 1]
            if last > first:
                consistency = [] if last == size else self.consistency(last, size)
                proven.append(
                    RunProof(first, last - first + 1, self.log.frontier(first - 1), consistency)
                )
            start = i
        return proven

    def entries(self, peer: Certificate, ids: Sequence[bytes]) -> PullPage:
        """Return the entries among `ids` that this node holds and the peer may receive,
        each with its log position (and, on a hub, its inclusion proof)."""
        store = self.node.store
        if peer.role in FULL_ROLES:
            allowed = None
        else:
            allowed = set(store.granted_between(peer.box_key_id, 0, ALL)) | {DIRECTORY_RECORD}
        head = self.head()
        out: list[tuple[int, bytes, list[bytes] | None]] = []
        for entry_id in ids:
            found = store.get(entry_id)
            if found is None or (allowed is not None and found.entry.header.record not in allowed):
                continue
            proof = None
            if head is not None and self.log is not None and found.seq <= head.size:
                proof = self.log.inclusion(found.seq, head.size)
            out.append((found.seq, found.entry.to_wire(), proof))
        return PullPage(out, 0, False, head)

    def consistency_known(self, first: int, second: int) -> list[bytes] | None:
        """Return a consistency proof already computed, without computing one."""
        with self._proofs_lock:
            return self._proofs.get((first, second))

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return a consistency proof between two sizes of this node's log."""
        if self.log is None:
            raise FieldInvalid("first", "this node keeps no transparency log")
        with self._proofs_lock:
            cached = self._proofs.get((first, second))
        if cached is not None:
            return cached
        try:
            proof = self.log.consistency(first, second)
        except ValueError as exc:
            raise FieldInvalid("second", str(exc)) from None
        # Every stream answered in one group commit asks for the same proof (from the
        # last head to the new one): keep the latest few.
        with self._proofs_lock:
            if len(self._proofs) >= 64:
                self._proofs.pop(next(iter(self._proofs)))
            self._proofs[(first, second)] = proof
        return proof
