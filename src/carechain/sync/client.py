"""The calling side of sync: signed requests to a peer, and one full sync round.

A round with a peer: learn who it is (and its directory); if it keeps a transparency log,
accept its new head only as a proven extension of the last one; pull what it has for us
(checking every entry, and every inclusion proof from a hub); push what it may receive;
swap hub heads with it (gossip). Cursors are kept per peer, so a round resumes where the
last one stopped and a retried round changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from carechain.entries import Entry, decode_entry
from carechain.errors import CarechainError, MalformedEntry, NotFound
from carechain.node import Node
from carechain.node.replication import acknowledge
from carechain.sync.auth import sign_request
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.policy import allow_for, page_for
from carechain.sync.wire import (
    CBOR,
    PushResult,
    decode_head,
    decode_heads,
    decode_message,
    encode_head,
    encode_message,
)
from carechain.transparency import (
    ProofError,
    SignedTreeHead,
    leaf_hash,
    log_id_from_key,
    verify_inclusion,
)
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = ["PeerClient", "SyncReport", "sync_with"]

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


def _learn_peer(node: Node, info: dict[str, Any]) -> Certificate:
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
    keeper: HeadKeeper, peer: PeerClient, cert: Certificate, raw: Any
) -> SignedTreeHead | None:
    if cert.role != "hub":
        return None
    if raw is None:
        raise keeper.alert(cert.name, b"\0" * 32, "no-head", "the hub offered no tree head")
    head = decode_head(raw)
    keeper.offer(head, peer.consistency)
    keeper.check_pending(head.head.log_id, peer.consistency)
    return head


def _pull(
    node: Node, peer: PeerClient, cert: Certificate, keeper: HeadKeeper, report: SyncReport
) -> None:
    cursor_key = f"pull:{cert.key_id.hex()}"
    after = int(node.store.get_meta(cursor_key) or b"0")
    is_hub = cert.role == "hub"
    while True:
        page = peer.call(
            "GET",
            "/sync/v1/pull",
            {"after": after, "limit": PAGE, "proofs": "true" if is_hub else "false"},
        )
        head = _check_head(keeper, peer, cert, page.get("head"))
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
                try:
                    verify_inclusion(
                        leaf_hash(entry.id), seq - 1, head.size, proof or [], head.root
                    )
                except ProofError as exc:
                    raise keeper.alert(
                        cert.name,
                        head.head.log_id,
                        "entry-not-in-log",
                        f"entry {entry.hex} at {seq}: {exc}",
                    ) from None
            entries.append(entry)
        report.pulled += _ingest_from(node, cert, keeper, head, entries, report)
        after = int(page["next"])
        node.store.set_meta(cursor_key, str(after).encode())
        report.head = head or report.head
        if not page["more"]:
            return


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
    while True:
        page = page_for(node.store, cert, after, PAGE)
        # What this round just pulled from the peer, the peer has: no need to send it back.
        sending = [s for s in page.entries if s.entry.id not in report.from_peer]
        marks: list[tuple[str, bytes]] = []
        if sending:
            answer = peer.call(
                "POST",
                "/sync/v1/push",
                body={
                    "entries": [s.entry.to_wire() for s in sending],
                    "heads": [encode_head(h) for h in keeper.heads()],
                },
            )
            results = [PushResult.from_wire(r) for r in answer["results"]]
            if len(results) != len(sending):
                raise MalformedEntry("the peer answered a different number of results")
            head = _check_head(keeper, peer, cert, answer.get("head"))
            stop_at: int | None = None
            for stored, result in zip(sending, results, strict=True):
                if result.code is not None:
                    report.refused.append(f"{stored.entry.hex}: {result.code}")
                    if cert.role == "hub" and result.code in VERIFY_CODES and stop_at is None:
                        stop_at = stored.seq
                        _refused_valid(node, keeper, cert, stored.entry, result)
                    continue
                report.pushed += int(result.new)
                if head is not None:
                    marks.append(_record_inclusion(keeper, cert, head, stored.entry, result))
            if stop_at is not None:
                # Keep what was refused for the next round instead of passing it by.
                marks.append((cursor_key, str(max(after, stop_at - 1)).encode()))
                node.store.set_meta_many(marks)
                return
            report.notes += [str(n) for n in answer.get("notes", [])]
            if cert.role != "hub":
                report.notes += keeper.gossip_noting(decode_heads(answer.get("heads")))
        after = page.next
        marks.append((cursor_key, str(after).encode()))
        node.store.set_meta_many(marks)  # a page's proofs and the cursor, in one transaction
        if not page.more:
            return


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
    entry: Entry,
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
    try:
        verify_inclusion(leaf_hash(entry.id), result.seq - 1, head.size, result.proof, head.root)
    except ProofError as exc:
        raise keeper.alert(
            cert.name,
            head.head.log_id,
            "bad-inclusion-proof",
            f"entry {entry.hex} at {result.seq}: {exc}",
        ) from None
    # Kept as `at-hub:<id>`: the crew's "held by the hub" status.
    mark = encode_message({"hub": cert.name, "seq": result.seq, "size": head.size})
    return f"at-hub:{entry.hex}", mark


def sync_with(node: Node, http: httpx.Client) -> SyncReport:
    """Run one full sync round with the peer behind `http`."""
    peer = PeerClient(node, http)
    mine = [s.entry.to_wire() for s in node.store.record(DIRECTORY_RECORD)]
    http.post(
        "/sync/v1/directory",
        content=encode_message({"entries": mine}),
        headers={"Content-Type": CBOR},
    ).raise_for_status()
    info = decode_message(http.get("/sync/v1/info").content)
    cert = _learn_peer(node, info)
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
