"""A hostile hub (DESIGN §10: "hub compromised: alters, drops, forges, rolls back, forks").

The hub stores and relays ciphertext; every node checks what it is given (P3, P4). Each
test attacks the hub from outside the product (tests/sync/hostile.py): its SQLite store is
edited with the append-only triggers dropped and the hub is restarted from disk (so its
Merkle tree is rebuilt from the tampered rows, as a breached-and-restarted hub's would
be), or its HTTP answers are rewritten in flight. Then the crew, hospital and vault sync
as usual, and the test checks that

- the attack is detected at that sync: `sync_with` raises `HubMisbehaved` naming the hub
  and the kind, and an alert is kept that names the entry or both tree heads;
- the node stops syncing with that hub until an operator clears the alert;
- nothing bad reached any honest store: each still verifies clean (`verify_node`) and
  holds none of the forged or altered entries.

"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from carechain.entries import (
    HLC,
    Draft,
    Entry,
    Header,
    crypto,
    decode_signed,
    make_encrypted,
    make_plain,
)
from carechain.errors import FieldInvalid
from carechain.node import Node, NodeHome
from carechain.node.verify import verify_node
from carechain.sync import client as sync_client
from carechain.sync.client import PeerRefused, sync_with
from carechain.sync.heads import Alert, HeadKeeper, HubMisbehaved
from carechain.sync.wire import PushResult
from carechain.testing import Trust
from carechain.transparency import SignedTreeHead, log_id_from_key
from carechain.trust import DIRECTORY_RECORD, NodeKeys, RootKey
from carechain.trust.authority import certify
from carechain.trust.certificate import CertRequest
from tests.sync.harness import Chain, document_stemi, standard_chain
from tests.sync.hostile import (
    HubDb,
    TamperedAnswers,
    alerts,
    backup_store,
    clone_node,
    find_plaintext,
    restart_node,
    restore_store,
    rewrite_signed,
    start_node,
    stop_node,
)

EDGES = ("crew-1", "hospital-a", "vault")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """Return the directory the chain's nodes live in: in memory where the system has a
    tmpfs, since every sync here commits (and fsyncs) dozens of times and these tests are
    about integrity, not durability (tests/store covers that on a real disk)."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="carechain-hostile-") as d:
        yield Path(d)


@pytest.fixture
def chain(home: Path, trust: Trust) -> Iterator[Chain]:
    c = standard_chain(home, trust)
    yield c
    c.close()


# --- helpers -------------------------------------------------------------------------




def _entry(node: Node, record: bytes, kind: str) -> Entry:
    """Return the first entry of a record with this body kind."""
    for s in node.store.record(record):
        body = node.body(s.entry)
        if body is not None and body["kind"] == kind:
            return s.entry
    raise AssertionError(f"no {kind} in record")


def _db(home: Path, name: str = "hub") -> HubDb:
    return HubDb(NodeHome(home / name).store_file)


def _log_id(chain: Chain) -> bytes:
    return log_id_from_key(chain.nodes["hub"].keys.sign_public)


def _accepted(chain: Chain, name: str) -> SignedTreeHead:
    node = chain.nodes[name]
    head = HeadKeeper(node.store, node.directory).accepted(_log_id(chain))
    assert head is not None, f"{name} holds no head of the hub's log"
    return head


def _served_head(chain: Chain, hub: str = "hub") -> SignedTreeHead:
    head: SignedTreeHead | None = chain.clients[hub].app.state.sync.head()  # type: ignore[attr-defined]
    assert head is not None
    return head


def _named(head: SignedTreeHead) -> str:
    """Return how an alert names a head (carechain.transparency.describe_head)."""
    return f"size {head.size} root {head.root.hex()[:16]}"


def _expect_alert(chain: Chain, name: str, kind: str, *mentions: str,
                  hub: str = "hub") -> Alert:
    """Sync `name` with `hub`; check it is refused with an alert of `kind` that names the
    hub and every mention, and that the hub is then blocked for this node."""
    node = chain.nodes[name]
    before = len(alerts(node))
    with pytest.raises(HubMisbehaved) as raised:
        chain.sync(name, hub)
    assert raised.value.extra == {"hub": "hub", "kind": kind}, raised.value.detail
    new = alerts(node)[before:]
    assert [(a.hub, a.kind) for a in new] == [("hub", kind)], new
    for mention in mentions:
        assert mention in new[0].detail, (mention, new[0].detail)
    _assert_blocked(chain, name, hub)
    return new[0]


def _assert_blocked(chain: Chain, name: str, hub: str = "hub") -> None:
    node = chain.nodes[name]
    assert HeadKeeper(node.store, node.directory).blocked(_log_id(chain))
    count = node.store.count()
    with pytest.raises(HubMisbehaved, match="blocked"):
        chain.sync(name, hub)
    assert node.store.count() == count


def _assert_clean(chain: Chain, *bad: bytes, names: tuple[str, ...] = EDGES) -> None:
    """Every honest store verifies clean and holds none of the bad entries."""
    for name in names:
        node = chain.nodes[name]
        assert verify_node(node) == [], name
        assert node.store.has(list(bad)) == set(), name


def _no_alerts(chain: Chain, *names: str) -> None:
    for name in names:
        assert alerts(chain.nodes[name]) == [], name


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


# --- 1. a ciphertext byte altered in the hub's database -------------------------------

# What each node sees when an entry's bytes were altered in the hub's store:
# - the id column left alone: the log still commits to the original id, so the served
#   entry (which hashes to another id) has no valid inclusion proof;
# - the id column rewritten to match and the hub restarted, so its tree is rebuilt over
#   the altered entry: a node whose last head predates the entry accepts the new head (its
#   prefix is unchanged), then finds the signature does not cover the altered id; a node
#   whose head already covered the entry is shown a second root for the same size.
ALTERED = {
    False: {"hospital-a": "entry-not-in-log", "vault": "entry-not-in-log",
            "crew-1": "entry-not-in-log"},
    True: {"hospital-a": "forged-or-altered-entry", "vault": "forged-or-altered-entry",
           "crew-1": "LogForked"},
}


def _check_altered(chain: Chain, home: Path, victim: Entry, signed: bytes,
                   fix_id: bool) -> None:
    crew_head = _accepted(chain, "crew-1")
    assert crew_head.size == chain.nodes["hub"].store.count()  # the crew saw it all
    with _db(home) as db:
        seq = db.row(victim.id).seq
        altered = db.set_signed(victim.id, signed, fix_id=fix_id)
    restart_node(chain, home)
    bad = decode_signed(signed, victim.signature)
    assert bad.id != victim.id
    for name, kind in ALTERED[fix_id].items():
        mentions: tuple[str, ...]
        if kind == "entry-not-in-log":
            mentions = (bad.hex, f"at {seq}")
        elif kind == "forged-or-altered-entry":
            mentions = (bad.hex, "signature does not verify")
        else:
            mentions = ("two roots", _named(crew_head), _named(_served_head(chain)))
        _expect_alert(chain, name, kind, *mentions)
    assert altered in (victim.id, bad.id)
    _assert_clean(chain, bad.id)
    assert chain.nodes["crew-1"].store.get(victim.id) is not None  # the original is safe
    assert chain.nodes["hospital-a"].store.has([victim.id]) == set()  # never served it


@pytest.mark.parametrize("fix_id", [False, True], ids=["id-column-kept", "id-column-rewritten"])
def test_altered_ciphertext_is_refused_and_named(chain: Chain, home: Path, fix_id: bool) -> None:
    """A byte of an entry's ciphertext flipped in the hub's store is refused by every
    node that pulls it, and the alert names the entry (its hash and log position)."""
    record = document_stemi(chain)
    chain.sync("crew-1", "hub")
    victim = _entry(chain.nodes["crew-1"], record, "patient.recorded")
    signed = _flip(victim.signed, len(victim.signed) - 8)  # "body" sorts last: ciphertext
    assert decode_signed(signed, victim.signature).header == victim.header  # still decodes
    _check_altered(chain, home, victim, signed, fix_id)


def test_a_reading_altered_in_a_vitals_chunk_is_refused_and_named(chain: Chain,
                                                                   home: Path) -> None:
    """A minute of monitor readings is one signed, sealed entry: a byte of a chunk flipped
    in the hub's store (a reading changed) is refused by every node that pulls it."""
    record = document_stemi(chain)
    start = datetime(2026, 11, 26, 9, 5, tzinfo=UTC)
    readings = [{"at": (start + timedelta(seconds=s)).isoformat(), "heart_rate": 90 + s}
                for s in range(60)]
    chain.nodes["crew-1"].append(record=record, user="P1", kind="vitals.chunk", data={
        "at": readings[0]["at"], "source": "monitor-a", "readings": readings})
    chain.sync("crew-1", "hub")
    victim = _entry(chain.nodes["crew-1"], record, "vitals.chunk")
    signed = _flip(victim.signed, len(victim.signed) - 8)
    _check_altered(chain, home, victim, signed, fix_id=True)


# --- 2. a header field altered and re-encoded canonically ------------------------------


@pytest.mark.parametrize("fix_id", [False, True], ids=["id-column-kept", "id-column-rewritten"])
@pytest.mark.parametrize("field", ["usr", "hlc"])
def test_altered_header_is_refused_and_named(chain: Chain, home: Path, field: str,
                                             fix_id: bool) -> None:
    """A signed header field rewritten (and re-encoded canonically, so it still decodes)
    is refused: the id no longer matches the log, or the signature no longer matches the id."""
    record = document_stemi(chain)
    chain.sync("crew-1", "hub")
    crew = chain.nodes["crew-1"]
    victim = _entry(crew, record, "medication.administered")
    other = crew.store.record(record)[0].entry  # another entry's sealed staff id
    changes: dict[str, dict[str, Any]] = {
        "usr": {"usr": other.header.sealed_user},  # someone else gave the aspirin
        "hlc": {"hlc": [victim.header.hlc.ms - 3_600_000, 0]},  # an hour earlier
    }
    change = changes[field]
    signed = rewrite_signed(victim.signed, **change)
    assert decode_signed(signed, victim.signature).body == victim.body
    _check_altered(chain, home, victim, signed, fix_id)


# --- 3. an entry dropped from the hub's log -------------------------------------------


def test_dropped_entry_is_a_rollback_and_never_a_silent_gap(chain: Chain, home: Path) -> None:
    """An entry deleted from the hub (log renumbered, hub restarted) is a rollback for the
    crew that saw it, and a hole the hospital refuses to paper over: no record with a
    missing parent is stored."""
    record = document_stemi(chain)
    chain.sync("crew-1", "hub")
    crew = chain.nodes["crew-1"]
    crew_head = _accepted(chain, "crew-1")
    victim = _entry(crew, record, "history.recorded")
    children = {s.entry.id for s in crew.store.record(record)
                if victim.id in s.entry.header.parents}
    assert children
    # A careful attacker: delete the row, renumber the log densely, restart.
    with _db(home) as db:
        db.delete(victim.id)
    restart_node(chain, home)
    served = _served_head(chain)
    assert served.size == crew_head.size - 1

    # The crew saw the log at its full size: the hub has rolled back.
    _expect_alert(chain, "crew-1", "LogRolledBack",
                  f"from {crew_head.size} to {served.size}", _named(crew_head), _named(served))

    # The hospital never saw the entry; the hub's smaller log extends what it did see, but
    # the record arrives with a hole, and the entry after the hole names its parent: the
    # hospital asks the hub for it, and the hub cannot produce it with a proof.
    hospital = chain.nodes["hospital-a"]
    alert = _expect_alert(chain, "hospital-a", "entry-withheld",
                          f"parent {victim.hex} is not known here", "does not produce it")
    assert any(c.hex() in alert.detail for c in children)
    held = {s.entry.id for s in hospital.store.record(record)}
    assert held <= {s.entry.id for s in crew.store.record(record)}
    assert victim.id not in held and not held & children
    _assert_clean(chain)


# --- 4. entries the hub forged -------------------------------------------------------


class _Impostor:
    """Signs with one key while claiming another's key id (the trust root's)."""

    def __init__(self, claimed: bytes, real: RootKey) -> None:
        self.key_id = claimed
        self._real = real

    def sign(self, message: bytes) -> bytes:
        return self._real.sign(message)


def _rogue_certificate(trust: Trust, rogue: NodeKeys, hlc: HLC) -> Entry:
    """A directory entry certifying the rogue key, made without the trust root's key."""
    fake_root = RootKey.generate()
    request = CertRequest(name="crew-9", role="crew", org="Example Ambulance Service NHS Trust",
                          sig_key=rogue.sign_public, box_key=rogue.box_public,
                          signature=bytes(64))
    cert, _ = certify(fake_root, request, not_before_ms=hlc.ms - 60_000, days=30)
    draft = Draft(DIRECTORY_RECORD, "directory", "trust-root", hlc, (), ())
    return make_plain(draft, _Impostor(trust.root.key_id, fake_root),
                      {"kind": "certificate", "cert": cert.to_map()})


def _header(draft: Draft, signer: Any, nonce: bytes, sealed_user: bytes = b"") -> Header:
    return Header(record=draft.record, cls=draft.cls, author=signer.key_id,
                  sealed_user=sealed_user, hlc=draft.hlc, parents=draft.parents,
                  recipients=draft.recipients, nonce=nonce)


def _forged_note(record: bytes, after: Entry, signer: Any, text: str) -> Entry:
    draft = Draft(record, "clinical", "P1", HLC(after.header.hlc.ms + 1), (after.id,),
                  after.header.recipients)
    return make_encrypted(draft, signer, crypto.random_bytes(32),
                          {"kind": "note.added", "v": 1, "data": {"text": text}})


@pytest.mark.parametrize("how", ["uncertified-key", "certificate-not-from-the-trust",
                                 "signature-replaced"])
def test_forged_entry_is_refused_and_named(chain: Chain, home: Path, trust: Trust,
                                           how: str) -> None:
    """Entries the trust never signed for are refused, named, and stored nowhere."""
    record = document_stemi(chain)
    chain.sync("crew-1", "hub")
    crew = chain.nodes["crew-1"]
    last = crew.store.record(record)[-1].entry
    rogue = NodeKeys.generate()
    forged: list[Entry] = []
    with _db(home) as db:
        if how == "signature-replaced":
            # Same bytes, so the same id and the same log: only the signature is new.
            victim = _entry(crew, record, "medication.administered")
            db.set_signature(victim.id, rogue.sign(victim.id))
            expected, bad_ids = "signature does not verify", [victim.id]
        else:
            if how == "certificate-not-from-the-trust":
                forged.append(_rogue_certificate(trust, rogue, HLC(last.header.hlc.ms)))
            forged.append(_forged_note(record, last, rogue, "No known allergies; discharge"))
            for entry in forged:
                db.insert(entry)
            expected = ("signature does not verify" if forged[0].header.cls == "directory"
                        else "has no certificate from this trust")
            bad_ids = [e.id for e in forged]
    restart_node(chain, home)
    named = forged[0].hex if forged else bad_ids[0].hex()
    for name in ("hospital-a", "vault"):
        _expect_alert(chain, name, "forged-or-altered-entry", named, expected)
    if how == "signature-replaced":
        # The crew already holds its own, correctly signed entry; nothing changes for it.
        chain.sync("crew-1", "hub")
        _no_alerts(chain, "crew-1")
        assert crew.store.get(bad_ids[0]) is not None
        _assert_clean(chain, names=EDGES)
        for name in ("hospital-a", "vault"):
            assert chain.nodes[name].store.has(bad_ids) == set()
    else:
        _assert_clean(chain, *bad_ids)
    for name in ("hospital-a", "vault"):
        node = chain.nodes[name]
        assert rogue.key_id not in node.directory.certs


@pytest.mark.parametrize("how", ["forged-note", "ciphertext-replayed-into-another-record"])
def test_entry_signed_by_the_hub_itself_is_refused(chain: Chain, home: Path, how: str) -> None:
    """The hub's node key is certified, but a hub relays: it never writes patient records."""
    crew = chain.nodes["crew-1"]
    hub = chain.nodes["hub"]
    record = document_stemi(chain)
    other, _ = crew.open_record(user="P1", data={"callsign": "RRV-999"})
    crew.append(record=other, user="P1", kind="note.added", data={"text": "crew only"})
    chain.sync("crew-1", "hub")
    last = crew.store.record(record)[-1].entry
    if how == "forged-note":
        forged = _forged_note(record, last, hub.keys, "No known allergies; discharge")
    else:
        taken = crew.store.record(other)[-1].entry
        draft = Draft(record, "clinical", "P1", HLC(last.header.hlc.ms + 1),
                      (last.id,), last.header.recipients)
        header = _header(draft, hub.keys, taken.header.nonce, taken.header.sealed_user)
        unsigned = Entry.assemble(header, taken.body, b"")
        forged = Entry.assemble(unsigned.header, taken.body, hub.keys.sign(unsigned.id))
    with _db(home) as db:
        db.insert(forged)
    restart_node(chain, home)
    for name in ("hospital-a", "vault"):
        with contextlib.suppress(HubMisbehaved):
            chain.sync(name, "hub")
        node = chain.nodes[name]
        assert node.store.get(forged.id) is None, f"{name} stored the hub's forgery"
        assert any(forged.hex in a.detail for a in alerts(node)), name
        node.state(record)  # the record still folds
    _assert_clean(chain, forged.id)



# --- 5. an old entry replayed into another record ------------------------------------


@pytest.mark.parametrize("how", ["routing-column", "signed-header"])
def test_entry_replayed_into_another_record(chain: Chain, home: Path, how: str) -> None:
    """An entry of record A presented as record B is not shown in B; `carechain verify`
    on the hub's store names the row."""
    crew = chain.nodes["crew-1"]
    target = document_stemi(chain)  # record B, addressed to the hospital
    source, _ = crew.open_record(user="P1", data={"callsign": "RRV-999"})  # record A, crew only
    crew.append(record=source, user="P1", kind="note.added", data={"text": "crew only"})
    chain.sync("crew-1", "hub")
    taken = crew.store.record(source)[-1].entry
    b_head = crew.store.record(target)[-1].entry
    with _db(home) as db:
        if how == "routing-column":
            # Only the hub's routing column moves: the hospital is now served A's entry.
            db.set_record(taken.id, target)
            replayed = taken.id
        else:
            signed = rewrite_signed(taken.signed, rec=target, par=[b_head.id])
            replayed = db.set_signed(taken.id, signed, fix_id=True)
            db.set_record(replayed, target)
        seq = db.row(replayed).seq
    restart_node(chain, home)
    hospital = chain.nodes["hospital-a"]
    if how == "routing-column":
        # The signed header still says record A, which is not addressed to the hospital:
        # refused as not for it. No alert: an honest hub paging across a grant can serve
        # entries of a record before the grant, which are refused the same way.
        report = chain.sync("hospital-a", "hub")
        assert f"{taken.hex}: forbidden" in report.refused
        findings = [(f.seq, f.entry, f.code) for f in verify_node(chain.nodes["hub"])]
        assert findings == [(seq, taken.hex, "bad-encoding")]
        assert "record column differs" in verify_node(chain.nodes["hub"])[0].detail
    else:
        _expect_alert(chain, "hospital-a", "forged-or-altered-entry", replayed.hex(),
                      "signature does not verify")
        findings = verify_node(chain.nodes["hub"])
        assert [(f.seq, f.entry, f.code) for f in findings if f.entry] == [
            (seq, replayed.hex(), "bad-signature")]
        # The hub's own signed head of its log is gone: the attacker had to remove it to
        # make the hub serve the rewritten tree (the hub refuses tiles that disagree with
        # it, and they cannot sign a new one without the hub's key).
        [log] = [f for f in findings if not f.entry]
        assert log.code == "log-head-missing"
    assert hospital.store.has([taken.id, replayed]) == set()
    assert source not in {r.record for r in hospital.store.records()}
    state = hospital.state(target)
    assert all(n.get("text") != "crew only" for n in state["items"].get("notes", []))
    _assert_clean(chain, *({replayed} - {taken.id}))


# --- 6. the log rolled back to an earlier copy ----------------------------------------


@pytest.mark.parametrize("refill", ["none", "same-order", "other-order"])
def test_rollback_is_named_with_both_heads(chain: Chain, home: Path, refill: str) -> None:
    """The hub restored from an earlier copy of its store is named by every node that saw
    more, with both heads; refilled to the same history it proves itself again, refilled
    with another it is a fork."""
    store = NodeHome(home / "hub").store_file
    early = backup_store(store, home / "hub-early.db")
    record = document_stemi(chain)
    for name in ("crew-1", "hospital-a", "vault", "crew-1"):  # the receipt goes round too
        chain.sync(name, "hub")
    full = _accepted(chain, "crew-1")
    assert {_accepted(chain, n).root for n in EDGES} == {full.root}
    held = {n: {s.entry.id for s in chain.nodes[n].store.record(record)} for n in EDGES}
    assert len({frozenset(ids) for ids in held.values()}) == 1
    with _db(home) as db:
        rows = db.rows()
    restore_store(chain, home, early)
    small = _served_head(chain)
    assert small.size < full.size
    _expect_alert(chain, "crew-1", "LogRolledBack",
                  f"from {full.size} to {small.size}", _named(full), _named(small))
    if refill == "none":
        for name in ("hospital-a", "vault"):
            _expect_alert(chain, name, "LogRolledBack", _named(full), _named(small))
    else:
        # The restored hub re-appends what it had lost, back to the size every node saw.
        lost = [r for r in rows if r.seq > small.size]
        if refill == "other-order":
            lost.reverse()
        with _db(home) as db:
            for row in lost:
                db.insert(decode_signed(row.signed, row.signature))
        restart_node(chain, home)
        regrown = _served_head(chain)
        assert regrown.size == full.size
        for name in ("hospital-a", "vault"):
            if refill == "same-order":  # the same history: it proves itself again (P5)
                chain.sync(name, "hub")
                _no_alerts(chain, name)
            else:
                _expect_alert(chain, name, "LogForked", "two roots",
                              _named(full), _named(regrown))
    # Nothing the edges held is lost.
    for name in EDGES:
        assert {s.entry.id for s in chain.nodes[name].store.record(record)} == held[name]
    _assert_clean(chain)


# --- 7. two histories shown to two nodes ----------------------------------------------


def _fork(chain: Chain, home: Path) -> None:
    """Serve the same hub (same keys, a copy of its store) as a second face, `hub-b`."""
    clone_node(chain, home, "hub", "hub-b")


def test_fork_is_caught_when_crew_and_hospital_meet(chain: Chain, home: Path) -> None:
    """Two faces of one hub show the crew and the hospital different logs of one size; the
    crew and hospital catch it in their gossip of hub heads when they meet directly."""
    _fork(chain, home)
    chain.nodes["crew-1"].open_record(user="P1", data={"callsign": "RRV-412"})
    chain.nodes["hospital-a"].open_record(user="ED1", data={"callsign": "walk-in"})
    chain.sync("crew-1", "hub")
    chain.sync("hospital-a", "hub-b")
    a, b = _accepted(chain, "crew-1"), _accepted(chain, "hospital-a")
    assert a.size == b.size and a.root != b.root  # one log, two roots for one size
    # They meet directly (no hub): their gossip of hub heads shows the fork.
    # (The sync itself fails today: see test_direct_sync_keeps_working_after_a_fork_is_seen.)
    for x, y in (("crew-1", "hospital-a"), ("hospital-a", "crew-1")):
        with contextlib.suppress(PeerRefused, HubMisbehaved):
            chain.sync(x, y)
        got = alerts(chain.nodes[y])
        assert [(al.hub, al.kind) for al in got][:1] == [("hub", "fork-seen-in-gossip")]
        assert "two roots" in got[0].detail
        assert _named(a) in got[0].detail and _named(b) in got[0].detail
    # Both now refuse the hub, whichever face they meet.
    for name in ("crew-1", "hospital-a"):
        for hub in ("hub", "hub-b"):
            with pytest.raises(HubMisbehaved, match="blocked"):
                chain.sync(name, hub)
    _assert_clean(chain)


def test_fork_is_caught_when_a_node_meets_the_other_history(chain: Chain, home: Path) -> None:
    """Forked logs of different sizes: caught once a node can ask its hub to prove the
    head it was gossiped, and by any node that meets the other face."""
    _fork(chain, home)
    record = document_stemi(chain)
    chain.nodes["hospital-a"].open_record(user="ED1", data={"callsign": "walk-in"})
    chain.sync("crew-1", "hub")
    chain.sync("hospital-a", "hub-b")
    a, b = _accepted(chain, "crew-1"), _accepted(chain, "hospital-a")
    assert b.size < a.size
    # Heads of different sizes cannot be compared without the log: gossip keeps them.
    chain.sync("crew-1", "hospital-a")
    assert len(chain.nodes["hospital-a"].store.record(record)) > 0  # handover still works
    # The crew's face of the hub cannot prove the hospital's head is a prefix of its own.
    _expect_alert(chain, "crew-1", "fork-seen-in-gossip", _named(a), _named(b))
    # The hospital meets the crew's face of the hub: its head does not extend the hospital's.
    _expect_alert(chain, "hospital-a", "LogForked", _named(b), _named(a))
    # The vault meets the hospital's face after the crew's: a smaller log it cannot tell
    # from a rollback.
    chain.sync("vault", "hub")
    _expect_alert(chain, "vault", "LogRolledBack", _named(_accepted(chain, "vault")),
                  hub="hub-b")
    _assert_clean(chain)


def test_direct_sync_keeps_working_after_a_fork_is_seen(chain: Chain, home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Detecting a fork stops syncing with the hub, not with each other (transparency.md,
    "Keep working"; P1)."""
    _fork(chain, home)
    chain.nodes["crew-1"].open_record(user="P1", data={"callsign": "RRV-412"})
    chain.nodes["hospital-a"].open_record(user="ED1", data={"callsign": "walk-in"})
    chain.sync("crew-1", "hub")
    chain.sync("hospital-a", "hub-b")
    record = document_stemi(chain)
    monkeypatch.setattr(sync_client, "PAGE", 5)  # a record longer than one page
    report = chain.sync("crew-1", "hospital-a")
    crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
    assert {s.entry.id for s in crew.store.record(record)} <= {
        s.entry.id for s in hospital.store.record(record)}
    assert report.pushed >= len(crew.store.record(record))
    for node in (crew, hospital):
        assert {a.kind for a in alerts(node)} == {"fork-seen-in-gossip"}


@pytest.mark.parametrize("how", ["rollback-seen-in-gossip", "larger-fork-seen-in-gossip",
                                 "consistency-refused"])
def test_hub_that_cannot_prove_a_head_it_signed_is_named(
    chain: Chain, home: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub asked to prove consistency with a head it signed, and failing to, is named."""
    hub_face = "hub"
    if how == "rollback-seen-in-gossip":
        early = backup_store(NodeHome(home / "hub").store_file, home / "hub-early.db")
        document_stemi(chain)
        chain.sync("crew-1", "hub")
        restore_store(chain, home, early)
        chain.sync("crew-1", "hospital-a")  # the crew's larger head reaches the hospital
    elif how == "larger-fork-seen-in-gossip":
        _fork(chain, home)
        document_stemi(chain)
        chain.nodes["hospital-a"].open_record(user="ED1", data={"callsign": "walk-in"})
        chain.sync("crew-1", "hub")
        chain.sync("hospital-a", "hub-b")
        chain.sync("crew-1", "hospital-a")
        hub_face = "hub-b"
    else:
        document_stemi(chain)
        chain.sync("crew-1", "hub")

        def refuse(first: int, second: int) -> list[bytes]:
            raise FieldInvalid("second", "no proof for you")

        monkeypatch.setattr(chain.clients["hub"].app.state.sync, "consistency", refuse)  # type: ignore[attr-defined]
    before = _accepted(chain, "hospital-a")
    try:
        chain.sync("hospital-a", hub_face)
    except HubMisbehaved as exc:
        assert exc.extra["hub"] == "hub"
    else:
        raise AssertionError("the sync was not refused")
    [alert] = alerts(chain.nodes["hospital-a"])
    assert _named(before) in alert.detail
    _assert_blocked(chain, "hospital-a", hub_face)
    _assert_clean(chain)


# --- 8. the hub's answers altered in flight -------------------------------------------


def _push_result(index: int, change: Callable[[list[Any]], None]) -> Any:
    def rewrite(_: Any, message: dict[str, Any]) -> dict[str, Any]:
        change(message["results"][index])
        return message
    return rewrite


def _pull_entries(change: Callable[[list[Any]], None]) -> Any:
    def rewrite(_: Any, message: dict[str, Any]) -> dict[str, Any]:
        if message["entries"]:
            change(message["entries"])
        return message
    return rewrite


def _push_range(change: Callable[[dict[str, Any]], None]) -> Any:
    def rewrite(_: Any, message: dict[str, Any]) -> dict[str, Any]:
        change(message)
        return message
    return rewrite


def _flip_first_left_hash(message: dict[str, Any]) -> None:
    left = message["range"]["left"]
    message["range"]["left"] = [_flip(left[0], 0), *left[1:]]


def _pull_runs(change: Callable[[list[Any]], None]) -> Any:
    """Rewrite the run proofs of pull pages that carry them (not a page asked for again
    with a proof per entry, which then holds: the run proof alone is named)."""
    def rewrite(_: Any, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("runs"):
            change(message["runs"])
        return message
    return rewrite


def _pull_proofs_flipped(_: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Flip a hash in whatever proves the page's second entry: its run's or its own."""
    entries, runs = message["entries"], message.get("runs")
    if entries and entries[1][2] is not None:
        entries[1][2] = [_flip(entries[1][2][0], 5), *entries[1][2][1:]]
    elif runs:
        runs[0][2] = [_flip(runs[0][2][0], 5), *runs[0][2][1:]]
    return message


def _swap_first_two(entries: list[Any]) -> None:
    entries[0][1], entries[1][1] = entries[1][1], entries[0][1]


# An entry left out of a pulled page is asked for by id, and named only if the hub will not
# produce it: tests/sync/test_receiving_paths.py.
ANSWERS: dict[str, tuple[str, str, Any, str]] = {
    # case: (who syncs, path rewritten, rewrite, alert kind)
    "push-proof-altered": ("crew-1", "/sync/v1/push",
                           _push_range(_flip_first_left_hash), "bad-inclusion-proof"),
    "push-proof-truncated": ("crew-1", "/sync/v1/push",
                             _push_range(lambda m: m["range"].update(left=m["range"]["left"][:-1])),
                             "bad-inclusion-proof"),
    "push-range-moved": ("crew-1", "/sync/v1/push",
                         _push_range(lambda m: m["range"].update(first=m["range"]["first"] + 1)),
                         "bad-inclusion-proof"),
    "push-seq-moved": ("crew-1", "/sync/v1/push",
                       _push_result(2, lambda r: r.__setitem__(1, r[1] + 1)),
                       "bad-inclusion-proof"),
    "push-proof-missing": ("crew-1", "/sync/v1/push",
                           _push_range(lambda m: m.update(range=None)),
                           "no-inclusion-proof"),
    "pull-proof-altered": ("hospital-a", "/sync/v1/pull", _pull_proofs_flipped,
                           "entry-not-in-log"),
    "pull-run-altered": ("hospital-a", "/sync/v1/pull",
                         _pull_runs(lambda runs: runs[0].__setitem__(
                             2, [_flip(runs[0][2][0], 5), *runs[0][2][1:]])),
                         "entry-not-in-log"),
    "pull-run-stretched": ("hospital-a", "/sync/v1/pull",
                           _pull_runs(lambda runs: runs[0].__setitem__(1, runs[0][1] - 1)),
                           "entry-not-in-log"),
    "pull-runs-dropped": ("hospital-a", "/sync/v1/pull", _pull_runs(lambda runs: runs.clear()),
                          "no-inclusion-proof"),
    "pull-entries-reordered": ("hospital-a", "/sync/v1/pull", _pull_entries(_swap_first_two),
                               "entry-not-in-log"),
    "head-signature-altered": ("hospital-a", "/sync/v1/pull",
                               lambda _, m: {**m, "head": _flip(m["head"], 120)},
                               "bad-head-signature"),
    "consistency-proof-altered": ("hospital-a", "/sync/v1/consistency",
                                  lambda _, m: {**m, "proof": [_flip(p, 0) for p in m["proof"]]},
                                  "LogForked"),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_tampered_answer_is_named(chain: Chain, case: str) -> None:
    """A hub answer altered in flight (proofs, positions, order, heads) is named, nothing
    is taken on its strength, and the hub stays blocked when it answers honestly again."""
    who, path, rewrite, kind = ANSWERS[case]
    record = document_stemi(chain)
    crew = chain.nodes["crew-1"]
    if who != "crew-1":
        chain.sync("crew-1", "hub")
    node = chain.nodes[who]
    before = node.store.count()
    transport = TamperedAnswers(chain.clients["hub"], {path: rewrite})
    hostile = httpx.Client(transport=transport, base_url=chain.clients["hub"].base_url)
    with hostile, pytest.raises(HubMisbehaved) as raised:
        sync_with(node, hostile)
    assert transport.seen  # the rewrite ran
    assert raised.value.extra == {"hub": "hub", "kind": kind}
    [alert] = alerts(node)
    assert (alert.hub, alert.kind) == ("hub", kind)
    if path == "/sync/v1/push":
        pushed = [s.entry for s in crew.store.record(record)]
        if case == "push-seq-moved":
            assert pushed[2].hex in alert.detail  # the entry put out of place is named
        else:
            assert any(e.hex in alert.detail for e in pushed)
        # The crew does not claim an entry is at the hub on the strength of a bad answer.
        assert all(crew.store.get_meta(f"at-hub:{e.hex}") is None for e in pushed)
    elif kind == "entry-not-in-log":
        assert node.store.count() == before  # nothing of the tampered page was kept
    _assert_blocked(chain, who)  # even when the hub answers honestly again
    _assert_clean(chain)


# --- 9. nothing clinical in the hub's files -------------------------------------------

CLINICAL = (
    # patient
    "Arthur", "Pemberton", "1959-03-14", "943 476 5919", "9434765919", "CO1 1AA",
    "Margaret Pemberton", "Mill Lane Surgery", "14 Mill Lane, Colchester",
    # incident and complaint
    "ECA-2611-0412", "RRV-412", "DA23 XKE", "Chest pain, 67M, clammy",
    "Central crushing chest pain", "radiating to the left arm", "sweating and nausea",
    "hypertension", "type 2 diabetes",
    # medicines, procedures, findings, destination
    "ramipril", "metformin", "aspirin", "glyceryl trinitrate", "AS2291", "cannulation-iv",
    "left antecubital fossa", "sinus-tachycardia", "reciprocal depression",
    "Inferior STEMI", "Essex Cardiothoracic Centre", "PPCI lab on arrival",
)


def test_hub_files_hold_no_clinical_plaintext(chain: Chain, home: Path) -> None:
    """After a realistic case has gone crew -> hub -> hospital and vault, no clinical value
    written on the crew is anywhere in the hub's files, in UTF-8 or UTF-16 (P3)."""
    record = document_stemi(chain)
    for name in ("crew-1", "hospital-a", "vault", "crew-1"):
        chain.sync(name, "hub")
    crew = chain.nodes["crew-1"]
    # The values are really in the record (so the scan looks for the right bytes)...
    readable = json.dumps(crew.state(record), ensure_ascii=False)
    nhs_forms = {"943 476 5919", "9434765919"}  # as typed, and as the record keeps it
    assert [v for v in CLINICAL if v not in readable and v not in nhs_forms] == []
    shown = set(CLINICAL) - {v for v in nhs_forms if v not in readable}
    # ...and the scan finds them where they are in the clear.
    for codec in ("utf-8", "utf-16-le", "utf-16-be"):
        control = home / f"control-{codec}.txt"
        control.write_text(readable.upper(), encoding=codec)
        seen = {needle for _, needle, how in find_plaintext([control], CLINICAL) if how == codec}
        assert seen == shown, codec
    store = NodeHome(home / "hub").store_file
    files = [p for p in (home / "hub").rglob("*") if p.is_file()]
    assert {store, Path(f"{store}-wal"), Path(f"{store}-shm")} <= set(files)
    assert chain.nodes["hub"].store.count() >= len(crew.store.record(record))
    assert find_plaintext(files, CLINICAL) == []
    # The same holds once the hub is stopped and its WAL folded into the database.
    stop_node(chain)
    files = [p for p in (home / "hub").rglob("*") if p.is_file()]
    assert find_plaintext(files, CLINICAL) == []
    start_node(chain, home)


# --- a hub that refuses a valid entry ------------------------------------------------


def test_entry_the_hub_refuses_is_not_silently_lost(chain: Chain,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub that drops an entry on arrival, claiming it is forged, is named, or the entry
    is offered again until the hub holds it."""
    record = document_stemi(chain)
    crew = chain.nodes["crew-1"]
    victim = crew.store.record(record)[-1].entry
    service = chain.clients["hub"].app.state.sync  # type: ignore[attr-defined]
    honest = service.push_many

    def drop_victim(batches: list[Any], signatures: Any = None) -> Any:
        [(peer, items)] = batches
        keep = [i for i in items if not (isinstance(i, Entry) and i.id == victim.id)]
        [answer] = honest([(peer, keep)])
        if len(keep) < len(items):
            index = next(n for n, i in enumerate(items) if isinstance(i, Entry)
                         and i.id == victim.id)
            answer.results.insert(index, PushResult(
                victim.id, None, False, "bad-signature",
                f"entry {victim.hex}: signature does not verify"))
        return [answer]

    monkeypatch.setattr(service, "push_many", drop_victim)
    try:
        report = chain.sync("crew-1", "hub")
    except HubMisbehaved:
        pass  # naming the lie at once would be fine too
    else:
        assert f"{victim.hex}: bad-signature" in report.refused, "the hostile push did not run"
    monkeypatch.setattr(service, "push_many", honest)
    with contextlib.suppress(HubMisbehaved):
        chain.sync("crew-1", "hub")
    at_hub = chain.nodes["hub"].store.get(victim.id) is not None
    named = any(victim.hex in a.detail for a in alerts(crew))
    assert at_hub or named, "the refused entry never reached the hub and nobody was told"

