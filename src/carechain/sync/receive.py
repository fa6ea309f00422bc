"""Receiving entries: one set of checks, one store, one kind of alert, whatever the path.

A node takes entries from a peer by pulling pages (`client`), by following its live stream
(`follow`), and by being pushed to, over HTTP or a stream socket (`service.push_many`, for
the routes and the socket alike). Every path hands what arrived to `receive`, which

1. from a hub, before anything is stored: takes the delivery's signed tree head only as
   a proven extension of the last one accepted (`HeadKeeper.offer`), and needs every entry
   to decode and to come with its log position and an inclusion proof against that head.
   Anything else is an integrity alert naming the hub, and nothing of the delivery is
   stored;
2. verifies and stores what holds, for all deliveries at once, in one durable transaction
   (`Node.ingest`: encoding, id, signature, certificate, revocation, role, parents,
   decryption where this node is a recipient);
3. when an entry from a hub names a parent this node lacks, asks the hub for it (by id,
   with its proof: `Delivery.ask`) and stores it first; a hub that cannot produce it
   withheld or dropped it: alert `entry-withheld`;
4. judges the rest: from a hub, an entry that fails verification is an alert
   (`forged-or-altered-entry`) and the hub is blocked; from another node it is refused,
   kept in the alert list (`refused-entry`, without stopping a direct handover; not for
   an entry that only came before its parents), and `Outcome.hold` names the first
   refused log position, so the caller's cursor never moves past it. Entries of records
   not addressed to this node (`forbidden`) are only counted: an honest peer paging
   across a grant sends those.

The caller raises `Outcome.alert` (a pull or a live stream ends there) or answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from carechain.entries import Entry
from carechain.errors import CarechainError
from carechain.node import IngestResult, Node
from carechain.node.replication import acknowledge
from carechain.sync._runs import run_fault, unplaced
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.policy import allow_for
from carechain.sync.wire import RunProof
from carechain.transparency import (
    ProofError,
    ProofFetcher,
    SignedTreeHead,
    leaf_hash,
    log_id_from_key,
    verify_inclusion,
)
from carechain.trust import Certificate

__all__ = ["VERIFY_CODES", "Delivery", "Outcome", "Received", "receive", "receive_one"]

# Refusals that mean the entry itself is wrong (not merely "not for this node").
VERIFY_CODES = frozenset(
    {
        "bad-encoding",
        "bad-id",
        "bad-signature",
        "unknown-author",
        "malformed-entry",
        "certificate-invalid",
        "revoked",
        "bad-parents",
        "undecryptable",
        "role-not-allowed",
    }
)
ASK_DEPTH = 8  # how many generations of missing parents one delivery may ask a hub for
ASK_MOST = 64  # ids in one request for missing parents


@dataclass(frozen=True)
class Received:
    """One entry as it arrived: decoded (or why not), and, from a hub, where its log
    holds it and the inclusion proof against the delivery's head."""

    item: Entry | CarechainError
    seq: int | None = None
    proof: Sequence[bytes] | None = None


Ask = Callable[[Sequence[bytes]], "Delivery"]


@dataclass
class Delivery:
    """What one peer gave this node in one go, and what it proves it with."""

    peer: Certificate
    items: Sequence[Received]
    head: SignedTreeHead | None = None  # from a hub: the head the proofs are against
    fetch: ProofFetcher | None = None  # consistency proofs between two sizes of its log
    ask: Ask | None = None  # entries by id from the same hub (with their proofs)
    signatures: Sequence[bool | None] | None = None  # of the decoded entries, if verified
    runs: Sequence[RunProof] = ()  # from a hub: one proof per run of consecutive positions
    # The same page again with an inclusion proof per entry: asked for only when a run
    # proof fails, so that the alert names the entry at fault, as a proof each would.
    itemised: Callable[[], Delivery] | None = None
    runs_held: bool = False  # the run proofs were checked against `head` and held

    @property
    def from_hub(self) -> bool:
        """Return whether the peer keeps a transparency log."""
        return self.peer.role == "hub"


@dataclass
class Outcome:
    """What became of one delivery."""

    results: list[IngestResult | CarechainError] = field(default_factory=list)
    new: list[Entry] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    hold: int | None = None  # the first log position refused: cursors stop before it
    alert: HubMisbehaved | None = None
    placed: list[tuple[int, bytes]] = field(default_factory=list)  # (hub seq, id) held here


def receive_one(node: Node, keeper: HeadKeeper, delivery: Delivery) -> Outcome:
    """Receive one delivery; raise its alert, if it raised one."""
    [outcome] = receive(node, keeper, [delivery])
    if outcome.alert is not None:
        raise outcome.alert
    return outcome


def receive(node: Node, keeper: HeadKeeper, deliveries: Sequence[Delivery]) -> list[Outcome]:
    """Check and store what peers gave this node (one transaction); judge every refusal."""
    outcomes = _receive(node, keeper, deliveries, ASK_DEPTH)
    acknowledge(node, [e for o in outcomes for e in o.new])
    # Where the hub's log holds what this node now holds: what rebuilds that log in order
    # (hub/rebuild.py). Noted after the entries: a crash between leaves the pull cursor
    # behind, so the page comes again and is noted then.
    for d, o in zip(deliveries, outcomes, strict=True):
        if d.from_hub and o.alert is None and o.placed:
            node.store.note_positions(log_id_from_key(d.peer.sig_key), o.placed)
    return outcomes


def _receive(
    node: Node, keeper: HeadKeeper, deliveries: Sequence[Delivery], depth: int
) -> list[Outcome]:
    deliveries = [_settled(d) for d in deliveries]
    outcomes = [Outcome(alert=_vouch(keeper, d) if d.from_hub else None) for d in deliveries]
    taken = [d for d, o in zip(deliveries, outcomes, strict=True) if o.alert is None]
    entries: list[Entry] = []
    # Deliveries verified beforehand keep their answers; the others are verified now (all
    # at once, on every core, by `ingest` when none was).
    signatures: list[bool | None] | None = None
    if any(d.signatures is not None for d in taken):
        signatures = []
    for d in taken:
        mine = [r.item for r in d.items if isinstance(r.item, Entry)]
        entries += mine
        if signatures is not None:
            signatures += (
                d.signatures if d.signatures is not None else node.directory.verify_batch(mine)
            )
    allow = allow_for(node.store, node.info.role, node.keys.box_key_id)
    done = iter(node.ingest(entries, allow=allow, signatures=signatures) if entries else [])
    for d, o in zip(deliveries, outcomes, strict=True):
        if o.alert is not None:
            o.results = [o.alert] * len(d.items)
            continue
        o.results = [r.item if isinstance(r.item, CarechainError) else next(done) for r in d.items]
        # Gaps are asked for only when nothing else is wrong: a forged entry is named as
        # such, not as the gap it leaves.
        if d.from_hub and d.ask is not None and depth > 0 and _only_gaps(o.results):
            _fill_gaps(node, keeper, d, o, depth)
        _judge(keeper, d, o)
        if d.from_hub:
            o.placed += [
                (r.seq, r.item.id)
                for r, result in zip(d.items, o.results, strict=True)
                if r.seq is not None
                and isinstance(r.item, Entry)
                and isinstance(result, IngestResult)
                and result.error is None
            ]
    return outcomes


def _vouch(keeper: HeadKeeper, d: Delivery) -> HubMisbehaved | None:
    """Check a hub's head and each entry's place in its log; return the alert, if any."""
    name = d.peer.name
    log_id = log_id_from_key(d.peer.sig_key)
    if keeper.blocked(log_id):
        return HubMisbehaved(f"hub {name} is blocked by an earlier integrity alert")
    head = d.head
    if head is None:
        return keeper.alert(name, log_id, "no-head", "entries came without a signed tree head")
    if head.head.log_id != log_id:
        return keeper.alert(name, log_id, "wrong-log", "entries came with another log's head")
    try:
        keeper.offer(head, d.fetch or _no_proof)
    except HubMisbehaved as exc:
        return exc
    for r in d.items:
        if isinstance(r.item, CarechainError):
            return keeper.alert(
                name, log_id, "bad-entry", f"entry at {r.seq} does not decode: {r.item.detail}"
            )
        if r.proof is None:
            continue  # in a run: checked below, with every run of the page
        if r.seq is None:
            return keeper.alert(name, log_id, "no-inclusion-proof", unplaced(r.item))
        try:
            verify_inclusion(leaf_hash(r.item.id), r.seq - 1, head.size, r.proof, head.root)
        except ProofError as exc:
            return keeper.alert(
                name, log_id, "entry-not-in-log", f"entry {r.item.hex} at {r.seq}: {exc}"
            )
    fault = None if d.runs_held else run_fault(_placed(d), d.runs, head)
    if fault is None:
        return None
    # A proof that does not hold: the same page with a proof per entry names the entry.
    return _itemised_alert(keeper, d) or keeper.alert(name, log_id, fault.kind, fault.detail)


def _itemised_alert(keeper: HeadKeeper, d: Delivery) -> HubMisbehaved | None:
    """Vouch for the page again, with an inclusion proof per entry; return its alert."""
    if d.itemised is None:
        return None
    try:
        again = d.itemised()
    except CarechainError:
        return None  # the hub would not answer again: the runs are judged as they came
    return _vouch(keeper, again) if again.from_hub else None


def _placed(d: Delivery) -> list[tuple[int | None, Entry, bool]]:
    return [(r.seq, r.item, r.proof is not None) for r in d.items if isinstance(r.item, Entry)]


def _unproven(d: Delivery) -> bool:
    return any(r.proof is None for r in d.items)


def _settled(d: Delivery) -> Delivery:
    """Return the delivery to vouch for: a hub page whose run proofs name a position it
    gives no entry for (an entry left out on the way) is asked for again with an inclusion
    proof per entry, which leaves a gap to ask for by id, as a page of proofs each would."""
    if not d.from_hub or d.head is None or not (d.runs or _unproven(d)):
        return d
    fault = run_fault(_placed(d), d.runs, d.head)
    if fault is None:
        d.runs_held = True
        return d
    if not fault.gap or d.itemised is None:
        return d  # judged by `_vouch`
    try:
        return d.itemised()
    except CarechainError:
        return d


def _no_proof(first: int, second: int) -> Sequence[bytes]:
    return []  # nothing to ask the hub with: an unproven head is not accepted


def _code(result: IngestResult | CarechainError) -> str | None:
    if isinstance(result, CarechainError):
        return result.code
    return None if result.error is None else result.error.code


def _only_gaps(results: Sequence[IngestResult | CarechainError]) -> bool:
    """Return whether entries wait for parents and nothing is refused as invalid."""
    codes = {_code(r) for r in results} & VERIFY_CODES
    return codes == {"bad-parents"}


def _fill_gaps(node: Node, keeper: HeadKeeper, d: Delivery, o: Outcome, depth: int) -> None:
    """Ask the hub for the parents that entries of this delivery name and this node lacks,
    then store them with the entries that waited for them, in one batch (a grant among
    those opens the record to all of them); a generation at a time, up to `depth`."""
    assert d.ask is not None
    allow = allow_for(node.store, node.info.role, node.keys.box_key_id)
    brought = {r.item.id for r in d.items if isinstance(r.item, Entry)}
    fetched: dict[bytes, tuple[int, Entry]] = {}  # by id: the hub's log position, the entry
    for _ in range(depth):
        waiting: list[tuple[int, Entry]] = [
            (i, r.item)
            for i, (r, result) in enumerate(zip(d.items, o.results, strict=True))
            if isinstance(r.item, Entry) and _code(result) in ("bad-parents", "forbidden")
        ]
        gaps = [e for i, e in waiting if _code(o.results[i]) == "bad-parents"]
        named = {p for e in gaps for p in e.header.parents}
        named |= {p for _, e in fetched.values() for p in e.header.parents}
        known = brought | set(fetched) | node.store.has(sorted(named))
        missing = sorted(named - known)[:ASK_MOST]
        if not missing:
            return
        try:
            answer = d.ask(missing)
        except CarechainError:
            return  # the hub would not say: judged as withheld
        o.alert = _vouch(keeper, answer)
        got = [(r.seq or 0, r.item) for r in answer.items if isinstance(r.item, Entry)]
        if o.alert is not None or not got:
            return
        fetched.update((e.id, (seq, e)) for seq, e in got)
        # All in the hub's log order: a parent is always stored before its children.
        batch = sorted(
            [(seq, -1, e) for seq, e in fetched.values()]
            + [(d.items[i].seq or 0, i, e) for i, e in waiting],
            key=lambda item: item[0],
        )
        results = node.ingest([e for _, _, e in batch], allow=allow)
        for (seq, i, entry), result in zip(batch, results, strict=True):
            if i >= 0:
                o.results[i] = result
            elif result.error is None:
                o.placed.append((seq, entry.id))
                if result.new:
                    o.new.append(entry)
            elif result.error is not None and result.error.code in VERIFY_CODES - {"bad-parents"}:
                o.alert = keeper.alert(
                    d.peer.name,
                    log_id_from_key(d.peer.sig_key),
                    "forged-or-altered-entry",
                    f"entry {entry.hex}, asked for by id: {result.error.detail}",
                )
                return


def _judge(keeper: HeadKeeper, d: Delivery, o: Outcome) -> None:
    """Sort each result: stored, not for this node, or refused (an alert from a hub)."""
    if o.alert is not None:
        return
    name = d.peer.name
    log_id = log_id_from_key(d.peer.sig_key)
    for r, result in zip(d.items, o.results, strict=True):
        if isinstance(result, IngestResult) and result.error is None:
            if result.new and isinstance(r.item, Entry):
                o.new.append(r.item)
            continue
        error = result if isinstance(result, CarechainError) else result.error
        assert error is not None
        label = r.item.hex if isinstance(r.item, Entry) else f"at {r.seq}"
        o.refused.append(f"{label}: {error.code}")
        if error.code not in VERIFY_CODES:
            continue  # not addressed to this node: an honest peer sends those across a grant
        if d.from_hub:
            if error.code == "bad-parents":
                o.alert = keeper.alert(
                    name,
                    log_id,
                    "entry-withheld",
                    f"{error.detail}, and the hub does not produce it with a proof",
                )
            else:
                o.alert = keeper.alert(
                    name, log_id, "forged-or-altered-entry", f"entry {label}: {error.detail}"
                )
            return
        if error.code != "bad-parents":  # out of order is the sender's to fix, not a forgery
            keeper.note(name, "refused-entry", f"entry {label} from {name}: {error.detail}", label)
        if r.seq is not None:  # (a push has none: its sender keeps its cursor)
            o.hold = r.seq if o.hold is None else min(o.hold, r.seq)
