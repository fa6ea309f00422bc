"""The calling side of sync: signed requests to a peer, and one full sync round.

A round with a peer: learn who it is (and its directory); if it keeps a transparency log,
accept its new head only as a proven extension of the last one; pull what it has for us
(checking every entry, and every inclusion proof from a hub); push what it may receive;
swap hub heads with it (gossip). Cursors are kept per peer, so a round resumes where the
last one stopped and a retried round changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx

from carechain.dispatch.held import hold_offers, pulled_up_to
from carechain.entries import Entry, decode_entry
from carechain.entries.canonical import encode_pair
from carechain.errors import CarechainError, NotFound
from carechain.node import Node
from carechain.sync._answers import Outgoing, SyncReport, check_push_answer
from carechain.sync.auth import sign_request
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.policy import FULL_ROLES, page_for
from carechain.sync.receive import Delivery, Received, receive_one
from carechain.sync.wire import (
    CBOR,
    MAX_ASK,
    decode_head,
    decode_heads,
    decode_message,
    encode_head,
    encode_message,
    page_entries,
    page_next,
    page_runs,
)
from carechain.transparency import ProofFetcher
from carechain.trust import DIRECTORY_RECORD, Certificate

__all__ = [
    "Outgoing",
    "PeerClient",
    "PeerRefused",
    "SyncReport",
    "check_push_answer",
    "delivery_of",
    "introduce",
    "learn_peer",
    "sync_with",
]

PAGE = 500


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

    def entries(self, ids: Sequence[bytes]) -> dict[str, Any]:
        """Ask the peer for entries by id (with their proofs, from a hub)."""
        wanted = ",".join(i.hex() for i in list(ids)[:MAX_ASK])
        return self.call("GET", "/sync/v1/entries", {"ids": wanted})


class PeerRefused(CarechainError):
    """A peer answered a sync request with an error."""

    code = "peer-refused"
    status = 502
    title = "Peer refused the request"


def learn_peer(node: Node, info: dict[str, Any]) -> Certificate:
    """Take in a peer's `/info` answer (its directory) and return its certificate.

    Only directory entries are taken from it (each still checked against the trust root):
    `/info` is unauthenticated, and no record comes in by that door."""
    offered = info.get("directory")
    directory = []
    for wire in offered if isinstance(offered, list) else []:
        try:
            entry = decode_entry(wire)
        except CarechainError:
            continue
        if entry.header.cls == "directory" and entry.header.record == DIRECTORY_RECORD:
            directory.append(entry)
    node.ingest(directory)
    key = info.get("key")
    certs = node.directory.certs.get(key) if isinstance(key, bytes) else None
    if not certs and info.get("role") == "hub" and isinstance(key, bytes):
        raise _uncertified_hub(node, info, key)
    if not certs:
        raise NotFound(f"peer {info.get('name')!r} is not certified by this trust")
    return max(certs, key=lambda c: c.exp)


def _uncertified_hub(node: Node, info: dict[str, Any], key: bytes) -> HubMisbehaved:
    """Alert on a hub that serves with a key the trust did not certify (a stolen address,
    or a hub re-keyed without the trust): once, then the hub stays blocked."""
    name = str(info.get("name"))
    try:
        log_id = decode_head(info["head"]).head.log_id
    except (KeyError, TypeError, ValueError, CarechainError):
        log_id = key
    keeper = HeadKeeper(node.store, node.directory)
    if keeper.blocked(log_id):
        return HubMisbehaved(f"hub {name} is blocked by an integrity alert; see the node's alerts")
    return keeper.alert(
        name,
        log_id,
        "uncertified-hub-key",
        f"hub {name!r} serves with key {key.hex()[:16]}, which this trust did not certify",
    )


def delivery_of(
    peer: PeerClient,
    cert: Certificate,
    page: dict[str, Any],
    fetch: ProofFetcher | None = None,
    itemised: Callable[[], dict[str, Any]] | None = None,
) -> Delivery:
    """Return a pulled page (or a live message, or an answer for entries by id) as a
    delivery from the peer: each entry decoded, with its place and proof in a hub's log.
    `itemised` asks for the same page with an inclusion proof per entry."""
    raw = page.get("head")
    head = decode_head(raw) if raw is not None else None
    items = [Received(_decoded(wire), seq, proof) for seq, wire, proof in page_entries(page)]
    is_hub = cert.role == "hub"
    return Delivery(
        cert,
        items,
        head,
        fetch=fetch or peer.consistency,
        ask=(lambda ids: delivery_of(peer, cert, peer.entries(ids))) if is_hub else None,
        runs=page_runs(page),
        itemised=None if itemised is None else lambda: delivery_of(peer, cert, itemised()),
    )


def _decoded(wire: bytes) -> Entry | CarechainError:
    try:
        return decode_entry(wire)
    except CarechainError as exc:
        return exc


def _pull(
    node: Node, peer: PeerClient, cert: Certificate, keeper: HeadKeeper, report: SyncReport
) -> None:
    cursor_key = f"pull:{cert.key_id.hex()}"
    after = keeper.resume_cursor("pull", cert)
    is_hub = cert.role == "hub"

    def fetch(after: int, runs: bool = is_hub) -> dict[str, Any]:
        return peer.call(
            "GET",
            "/sync/v1/pull",
            {"after": after, "limit": PAGE, "proofs": "true" if is_hub else "false",
             "runs": "true" if runs else "false"},
        )

    # The next page is asked for as soon as this one names where it ends, and arrives
    # while this one is checked and stored; pages are still checked and stored in order.
    held: int | None = None  # the first position refused: the cursor stays before it
    with ThreadPoolExecutor(1, thread_name_prefix="carechain-pull") as fetcher:
        upcoming: Future[dict[str, Any]] | None = fetcher.submit(fetch, after)
        asked = after
        while upcoming is not None:
            page = upcoming.result()
            ends, more = page_next(page)
            upcoming = fetcher.submit(fetch, ends) if more else None
            again = partial(fetch, asked, False)
            outcome = receive_one(node, keeper, delivery_of(peer, cert, page, itemised=again))
            asked = ends
            report.pulled += len(outcome.new)
            report.refused += outcome.refused
            report.from_peer.update(e.id for e in outcome.new)
            if outcome.hold is not None:
                held = outcome.hold if held is None else min(held, outcome.hold)
            cursor = ends if held is None else max(0, held - 1)
            node.store.set_meta(cursor_key, str(cursor).encode())
            if is_hub and page.get("head") is not None:
                report.head = decode_head(page["head"])
    if report.head is not None:  # heads gossiped earlier, checked now the hub can prove
        keeper.check_pending(report.head.head.log_id, peer.consistency)


def _push(
    node: Node, peer: PeerClient, cert: Certificate, keeper: HeadKeeper, report: SyncReport
) -> None:
    if node.info.role == "hub":
        return  # a hub gives what it holds by pull and live, where each entry has its proof
    cursor_key = f"push:{cert.key_id.hex()}"
    after = keeper.resume_cursor("push", cert)
    held: int | None = None  # the first entry a node refused: the cursor stays before it
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
                if stop_at is not None and cert.role == "hub":
                    # Keep what was refused for the next round instead of passing it by.
                    marks.append((cursor_key, str(max(after, stop_at - 1)).encode()))
                    node.store.set_meta_many(marks)
                    return
                if stop_at is not None:  # another node: the rest still goes, the cursor waits
                    held = stop_at if held is None else min(held, stop_at)
            after = cursor
            kept = after if held is None else min(after, held - 1)
            marks.append((cursor_key, str(kept).encode()))
            node.store.set_meta_many(marks)  # a page's proofs and the cursor, in one transaction
            if upcoming is None:
                return
            (page, cursor, more), sending = upcoming, upcoming_sending


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


def _offers(node: Node, peer: PeerClient, cert: Certificate) -> None:
    """Pull the dispatch offers the hub sealed to this crew node since the last time."""
    while True:
        after = pulled_up_to(node, cert.key_id)
        answer = peer.call("GET", "/sync/v1/offers", params={"after": after})
        last = int(answer.get("last", after))
        hold_offers(node, cert.key_id, [bytes(o) for o in answer.get("offers", [])], last)
        if last == after or not answer.get("offers"):
            return


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
    if cert.role == "hub" and node.info.role == "crew":
        _offers(node, peer, cert)
    if cert.role != "hub":
        answer = peer.call(
            "POST", "/sync/v1/heads", body={"heads": [encode_head(h) for h in keeper.heads()]}
        )
        report.notes += keeper.gossip_noting(decode_heads(answer.get("heads")))
    return report
