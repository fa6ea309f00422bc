"""Each tampering, against every way a node receives entries (issue 11: "the hostile-hub
suite runs each tampering against every receiving path").

The hospital is the record's only recipient besides its crew. Each tampering edits a
store with the append-only triggers dropped, as an attacker with the database would:

- **pull** and **live**: the hub's store, restarted from disk (its Merkle tree rebuilt
  over the tampered rows); the hospital pulls a round, or follows the hub's live stream.
  Both paths end in one receiving function, so both must raise *the same* alert, store
  none of the bad entries (what verifies on its own may be kept), and leave the cursor
  before them; the hub stays blocked afterwards.
- **stream**: the same hub, and the crew pushing its next entry over its push stream.
  The crew only receives answers there: a tampering that rewrote history it had seen is
  caught by the answer's head (`LogForked`); one that did not reach what the crew saw
  changes nothing the crew holds or accepts.
- **direct**: the same edit to the *crew's* store (a stolen or broken tablet), then a
  direct crew → hospital round. No hub is involved: the hospital refuses the entry and
  keeps an alert naming the crew (`refused-entry`, not for an entry that only lost its
  parent), the crew keeps one too (`refused-by-peer`), and the crew's push cursor stays
  before the refused entry, round after round, while the rest of the record still goes.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted
from carechain.node import Node, NodeHome
from carechain.node.verify import verify_node
from carechain.sync.heads import HubMisbehaved
from carechain.testing import Trust
from carechain.trust import NodeKeys
from tests.sync.harness import Chain, document_stemi
from tests.sync.hostile import HubDb, alerts, restart_node, rewrite_signed
from tests.sync.paths import follow_until, served, stream_until

PATHS = ("pull", "live", "stream", "direct")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="carechain-paths-") as d:
        yield Path(d)


@pytest.fixture
def chain(home: Path, trust: Trust) -> Iterator[Chain]:
    c = Chain()
    c.add(home, trust, "hub", "hub")
    c.add(home, trust, "crew-1", "crew")
    c.add(home, trust, "hospital-a", "hospital")
    for name in ("hospital-a", "crew-1", "hospital-a"):
        c.sync(name, "hub")
    yield c
    c.close()


@dataclass(frozen=True)
class Tampered:
    """What a tampering left in a store: the entries nobody may take, where the first of
    them (or the gap) sits in that store's log, and what an alert must name."""

    bad: frozenset[bytes]
    seq: int
    named: str


@dataclass(frozen=True)
class Scene:
    """The record as the crew wrote it, and another record of the crew's alone."""

    record: bytes
    entries: list[Entry]
    other: list[Entry]
    hub_keys: NodeKeys


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def _note(record: bytes, after: Entry, signer: Any) -> Entry:
    draft = Draft(record, "clinical", "P1", HLC(after.header.hlc.ms + 1), (after.id,),
                  after.header.recipients)
    return make_encrypted(draft, signer, crypto.random_bytes(32),
                          {"kind": "note.added", "v": 1, "data": {"text": "discharge home"}})


def _altered(fix_id: bool) -> Callable[[HubDb, Scene], Tampered]:
    def tamper(db: HubDb, s: Scene) -> Tampered:
        victim = s.entries[len(s.entries) // 2]
        signed = _flip(victim.signed, len(victim.signed) - 8)  # in the ciphertext
        seq = db.row(victim.id).seq
        db.set_signed(victim.id, signed, fix_id=fix_id)
        bad = hashlib.sha256(signed).digest()
        return Tampered(frozenset({bad}), seq, bad.hex())
    return tamper


def _staff_swapped(db: HubDb, s: Scene) -> Tampered:
    victim = s.entries[len(s.entries) // 2]
    signed = rewrite_signed(victim.signed, usr=s.entries[1].header.sealed_user)
    seq = db.row(victim.id).seq
    bad = db.set_signed(victim.id, signed, fix_id=True)
    return Tampered(frozenset({bad}), seq, bad.hex())


def _inserted(signer: Callable[[Scene], Any]) -> Callable[[HubDb, Scene], Tampered]:
    def tamper(db: HubDb, s: Scene) -> Tampered:
        forged = _note(s.record, s.entries[-1], signer(s))
        seq = db.insert(forged)
        return Tampered(frozenset({forged.id}), seq, forged.hex)
    return tamper


def _signature_replaced(db: HubDb, s: Scene) -> Tampered:
    victim = s.entries[len(s.entries) // 2]
    db.set_signature(victim.id, NodeKeys.generate().sign(victim.id))
    return Tampered(frozenset({victim.id}), db.row(victim.id).seq, victim.hex)


def _replayed(db: HubDb, s: Scene) -> Tampered:
    taken = s.other[-1]
    signed = rewrite_signed(taken.signed, rec=s.record, par=[s.entries[-1].id])
    replayed = db.set_signed(taken.id, signed, fix_id=True)
    db.set_record(replayed, s.record)
    return Tampered(frozenset({replayed}), db.row(replayed).seq, replayed.hex())


def _dropped(db: HubDb, s: Scene) -> Tampered:
    victim = s.entries[len(s.entries) // 2]
    seq = db.delete(victim.id)
    return Tampered(frozenset({victim.id}), seq, victim.hex)


TAMPERINGS: dict[str, Callable[[HubDb, Scene], Tampered]] = {
    "ciphertext-altered": _altered(fix_id=False),
    "ciphertext-altered-id-rewritten": _altered(fix_id=True),
    "staff-id-swapped": _staff_swapped,
    "uncertified-author": _inserted(lambda s: NodeKeys.generate()),
    "signature-replaced": _signature_replaced,
    "signed-by-the-hub": _inserted(lambda s: s.hub_keys),
    "replayed-into-another-record": _replayed,
    "entry-dropped": _dropped,
}

# What the hospital names on the pull and the live path alike.
PULLED = {
    "ciphertext-altered": "entry-not-in-log",  # the log commits to the original id
    "ciphertext-altered-id-rewritten": "forged-or-altered-entry",
    "staff-id-swapped": "forged-or-altered-entry",
    "uncertified-author": "forged-or-altered-entry",
    "signature-replaced": "forged-or-altered-entry",
    "signed-by-the-hub": "forged-or-altered-entry",
    "replayed-into-another-record": "forged-or-altered-entry",
    "entry-dropped": "entry-withheld",
}
# What the crew's push stream sees: history it had accepted, rewritten.
STREAMED = {
    "ciphertext-altered-id-rewritten", "staff-id-swapped", "replayed-into-another-record",
    "entry-dropped",
}


def _scene(chain: Chain) -> Scene:
    crew = chain.nodes["crew-1"]
    record = document_stemi(chain)
    other, _ = crew.open_record(user="P1", data={"callsign": "RRV-999"})
    crew.append(record=other, user="P1", kind="note.added", data={"text": "crew only"})
    assert crew.recipients(record) == {crew.keys.box_key_id,
                                       chain.nodes["hospital-a"].keys.box_key_id}
    chain.sync("crew-1", "hub")
    return Scene(record, [s.entry for s in crew.store.record(record)],
                 [s.entry for s in crew.store.record(other)], chain.nodes["hub"].keys)


def _cursor(node: Node, key: str) -> int:
    return int(node.store.get_meta(key) or b"0")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_each_tampering_against_each_receiving_path(
    chain: Chain, home: Path, tampering: str, path: str
) -> None:
    scene = _scene(chain)
    crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
    where = "crew-1" if path == "direct" else "hub"
    with HubDb(NodeHome(home / where).store_file) as db:
        done = TAMPERINGS[tampering](db, scene)
    if path == "direct":
        _direct(chain, scene, tampering, done)
        return
    hub = restart_node(chain, home)
    if path == "stream":
        _stream(chain, scene, tampering, done)
        return
    before = _cursor(hospital, f"pull:{hub.keys.key_id.hex()}")
    if path == "pull":
        with pytest.raises(HubMisbehaved):
            chain.sync("hospital-a", "hub")
    else:
        with served(hub) as app:
            failed = follow_until(hospital, app.url, hub)
        assert isinstance(failed, HubMisbehaved), failed
    [alert] = alerts(hospital)
    assert (alert.hub, alert.kind) == ("hub", PULLED[tampering]), alert.detail
    assert done.named in alert.detail
    assert hospital.store.has(list(done.bad)) == set()
    assert _cursor(hospital, f"pull:{hub.keys.key_id.hex()}") == before < done.seq
    with pytest.raises(HubMisbehaved, match="blocked"):
        chain.sync("hospital-a", "hub")
    assert verify_node(hospital) == []
    assert crew.store.has(list(done.bad - {e.id for e in scene.entries})) == set()


def _stream(chain: Chain, scene: Scene, tampering: str, done: Tampered) -> None:
    crew, hub = chain.nodes["crew-1"], chain.nodes["hub"]
    note = crew.append(record=scene.record, user="P1", kind="note.added",
                       data={"text": "one more"}).entry
    with served(hub) as app:
        _, failed = stream_until(
            crew, app.url, lambda: crew.store.get_meta(f"at-hub:{note.hex}") is not None)
    if tampering in STREAMED:
        assert isinstance(failed, HubMisbehaved), failed
        [alert] = alerts(crew)
        assert (alert.hub, alert.kind) == ("hub", "LogForked"), alert.detail
        assert crew.store.get_meta(f"at-hub:{note.hex}") is None  # not on the hub's word
    else:
        assert failed is None, failed
        assert alerts(crew) == []
    assert crew.store.has(list(done.bad - {e.id for e in scene.entries})) == set()
    assert verify_node(crew) == []


def _direct(chain: Chain, scene: Scene, tampering: str, done: Tampered) -> None:
    crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
    cursor_key = f"push:{hospital.keys.key_id.hex()}"
    for _ in range(2):  # offered again at the next round, and refused again
        report = chain.sync("crew-1", "hospital-a")
        assert hospital.store.has(list(done.bad)) == set()
        assert _cursor(crew, cursor_key) < done.seq
        assert report.refused
    assert verify_node(hospital) == []
    got = alerts(hospital)
    if tampering == "entry-dropped":
        assert got == [] and alerts(crew) == []  # out of order, not forged: no alert
        held = {s.entry.id for s in hospital.store.record(scene.record)}
        assert not held & done.bad
    else:
        [alert] = got  # once, however often it is offered
        assert (alert.hub, alert.kind) == ("crew-1", "refused-entry")
        assert done.named in alert.detail
        [mine] = alerts(crew)
        assert (mine.hub, mine.kind) == ("hospital-a", "refused-by-peer")
    # The crew's own verify names what was done to its store.
    assert verify_node(crew) != []
