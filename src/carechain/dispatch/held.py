"""Dispatch offers in a node's store: kept on a hub, served to the crews they are sealed to,
pulled and held on a crew node (routing metadata in `meta`; content only as ciphertext)."""

from __future__ import annotations

from carechain.dispatch.incident import Incident, parse_incident
from carechain.dispatch.offer import Offer, open_offer
from carechain.errors import FieldInvalid
from carechain.node import Node

__all__ = ["ACCEPTED", "HELD", "NEWEST", "OFFER", "SEEN", "held", "hold_offers", "kept",
           "newest_offer", "offers_since", "open_held", "pulled_up_to"]

OFFER = "dispatch/offer/"  # hub: seq (12 digits) → offer
NEWEST = "dispatch/newest"  # hub: the newest offer's seq (one read tells a live stream)
SEEN = "dispatch/seen/"  # hub: incident/digest → seq
HELD = "dispatch/held/"  # crew: incident/revision (6 digits) → offer
ACCEPTED = "dispatch/accepted/"  # crew: incident → record id
_CURSOR = "dispatch/cursor/"  # crew: hub key id → last seq pulled


def kept(node: Node) -> list[tuple[str, Offer]]:
    """Return every offer a hub keeps, by its store key, in order."""
    return [(k, Offer.from_bytes(v)) for k, v in node.store.meta_items(OFFER)]


def newest_offer(node: Node) -> int:
    """Return the sequence of the newest offer a hub keeps (0 if none)."""
    value = node.store.get_meta(NEWEST)
    return 0 if value is None else int(value)


def held(node: Node, incident: str | None = None) -> list[Offer]:
    """Return the offers a crew node holds (of one incident), oldest revision first."""
    prefix = HELD if incident is None else f"{HELD}{incident}/"
    return [Offer.from_bytes(v) for _, v in node.store.meta_items(prefix)]


def offers_since(node: Node, box_key_id: bytes, after: int, limit: int = 100) -> tuple[
    list[bytes], int
]:
    """Return (offers sealed to `box_key_id` after hub sequence `after`, the last sequence
    looked at): what a crew node pulls from its hub."""
    out: list[bytes] = []
    last = after
    for key, value in node.store.meta_items(OFFER):
        seq = int(key[len(OFFER):])
        if seq <= after:
            continue
        last = seq
        if box_key_id in Offer.from_bytes(value).to:
            out.append(value)
        if len(out) >= limit:
            break
    return out, last


def hold_offers(node: Node, hub_key_id: bytes, offers: list[bytes], last: int) -> int:
    """Keep on a crew node the offers pulled from a hub (each checked: signed by that hub,
    sealed to this node, well formed); return how many were new."""
    items: list[tuple[str, bytes]] = []
    for data in offers:
        offer = Offer.from_bytes(data)
        if offer.hub != hub_key_id:
            raise FieldInvalid("offer", "is not signed by the hub it came from")
        open_held(node, offer)
        key = f"{HELD}{offer.incident}/{offer.revision:06d}"
        if node.store.get_meta(key) is None:
            items.append((key, data))
    items.append((_CURSOR + hub_key_id.hex(), str(last).encode()))
    node.store.set_meta_many(items)
    return len(items) - 1


def pulled_up_to(node: Node, hub_key_id: bytes) -> int:
    """Return the last hub sequence this node pulled offers up to."""
    value = node.store.get_meta(_CURSOR + hub_key_id.hex())
    return 0 if value is None else int(value)


def open_held(node: Node, offer: Offer) -> Incident:
    """Open an offer sealed to this node, signed by a hub of its trust."""
    certs = node.directory.certs.get(offer.hub) or []
    hub = next((c for c in certs if c.role == "hub" and c.org == node.info.org), None)
    if hub is None:
        raise FieldInvalid("offer", "is signed by no hub of this trust")
    raw = open_offer(offer, hub_sign_key=hub.sig_key, my_key_id=node.keys.box_key_id,
                     my_private=node.keys.box_private)
    return parse_incident(raw)
