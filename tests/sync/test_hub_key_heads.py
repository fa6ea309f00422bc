"""A node's head keeper across a hub key transition: the new key's log is taken only as the
trust's statement says, and the old key cannot extend the log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.entries import FakeClock, canonical
from carechain.hub import TransparencyLog
from carechain.node import Node
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.testing import Trust, make_node, make_trust
from carechain.transparency import SignedTreeHead
from carechain.trust import DIRECTORY_RECORD, CertRequest, NodeKeys
from carechain.trust.authority import certify, hand_over, revoke


@dataclass
class Rotation:
    trust: Trust
    clock: FakeClock
    hub: Node
    crew: Node
    record: bytes
    old: TransparencyLog
    new_keys: NodeKeys
    accepted: SignedTreeHead  # what the crew took under the old key

    def add(self, n: int) -> None:
        for i in range(n):
            self.clock.advance(1_000)
            self.crew.append(
                record=self.record, user="P1", kind="note.added", data={"text": f"{i}"}
            )
        self.hub.ingest([s.entry for s in self.crew.store.record(self.record)])

    def certify_new(self, name: str = "hub") -> None:
        keys = self.new_keys
        body = {
            "name": name,
            "role": "hub",
            "org": "Example Ambulance Service NHS Trust",
            "sig_key": keys.sign_public,
            "box_key": keys.box_public,
        }
        request = CertRequest(signature=keys.sign(canonical.encode(body)), **body)  # type: ignore[arg-type]
        _, entry = certify(
            self.trust.root, request, not_before_ms=self.clock.now_ms() - 60_000, days=30
        )
        self._publish(entry)

    def hand_over(self, size: int, root: bytes, trust: Trust | None = None) -> None:
        _, entry = hand_over(
            (trust or self.trust).root,
            old_key=self.hub.keys.sign_public,
            new_key=self.new_keys.sign_public,
            size=size,
            tree_root=root,
            at_ms=self.clock.now_ms(),
        )
        self._publish(entry)

    def _publish(self, entry: object) -> None:
        self.crew.ingest([entry])  # type: ignore[list-item]
        self.hub.ingest([entry])  # type: ignore[list-item]

    def new_log(self) -> TransparencyLog:
        return TransparencyLog(self.hub.store, self.new_keys, self.clock)


@pytest.fixture
def rotation(tmp_path: Path, trust: Trust) -> Iterator[Rotation]:
    """A crew that accepted a head of the hub's log under its first key; a new key."""
    clock = FakeClock()
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub", clock=clock)
    crew = make_node(tmp_path / "crew", trust, clock=clock)
    crew.ingest([s.entry for s in hub.store.record(DIRECTORY_RECORD)])
    hub.ingest([s.entry for s in crew.store.record(DIRECTORY_RECORD)])
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    hub.ingest([s.entry for s in crew.store.record(record)])
    old = TransparencyLog(hub.store, hub.keys, clock)
    accepted = old.head()
    HeadKeeper(crew.store, crew.directory).offer(accepted, old.consistency)
    r = Rotation(trust, clock, hub, crew, record, old, NodeKeys.generate(), accepted)
    yield r
    crew.close()
    hub.close()


def _keeper(r: Rotation) -> HeadKeeper:
    return HeadKeeper(r.crew.store, r.crew.directory)


def _kinds(r: Rotation) -> list[str]:
    return [a.kind for a in _keeper(r).alerts()]


def test_the_new_key_is_taken_through_the_statement(rotation: Rotation) -> None:
    r = rotation
    r.add(2)
    last_old = r.old.head()
    r.certify_new()
    r.hand_over(last_old.size, last_old.root)
    r.add(2)
    new = r.new_log()
    head = new.head()
    assert head.head.log_id != last_old.head.log_id and head.size > last_old.size
    keeper = _keeper(r)
    keeper.offer(head, new.consistency)
    assert keeper.accepted(head.head.log_id) == head and keeper.alerts() == []
    r.add(1)
    keeper.offer(new.head(), new.consistency)  # then as any head of a log
    assert keeper.alerts() == []


def test_a_new_key_without_a_statement_is_refused(rotation: Rotation, tmp_path: Path) -> None:
    r = rotation
    r.certify_new()
    r.add(1)
    new = r.new_log()
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(new.head(), new.consistency)
    assert _kinds(r) == ["hub-key-not-vouched"]


def test_a_statement_from_another_trust_is_not_taken(rotation: Rotation, tmp_path: Path) -> None:
    r = rotation
    r.certify_new()
    r.hand_over(r.accepted.size, r.accepted.root, trust=make_trust(tmp_path / "rogue"))
    assert r.crew.directory.transitions == {}
    new = r.new_log()
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(new.head(), new.consistency)
    assert _kinds(r) == ["hub-key-not-vouched"]


def test_a_statement_naming_a_wrong_old_head_is_refused(rotation: Rotation) -> None:
    r = rotation
    r.add(2)
    last_old = r.old.head()
    r.certify_new()
    r.hand_over(last_old.size, bytes(32))  # a root the log never had
    new = r.new_log()
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(new.head(), new.consistency)
    [alert] = _keeper(r).alerts()
    assert alert.kind == "key-transition-broken" and "vouched" in alert.detail


def test_a_new_log_that_drops_what_the_node_holds_is_refused(
    rotation: Rotation, tmp_path: Path
) -> None:
    """The trust vouches for a head beyond what the new key's hub holds."""
    r = rotation
    r.add(3)
    last_old = r.old.head()
    r.certify_new()
    r.hand_over(last_old.size, last_old.root)
    short = make_node(tmp_path / "short", r.trust, role="vault", name="short")
    short.ingest([s.entry for s in r.hub.store.record(DIRECTORY_RECORD)])
    other = TransparencyLog(short.store, r.new_keys, r.clock)
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(other.head(), other.consistency)
    assert _kinds(r) == ["key-transition-broken"]
    short.close()


def test_a_statement_behind_what_the_node_accepted_is_refused(rotation: Rotation) -> None:
    r = rotation
    r.add(2)
    _keeper(r).offer(r.old.head(), r.old.consistency)  # the crew saw the log grow
    r.certify_new()
    r.hand_over(r.accepted.size, r.accepted.root)  # the trust vouches for less
    new = r.new_log()
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(new.head(), new.consistency)
    assert _kinds(r) == ["old-hub-key-after-transition"]


def test_the_old_key_cannot_extend_the_log_after_the_transition(rotation: Rotation) -> None:
    r = rotation
    r.certify_new()
    r.hand_over(r.accepted.size, r.accepted.root)
    r.add(2)  # the stolen key signs on
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(r.old.head(), r.old.consistency)
    assert _kinds(r) == ["old-hub-key-after-transition"]


def test_the_old_key_after_its_revocation_is_refused(rotation: Rotation) -> None:
    r = rotation
    revocation = revoke(
        r.trust.root, sig_key=r.hub.keys.sign_public, at_ms=r.clock.now_ms(), reason="stolen"
    )
    r.crew.ingest([revocation])
    r.add(1)
    with pytest.raises(HubMisbehaved):
        _keeper(r).offer(r.old.head(), r.old.consistency)
    assert _kinds(r) == ["revoked-hub-key"]


def test_gossip_does_not_bring_in_a_new_keys_first_head(rotation: Rotation) -> None:
    r = rotation
    r.certify_new()
    r.hand_over(r.accepted.size, r.accepted.root)
    r.add(1)
    head = r.new_log().head()
    notes = _keeper(r).gossip([head], None)
    assert notes == ["hub: unchecked (a new hub key)"]
    assert _keeper(r).accepted(head.head.log_id) is None and _kinds(r) == []


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(grow=st.integers(0, 3), vouch=st.integers(-1, 2), after=st.integers(0, 3))
def test_the_new_log_is_taken_exactly_when_it_extends_the_vouched_head(
    tmp_path_factory: pytest.TempPathFactory, grow: int, vouch: int, after: int
) -> None:
    """For any log grown, then vouched for at some size (maybe beyond what the crew
    accepted, maybe below it), the new key's head is taken iff the vouched head is at or
    past the crew's head: no alert then, exactly one otherwise."""
    path = tmp_path_factory.mktemp("prop")
    trust = make_trust(path / "trust")
    clock = FakeClock()
    hub = make_node(path / "hub", trust, role="hub", name="hub", clock=clock)
    crew = make_node(path / "crew", trust, clock=clock)
    try:
        crew.ingest([s.entry for s in hub.store.record(DIRECTORY_RECORD)])
        hub.ingest([s.entry for s in crew.store.record(DIRECTORY_RECORD)])
        record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
        r = Rotation(
            trust,
            clock,
            hub,
            crew,
            record,
            TransparencyLog(hub.store, hub.keys, clock),
            NodeKeys.generate(),
            None,
        )  # type: ignore[arg-type]
        r.add(1 + grow)
        heads = [r.old.head()]
        _keeper(r).offer(heads[0], r.old.consistency)
        r.add(2)
        heads.append(r.old.head())
        vouched = heads[1] if vouch > 0 else heads[0]
        size = vouched.size + (vouch < 0) * -1  # one below the crew's head: too little
        root = vouched.root if vouch >= 0 else _root_at(r.hub.store, size)
        r.certify_new()
        r.hand_over(size, root)
        r.add(after)
        new = r.new_log()
        try:
            _keeper(r).offer(new.head(), new.consistency)
            taken = True
        except HubMisbehaved:
            taken = False
        assert taken == (size >= heads[0].size)
        assert len(_kinds(r)) == (0 if taken else 1)
    finally:
        crew.close()
        hub.close()


def _root_at(store: object, size: int) -> bytes:
    from carechain.transparency import leaf_hash, root_from_leaf_hashes

    ids = store.ids(0, size)  # type: ignore[attr-defined]
    return root_from_leaf_hashes(leaf_hash(i) for i in ids)


def test_a_node_that_missed_a_key_follows_two_transitions(rotation: Rotation) -> None:
    """Key A → B → C while the crew was off shift: it takes C's head, checked against the
    head it holds under A and both vouched heads."""
    r = rotation
    r.add(1)
    a_head = r.old.head()
    r.certify_new()
    r.hand_over(a_head.size, a_head.root)
    b_keys, b_log = r.new_keys, r.new_log()
    r.add(1)
    b_head = b_log.head()
    r.new_keys = NodeKeys.generate()
    r.certify_new()
    _, entry = hand_over(
        r.trust.root,
        old_key=b_keys.sign_public,
        new_key=r.new_keys.sign_public,
        size=b_head.size,
        tree_root=b_head.root,
        at_ms=r.clock.now_ms(),
    )
    r._publish(entry)
    r.add(1)
    c_log = r.new_log()
    keeper = _keeper(r)
    keeper.offer(c_log.head(), c_log.consistency)
    assert keeper.alerts() == [] and keeper.accepted(c_log.log_id) is not None
    with pytest.raises(HubMisbehaved):  # B signs on after handing over to C
        keeper.offer(b_log.head(), b_log.consistency)
    assert _kinds(r) == ["old-hub-key-after-transition"]


def test_syncing_with_a_new_key_resumes_where_the_old_one_stopped(rotation: Rotation) -> None:
    r = rotation
    [old_cert] = r.crew.directory.certs[r.hub.keys.key_id]
    r.crew.store.set_meta(f"pull:{old_cert.key_id.hex()}", b"7")
    r.crew.store.set_meta(f"push:{old_cert.key_id.hex()}", b"5")
    r.certify_new("other-hub")  # a different hub: a log of its own, from the start
    [other] = r.crew.directory.certs[r.new_keys.key_id]
    assert _keeper(r).resume_cursor("pull", other) == 0
    r.new_keys = NodeKeys.generate()
    r.certify_new()
    r.hand_over(r.accepted.size, r.accepted.root)
    [new_cert] = r.crew.directory.certs[r.new_keys.key_id]
    assert _keeper(r).resume_cursor("pull", old_cert) == 7
    assert _keeper(r).resume_cursor("pull", new_cert) == 7  # the same log under the new key
    assert _keeper(r).resume_cursor("push", new_cert) == 5
    assert _keeper(r).resume_cursor("push", other) == 0
    r.crew.store.set_meta(f"pull:{new_cert.key_id.hex()}", b"9")
    assert _keeper(r).resume_cursor("pull", new_cert) == 9
