"""The calling side of sync: signed requests to a peer, and one full sync round.

A round with a peer: learn who it is (and its directory); if it keeps a transparency log,
accept its new head only as a proven extension of the last one; pull what it has for us
(checking every entry, and every inclusion proof from a hub); push what it may receive;
swap hub heads with it (gossip). Cursors are kept per peer, so a round resumes where the
last one stopped and a retried round changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from carechain.entries import Entry, decode_entry
from carechain.entries.canonical import encode_pair
from carechain.errors import CarechainError, MalformedEntry, NotFound
from carechain.node import Node
from carechain.node.replication import acknowledge
from carechain.sync.auth import sign_request
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.policy import FULL_ROLES, allow_for, page_for
from carechain.sync.wire import (
    CBOR,
    PushResult,
    RangeProof,
    decode_head,
    decode_heads,
    decode_message,
    encode_head,
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
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = [
    "Outgoing",
    "PeerClient",
    "PeerRefused",
    "SyncReport",
    "check_push_answer",
    "introduce",
    "learn_peer",
    "sync_with",
]

PAGE = 500
VERIFY_CODES = {
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


class PeerClient:
    """Signed sync requests from a node to one peer."""

    def __init__(self, node: Node, http: httpx.Client) -> None:
        self.node = node
        self.http = http

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one signed request and decode the CBOR answer."""
        data = b"" if body is None else encode_message(body)
        url = httpx.URL(path, params=params or {})
        headers = sign_request(
            self.node.keys, method, url.path, url.query.decode(), data, self.node.clock_ms()
        )
        if body is not None:
            headers["Content-Type"] = CBOR
        r = self.http.request(method, url, content=data, headers=headers)
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"type": "unknown", "detail": r.text[:200]}
            raise PeerRefused(
                f"{method} {path}: {r.status_code} {problem.get('detail', '')}",
                problem_type=problem.get("type"),
                status=r.status_code,
            )
        return decode_message(r.content)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Fetch a consistency proof from the peer's log.

        A hub that answers a refusal (4xx) cannot prove what it signed: that is an empty
        proof, which fails the check and raises an alert. Network errors and 5xx are not
        evidence of anything and propagate, so the head is simply not accepted this time.
        """
        try:
            proof = self.call("GET", "/sync/v1/consistency", {"first": first, "second": second})
        except PeerRefused as exc:
            if 400 <= int(exc.extra.get("status", 500)) < 500:
                return []
            raise
        return list(proof["proof"])


class PeerRefused(CarechainError):
    """A peer answered a sync request with an error."""

    code = "peer-refused"
    status = 502
    title = "Peer refused the request"


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


def learn_peer(node: Node, info: dict[str, Any]) -> Certificate:
    """Take in a peer's `/info` answer (its directory) and return its certificate."""
    directory = []
    for wire in info.get("directory", []):
        try:
            directory.append(decode_entry(wire))
        except CarechainError:
            continue
    node.ingest(directory)
    certs = node.directory.certs.get(info.get("key", b""))
    if not certs:
        raise NotFound(f"peer {info.get('name')!r} is not certified by this trust")
    return max(certs, key=lambda c: c.exp)


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


def _pull(
    node: Node, peer: PeerClient, cert: Certificate, keeper: HeadKeeper, report: SyncReport
) -> None:
    cursor_key = f"pull:{cert.key_id.hex()}"
    after = int(node.store.get_meta(cursor_key) or b"0")
    is_hub = cert.role == "hub"

    def fetch(after: int) -> dict[str, Any]:
        return peer.call(
            "GET",
            "/sync/v1/pull",
            {"after": after, "limit": PAGE, "proofs": "true" if is_hub else "false"},
        )

    # The next page is asked for as soon as this one names where it ends, and arrives
    # while this one is checked and stored; pages are still checked and stored in order.
    with ThreadPoolExecutor(1, thread_name_prefix="carechain-pull") as fetcher:
        upcoming: Future[dict[str, Any]] | None = fetcher.submit(fetch, after)
        while upcoming is not None:
            page = upcoming.result()
            upcoming = fetcher.submit(fetch, int(page["next"])) if page["more"] else None
            _pull_page(node, peer, cert, keeper, report, page, cursor_key, is_hub)


def _pull_page(
    node: Node,
    peer: PeerClient,
    cert: Certificate,
    keeper: HeadKeeper,
    report: SyncReport,
    page: dict[str, Any],
    cursor_key: str,
    is_hub: bool,
) -> None:
    """Check one pulled page (its head, each entry's encoding and inclusion), store it,
    and move the cursor past it."""
    head = _check_head(keeper, peer.consistency, cert, page.get("head"))
    entries: list[Entry] = []
    for seq, wire, proof in page["entries"]:
        try:
            entry = decode_entry(wire)
        except CarechainError as exc:
            if is_hub:
                raise keeper.alert(
                    cert.name,
                    head.head.log_id if head else b"",
                    "bad-entry",
                    f"entry at {seq} does not decode: {exc.detail}",
                ) from None
            report.refused.append(exc.detail)
            continue
        if head is not None:
            _included(keeper, cert, head, entry, seq, proof or [], "entry-not-in-log")
        entries.append(entry)
    report.pulled += _ingest_from(node, cert, keeper, head, entries, report)
    node.store.set_meta(cursor_key, str(int(page["next"])).encode())
    report.head = head or report.head


def _ingest_from(
    node: Node,
    cert: Certificate,
    keeper: HeadKeeper,
    head: SignedTreeHead | None,
    entries: Sequence[Entry],
    report: SyncReport,
) -> int:
    allow = allow_for(node.store, node.info.role, node.keys.box_key_id)
    report.from_peer.update(e.id for e in entries)
    new: list[Entry] = []
    for entry, result in zip(entries, node.ingest(entries, allow=allow), strict=True):
        if result.error is None:
            if result.new:
                new.append(entry)
            continue
        if head is not None and result.error.code in VERIFY_CODES:
            raise keeper.alert(
                cert.name,
                head.head.log_id,
                "forged-or-altered-entry",
                f"entry {entry.hex}: {result.error.detail}",
            )
        report.refused.append(f"{entry.hex}: {result.error.code}")
    acknowledge(node, new)
    return len(new)


def _push(
    node: Node, peer: PeerClient, cert: Certificate, keeper: HeadKeeper, report: SyncReport
) -> None:
    cursor_key = f"push:{cert.key_id.hex()}"
    after = int(node.store.get_meta(cursor_key) or b"0")
    # One request at a time reaches the peer, in order (a page may hold the parents of
    # the next); the next page is read and sent while this one's answer is checked.
    with ThreadPoolExecutor(1, thread_name_prefix="carechain-push") as sender:
        page, cursor, more = _page(node, cert, after)
        sending = _unsent(page, report)
        answer = _send(sender, peer, keeper, sending)
        while True:
            upcoming = _page(node, cert, cursor) if more else None
            upcoming_sending = [] if upcoming is None else _unsent(upcoming[0], report)
            got = None if answer is None else answer.result()
            answer = _send(sender, peer, keeper, upcoming_sending)
            marks: list[tuple[str, bytes]] = []
            if got is not None:
                stop_at = check_push_answer(
                    node, peer.consistency, cert, keeper, report, sending, got, marks
                )
                if stop_at is not None:
                    # Keep what was refused for the next round instead of passing it by.
                    marks.append((cursor_key, str(max(after, stop_at - 1)).encode()))
                    node.store.set_meta_many(marks)
                    return
            after = cursor
            marks.append((cursor_key, str(after).encode()))
            node.store.set_meta_many(marks)  # a page's proofs and the cursor, in one transaction
            if upcoming is None:
                return
            (page, cursor, more), sending = upcoming, upcoming_sending


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


def _page(node: Node, cert: Certificate, after: int) -> tuple[list[Outgoing], int, bool]:
    """Return the next page of this log for the peer: entries, cursor, whether more follow."""
    if cert.role not in FULL_ROLES:
        page = page_for(node.store, cert, after, PAGE)
        out = [Outgoing(r.seq, r.id, encode_pair(r.signed, r.signature)) for r in page.entries]
        return out, page.next, page.more
    # Everything goes to a hub or a vault: the rows as stored, sent on without a decode.
    end = node.store.count()  # entries are numbered densely, so this is the last seq now
    rows = [r for r in node.store.raw_since(after, PAGE) if r.seq <= end]
    more = len(rows) == PAGE
    out = [Outgoing(r.seq, r.id, encode_pair(r.signed, r.signature)) for r in rows]
    return out, rows[-1].seq if more else max(end, after), more


def _unsent(page: list[Outgoing], report: SyncReport) -> list[Outgoing]:
    # What this round just pulled from the peer, the peer has: no need to send it back.
    return [s for s in page if s.id not in report.from_peer]


def _send(
    sender: ThreadPoolExecutor, peer: PeerClient, keeper: HeadKeeper, sending: list[Outgoing]
) -> Future[dict[str, Any]] | None:
    if not sending:
        return None
    body = {
        "entries": [s.wire for s in sending],
        "heads": [encode_head(h) for h in keeper.heads()],
    }
    return sender.submit(peer.call, "POST", "/sync/v1/push", None, body)


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
    """Check a push answer and collect its status marks; return where to stop, if anywhere.

    `pending=False` leaves the heads other nodes gossiped for the next sync round (a
    stream's answers come a frame a second)."""
    results = [PushResult.from_wire(r) for r in answer["results"]]
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
            if cert.role == "hub" and result.code in VERIFY_CODES and stop_at is None:
                stop_at = stored.seq
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
        report.notes += [str(n) for n in answer.get("notes", [])]
        if cert.role != "hub":
            report.notes += keeper.gossip_noting(decode_heads(answer.get("heads")))
    return stop_at


def _refused_valid(
    node: Node, keeper: HeadKeeper, cert: Certificate, entry: Entry, result: PushResult
) -> None:
    """A hub refusing, as invalid, an entry that verifies here is misbehaving."""
    try:
        node.directory.check_signature(entry)
    except CarechainError:
        return  # it really is invalid (say, revoked since): the refusal is right
    if cert.role == "hub":
        log_id = log_id_from_key(cert.sig_key)
        raise keeper.alert(
            cert.name,
            log_id,
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


def introduce(node: Node, http: httpx.Client) -> tuple[Certificate, dict[str, Any]]:
    """Swap directories with the peer behind `http`; return its certificate and `/info`."""
    mine = [s.entry.to_wire() for s in node.store.record(DIRECTORY_RECORD)]
    http.post(
        "/sync/v1/directory",
        content=encode_message({"entries": mine}),
        headers={"Content-Type": CBOR},
    ).raise_for_status()
    info = decode_message(http.get("/sync/v1/info").content)
    return learn_peer(node, info), info


def sync_with(node: Node, http: httpx.Client) -> SyncReport:
    """Run one full sync round with the peer behind `http`."""
    peer = PeerClient(node, http)
    cert, info = introduce(node, http)
    keeper = HeadKeeper(node.store, node.directory)
    report = SyncReport(peer=cert.name, role=cert.role)
    if cert.role == "hub":
        raw = info.get("head")
        if raw is not None:
            log_id = decode_head(raw).head.log_id
            if keeper.blocked(log_id):
                raise HubMisbehaved(
                    f"hub {cert.name} is blocked by an integrity alert; see the node's alerts"
                )
    _pull(node, peer, cert, keeper, report)
    _push(node, peer, cert, keeper, report)
    if cert.role != "hub":
        answer = peer.call(
            "POST", "/sync/v1/heads", body={"heads": [encode_head(h) for h in keeper.heads()]}
        )
        report.notes += keeper.gossip_noting(decode_heads(answer.get("heads")))
    return report
