"""Independent verification of a log that moved to a new hub key judges the heads collected
from nodes by the rules the nodes apply (trust/transition.py, sync/heads.py): the new key's
heads over the whole log, the old key's up to the size and time the trust vouched for, and
the vouched head itself; nothing past it from the old key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.node import Node, NodeHome, rekey
from carechain.recovery import verify_log
from carechain.store.sealed import read_head
from carechain.sync.client import sync_with
from carechain.testing import Trust, make_node
from carechain.transparency import SignedTreeHead, TreeHead, log_id_from_key, sign_head
from carechain.trust import NodeKeys
from carechain.trust.authority import certify, hand_over, revoke
from tests.sync.hostile import HUB_SECRET


@dataclass
class Rotated:
    hub: Node
    old: NodeKeys
    size: int  # the head the trust vouched for
    root: bytes
    at_ms: int


@pytest.fixture
def rotated(tmp_path: Path, trust: Trust) -> Rotated:
    """A hub whose crew synced, then re-keyed with the trust's transition imported, and the
    crew's next entries stored under the new key."""
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=HUB_SECRET)
    crew = make_node(tmp_path / "crew", trust, name="crew-1")
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    with TestClient(create_app(hub)) as client:
        sync_with(crew, client)
    vouched = read_head(hub.store)
    assert vouched is not None
    hub.close()
    old = NodeHome(tmp_path / "hub").keys(HUB_SECRET)
    now = int(datetime.now(UTC).timestamp() * 1000)
    request = rekey(tmp_path / "hub", secret=HUB_SECRET, now_ms=now)
    _, cert = certify(trust.root, request, not_before_ms=now - 60_000, days=30)
    _, transition = hand_over(trust.root, old_key=old.sign_public, new_key=request.sig_key,
                              size=vouched.size, tree_root=vouched.root, at_ms=now)  # fmt: skip
    revocation = revoke(trust.root, sig_key=old.sign_public, at_ms=now, reason="lost")
    hub = Node.open(tmp_path / "hub", HUB_SECRET)
    assert all(r.error is None for r in hub.ingest([cert, transition, revocation]))
    crew.append(record=record, user="P1", kind="note.added", data={"text": "after"})
    with TestClient(create_app(hub)) as client:
        sync_with(crew, client)
    crew.close()
    return Rotated(hub, old, vouched.size, vouched.root, now)


def _old_head(r: Rotated, size: int, root: bytes, at_ms: int) -> SignedTreeHead:
    log = log_id_from_key(r.old.sign_public)
    return sign_head(TreeHead(size, root, at_ms, log), r.old.signing_key)


def _judge(r: Rotated, *heads: tuple[str, SignedTreeHead]) -> dict[str, tuple[bool, str]]:
    verdict = verify_log(r.hub.store, root_public=r.hub.directory.root_public, heads=heads)
    assert verdict.bad == 0
    assert verdict.log_id == log_id_from_key(r.hub.keys.sign_public).hex()
    return {h.holder: (h.holds, h.why) for h in verdict.heads}


def test_old_heads_up_to_the_vouched_one_and_new_heads_after_it_hold(rotated: Rotated) -> None:
    r = rotated
    try:
        new = read_head(r.hub.store)
        assert new is not None and new.size > r.size
        judged = _judge(r, ("old", _old_head(r, r.size, r.root, r.at_ms - 1)), ("new", new))
        assert judged.pop("old") == (True, "") and judged.pop("new") == (True, "")
        [(holder, verdict)] = judged.items()  # the trust's statement, judged like a head
        assert holder.startswith("the trust (transition from key") and verdict == (True, "")
    finally:
        r.hub.close()


def test_the_old_key_signs_nothing_past_the_transition(rotated: Rotated) -> None:
    """A stolen old key's heads: beyond the vouched size, after the transition's time, or
    another history at the vouched size."""
    r = rotated
    try:
        new = read_head(r.hub.store)
        assert new is not None
        judged = _judge(
            r,
            ("longer", _old_head(r, new.size, new.root, r.at_ms - 1)),
            ("later", _old_head(r, r.size, r.root, r.at_ms + 1)),
            ("other", _old_head(r, r.size, bytes(32), r.at_ms - 1)),
        )
        assert judged["longer"][0] is False and "replaced after" in judged["longer"][1]
        assert judged["later"][0] is False and "replaced after" in judged["later"][1]
        assert judged["other"][0] is False and "another history" in judged["other"][1]
    finally:
        r.hub.close()
