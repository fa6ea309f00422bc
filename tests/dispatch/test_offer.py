"""A dispatch offer opens only with the key it was sealed to, under the signature of a hub
of the crew's own trust, unaltered; a crew node keeps nothing that fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from carechain.dispatch import Offer, open_offer, seal_offer
from carechain.dispatch.held import held, hold_offers, open_held
from carechain.errors import FieldInvalid
from carechain.node import Node
from carechain.testing import Trust, make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

INCIDENT = {
    "incident_number": "INC-7", "call_received": "2026-12-03T14:02:11Z", "category": 1,
    "location": {"address": "1 Example Street"},
    "resources": [{"callsign": "ALPHA-1", "node": "crew-1"}],
}


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[tuple[Node, Node, Node]]:
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    crew = make_node(tmp_path / "crew", trust, role="crew", name="crew-1")
    other = make_node(tmp_path / "other", trust, role="crew", name="crew-2")
    yield hub, crew, other
    for node in (hub, crew, other):
        node.close()


def _offer(signer: Node, to: Node, raw: bytes | None = None) -> Offer:
    return seal_offer(signer.keys, incident="INC-7", revision=1, status="active", at_ms=1,
                      raw=raw or json.dumps(INCIDENT).encode(),
                      recipients={to.keys.box_key_id: to.keys.box_public})


def _knows(node: Node, other: Node) -> None:
    """Give `node` the certificate of `other` (what a sync round's introduction does)."""
    node.ingest([s.entry for s in other.store.record(DIRECTORY_RECORD)])


def test_an_offer_opens_with_the_key_it_was_sealed_to(nodes: tuple[Node, Node, Node]) -> None:
    hub, crew, other = nodes
    _knows(crew, hub)
    offer = Offer.from_bytes(_offer(hub, crew).to_bytes())
    assert open_held(crew, offer).incident_number == "INC-7"
    with pytest.raises(FieldInvalid, match="not sealed to this node"):
        open_offer(offer, hub_sign_key=hub.keys.sign_public, my_key_id=other.keys.box_key_id,
                   my_private=other.keys.box_private)


@pytest.mark.parametrize("tamper", ["ciphertext", "revision", "signature", "status"])
def test_an_altered_offer_is_refused(nodes: tuple[Node, Node, Node], tamper: str) -> None:
    hub, crew, _ = nodes
    _knows(crew, hub)
    offer = _offer(hub, crew)
    if tamper == "ciphertext":
        bad = replace(offer, ciphertext=bytes([offer.ciphertext[0] ^ 1]) + offer.ciphertext[1:])
    elif tamper == "signature":
        bad = replace(offer, signature=bytes(64))
    elif tamper == "status":
        bad = replace(offer, status="cancelled")
    else:
        bad = replace(offer, revision=2)
    with pytest.raises(FieldInvalid, match="not signed by the hub"):
        open_held(crew, bad)


def test_an_offer_signed_by_no_hub_of_the_trust_is_refused(
    tmp_path: Path, nodes: tuple[Node, Node, Node]
) -> None:
    _, crew, other = nodes
    _knows(crew, other)
    with pytest.raises(FieldInvalid, match="signed by no hub of this trust"):
        open_held(crew, _offer(other, crew))  # a crew node's key is no hub's
    stranger = make_node(tmp_path / "stranger", make_trust(tmp_path / "t2"), role="hub",
                         name="hub")
    with pytest.raises(FieldInvalid, match="signed by no hub of this trust"):
        open_held(crew, _offer(stranger, crew))
    stranger.close()


def test_a_crew_node_keeps_nothing_that_fails(nodes: tuple[Node, Node, Node]) -> None:
    hub, crew, other = nodes
    _knows(crew, hub)
    good = _offer(hub, crew).to_bytes()
    not_mine = _offer(hub, other).to_bytes()
    with pytest.raises(FieldInvalid):
        hold_offers(crew, hub.keys.key_id, [good, not_mine], 2)
    assert held(crew) == []
    with pytest.raises(FieldInvalid, match="incident_number"):
        hold_offers(crew, hub.keys.key_id, [_offer(hub, crew, b'{"category": 9}').to_bytes()], 1)
    with pytest.raises(FieldInvalid, match="not a dispatch offer"):
        hold_offers(crew, hub.keys.key_id, [b"\xa0"], 1)
    assert hold_offers(crew, hub.keys.key_id, [good], 1) == 1
    assert hold_offers(crew, hub.keys.key_id, [good], 1) == 0  # held once
    assert [o.incident for o in held(crew)] == ["INC-7"]
