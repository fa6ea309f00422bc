"""Follow a peer's live stream: receive, check and store each new entry as it comes.

Each message goes through `carechain.sync.receive`, exactly as a pulled page does: from a
hub, its signed head must extend the last one this node accepted (the message carries the
consistency proof) and every entry needs its inclusion proof; an entry that fails is an
integrity alert, and following stops; heads other nodes gossiped are checked once a
connection, as a sync round checks them. The cursor is the one pull keeps for the peer, and
it only moves past what was stored: a refused entry holds it, so neither the next
connection nor the next sync round skips what was refused. Decoding and checking run on
a worker thread, never on the event loop.

A crew node following its hub also names its cursor in the hub's dispatch offers
(`offers=N`) and holds each offer the hub pushes, checked as a pulled one is
(`carechain.dispatch.held.hold_offers`: signed by that hub of its trust, sealed to this
node, a valid incident), moving the same cursor the poll keeps; the poll in each sync
round stays the fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from carechain.dispatch.held import hold_offers, pulled_up_to
from carechain.entries import Entry
from carechain.errors import FieldInvalid, NotFound
from carechain.node import Node
from carechain.sync.auth import sign_request
from carechain.sync.client import PeerClient, delivery_of
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.sync.receive import receive_one
from carechain.sync.tls import DEFAULT_TLS, PeerTLS
from carechain.sync.wire import decode_message, page_next
from carechain.transparency import log_id_from_key
from carechain.trust import Certificate

__all__ = ["follow"]

OnEntries = Callable[[list[Entry]], None]


@dataclass
class _Following:
    """One connection's state: the peer, what it last proved, where the cursor may go."""

    node: Node
    peer: PeerClient
    cert: Certificate
    keeper: HeadKeeper
    # The size the hub proves each message's head from: `known` at the opening (the last
    # head of this hub accepted then), then the largest head the hub sent on this connection.
    known: int
    held: int | None = None  # the first position refused on this connection
    pending_checked: bool = False

    @property
    def cursor_key(self) -> str:
        return f"pull:{self.cert.key_id.hex()}"

    def take(self, raw: bytes) -> list[Entry]:
        """Check and store one message (on a worker thread); return the entries it held."""
        message = decode_message(raw, strict=False)
        if "offers" in message and "entries" not in message:
            self.hold(message)
            return []
        included = message.get("consistency")
        proven_from = self.known

        def fetch(first: int, second: int) -> Sequence[bytes]:
            # The hub proves each head from the largest one it sent on this connection; a
            # head accepted meanwhile by a sync round is not that one: anything else is asked.
            if _hashes(included) and first == proven_from:
                return list(included)  # type: ignore[arg-type]
            return self.peer.consistency(first, second)

        delivery = delivery_of(self.peer, self.cert, message, fetch)
        if delivery.head is not None:
            # What the hub proves the next head from: the largest head it has sent on this
            # connection (or `known` at the opening), whatever this node accepted since by
            # another way (a sync round, a gap filled): `LiveHub._message` keeps the same.
            self.known = max(self.known, delivery.head.size)
        outcome = receive_one(self.node, self.keeper, delivery)
        if delivery.head is not None:
            log_id = delivery.head.head.log_id
            if not self.pending_checked:  # heads other nodes gossiped: once a connection
                self.pending_checked = True
                self.keeper.check_pending(log_id, self.peer.consistency)
        if outcome.hold is not None:
            self.held = outcome.hold if self.held is None else min(self.held, outcome.hold)
        try:
            cursor, _ = page_next(message)
        except FieldInvalid:
            raise HubMisbehaved("a live message named no valid cursor") from None
        if self.held is not None:
            cursor = min(cursor, self.held - 1)
        store = self.node.store
        if cursor > int(store.get_meta(self.cursor_key) or b"0") or self.held is not None:
            store.set_meta(self.cursor_key, str(max(cursor, 0)).encode())
        return [r.item for r in delivery.items if isinstance(r.item, Entry)]

    def hold(self, message: dict[str, object]) -> None:
        """Keep the dispatch offers the hub pushed (each checked), and move the cursor."""
        offers, last = message.get("offers"), message.get("offers_last")
        if not isinstance(offers, list) or not all(type(o) is bytes for o in offers) \
                or type(last) is not int or last < 0:
            raise FieldInvalid("offers", "must be a list of offers and the cursor after them")
        # The cursor never moves back (a sync round's poll may have passed it meanwhile).
        last = max(last, pulled_up_to(self.node, self.cert.key_id))
        hold_offers(self.node, self.cert.key_id, offers, last)


def _certificate(node: Node, peer_key: str) -> Certificate:
    certs = node.directory.certs.get(bytes.fromhex(peer_key))
    if not certs:
        raise NotFound(f"node {peer_key[:16]} is not in this node's directory")
    return max(certs, key=lambda c: c.exp)


async def follow(
    node: Node,
    base_url: str,
    peer_key: str,
    *,
    stop: asyncio.Event,
    on_entries: OnEntries | None = None,
    tls: PeerTLS = DEFAULT_TLS,
) -> None:
    """Stream entries from the peer at base_url (http://host:port) until stop is set.

    Raises `HubMisbehaved` when a hub's message fails its checks (an alert is kept and the
    hub is blocked), and at once when an earlier alert blocks the hub.
    """
    cert = _certificate(node, peer_key)
    keeper = HeadKeeper(node.store, node.directory)
    log_id = log_id_from_key(cert.sig_key)
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    with tls.http(base_url, 15.0) as http:
        while not stop.is_set():
            if cert.role == "hub" and keeper.blocked(log_id):
                raise HubMisbehaved(f"hub {cert.name} is blocked by an integrity alert")
            accepted = keeper.accepted(log_id)
            state = _Following(
                node, PeerClient(node, http), cert, keeper, 0 if accepted is None else accepted.size
            )
            after = keeper.resume_cursor("pull", cert)
            query = f"after={after}&known={state.known}"
            if node.info.role == "crew" and cert.role == "hub":
                query += f"&offers={pulled_up_to(node, cert.key_id)}"
            headers = sign_request(node.keys, "GET", "/sync/v1/live", query, b"", node.clock_ms())
            uri = f"{scheme}://{parts.netloc}/sync/v1/live?{query}"
            # No per-message deflate: entries are ciphertext, which does not compress.
            async with connect(
                uri, additional_headers=headers, max_size=64 * 1024 * 1024, compression=None,
                ssl=tls.websocket(base_url),
            ) as ws:
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    data = raw if isinstance(raw, bytes) else raw.encode()
                    entries = await asyncio.to_thread(state.take, data)
                    if on_entries is not None and entries:
                        on_entries(entries)


def _hashes(value: object) -> bool:
    """Return whether a proof from the peer is a list of 32-byte hashes."""
    return isinstance(value, list) and all(type(h) is bytes and len(h) == 32 for h in value)
