"""Batch signature checks in the directory, and a node's ingest that relies on them.

`Directory.verify_batch` answers True / False / None (no key known) per entry;
`check_signature(entry, answer)` trusts a False (refuses) and a True (skips the curve
operation) but still does every other check. `Node.ingest` verifies its whole batch that
way, on the thread pool for large batches, and must never store a badly signed entry, nor
one in place of a well-signed entry with the same id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.entries import (
    HLC,
    Draft,
    Entry,
    FakeClock,
    crypto,
    make_encrypted,
    make_grant,
    new_record_id,
)
from carechain.errors import (
    BadParents,
    BadSignature,
    CertificateInvalid,
    Revoked,
    RoleNotAllowed,
    UnknownAuthor,
)
from carechain.node import Node
from carechain.testing import Trust, make_node, make_trust
from carechain.trust.authority import DAY_MS, revoke
from carechain.trust.directory import Directory, audit_record_of
from tests.conftest import OPENED
from tests.entries.verify_spy import verifying_threads

Item = tuple[bytes, bytes, bytes]


def forged(entry: Entry, how: str = "flip") -> Entry:
    """Return the entry with the same signed bytes (same id) and a bad signature."""
    if how == "flip":
        signature = bytearray(entry.signature)
        signature[17] ^= 0x01
        bad = bytes(signature)
    elif how == "short":
        bad = entry.signature[:63]
    elif how == "zero":
        bad = bytes(64)
    else:  # "other": a valid signature, but of another message
        bad = crypto.sign(b"\x07" * 32, entry.id)
    changed = dataclasses.replace(entry, signature=bad)
    assert changed.id == entry.id and changed.signed == entry.signed
    assert changed.signature != entry.signature
    return changed


def everything(node: Node) -> list[Entry]:
    """Return every entry in the node's log, in log order."""
    return [s.entry for s in node.store.since(0, 100_000)]


def notes(node: Node, records: int, per_record: int) -> list[Entry]:
    """Write records with notes on the node; return all their entries, record by record."""
    out: list[Entry] = []
    for r in range(records):
        record, _ = node.open_record(user="P100234", data=OPENED)
        for i in range(per_record):
            node.append(record=record, user="P100234", kind="note.added", data={"text": f"{r}.{i}"})
        out.extend(s.entry for s in node.store.record(record))
    return out


class Chain:
    """A crew node writing, a vault that knows it, and an author from another trust."""

    def __init__(self, tmp_path: Path, trust: Trust, clock: FakeClock) -> None:
        self.clock = clock
        self.crew = make_node(tmp_path / "crew", trust, clock=clock)
        self.vault = make_node(tmp_path / "vault", trust, name="vault", role="vault", clock=clock)
        assert all(r.error is None for r in self.vault.ingest(everything(self.crew)))
        assert all(r.error is None for r in self.crew.ingest(everything(self.vault)))
        rogue_trust = make_trust(tmp_path / "rogue-trust")
        self.rogue = make_node(tmp_path / "rogue", rogue_trust, name="rogue", clock=clock)

    def close(self) -> None:
        for node in (self.crew, self.vault, self.rogue):
            node.close()


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    """Return a crew node and a vault that has its certificate, and a rogue node."""
    made = Chain(tmp_path, trust, FakeClock())
    yield made
    made.close()


@pytest.fixture
def on_two_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make verify_many use two workers whatever the cores; return the verifying threads."""
    return verifying_threads(monkeypatch, 2)


# --- Directory.verify_batch ----------------------------------------------------------------


def test_verify_batch_of_nothing(chain: Chain) -> None:
    assert chain.vault.directory.verify_batch([]) == []


def test_good_entries_verify(chain: Chain) -> None:
    """Answer True for every honest entry, directory entries (by the root) included."""
    entries = everything(chain.vault) + notes(chain.crew, 1, 3)
    assert any(e.header.cls == "directory" for e in entries)
    assert chain.vault.directory.verify_batch(entries) == [True] * len(entries)


@pytest.mark.parametrize("how", ["flip", "short", "zero", "other"])
def test_altered_signature_is_false_in_its_place(chain: Chain, how: str) -> None:
    """Answer False for an entry whose signature was altered, True for its neighbours."""
    entries = notes(chain.crew, 1, 4)
    directory_entry = everything(chain.vault)[0]
    batch = [entries[0], forged(entries[1], how), entries[2], forged(directory_entry, how)]
    batch += entries[3:]
    want = [True, False, True, False] + [True] * len(entries[3:])
    assert chain.vault.directory.verify_batch(batch) == want


def test_unknown_author_is_none(chain: Chain, trust: Trust) -> None:
    """Answer None for an author with no certificate here, and for another trust's root."""
    rogue_entries = notes(chain.rogue, 1, 1)
    rogue_directory = [e for e in everything(chain.rogue) if e.header.cls == "directory"]
    assert rogue_directory and rogue_directory[0].header.author != trust.root.key_id
    good = notes(chain.crew, 1, 1)
    batch = [rogue_entries[0], good[0], rogue_directory[0], forged(good[1]), rogue_entries[1]]
    assert chain.vault.directory.verify_batch(batch) == [None, True, None, False, None]


def test_an_empty_directory_knows_only_the_root(chain: Chain, trust: Trust) -> None:
    """With no certificates, every node entry is None; the root's entries still verify."""
    directory = Directory(root_public=trust.root.public)
    entries = notes(chain.crew, 1, 2)
    root_entries = [e for e in everything(chain.vault) if e.header.cls == "directory"]
    answers = directory.verify_batch([*entries, *root_entries])
    assert answers == [None] * len(entries) + [True] * len(root_entries)


def test_a_large_mixed_batch_answers_in_order_on_the_pool(
    chain: Chain, on_two_threads: list[str]
) -> None:
    """Keep every answer in its place in a batch big enough for the thread pool."""
    good = notes(chain.crew, 4, 10)
    rogue = notes(chain.rogue, 1, 5)
    batch: list[Entry] = []
    want: list[bool | None] = []
    for i, entry in enumerate(good):
        if i % 5 == 2:
            batch.append(forged(entry, ["flip", "short", "zero", "other"][i % 4]))
            want.append(False)
        else:
            batch.append(entry)
            want.append(True)
        if i % 9 == 0 and rogue:
            batch.append(rogue.pop())
            want.append(None)
    assert len([w for w in want if w is not None]) >= crypto.PARALLEL_FROM
    assert chain.vault.directory.verify_batch(batch) == want
    assert on_two_threads and all(n.startswith("carechain-verify") for n in on_two_threads)


# --- Directory.check_signature with an answer ----------------------------------------------


def test_check_signature_trusts_a_false_answer(chain: Chain) -> None:
    """Refuse even a well-signed entry when the batch said its signature is bad."""
    directory = chain.vault.directory
    entry = notes(chain.crew, 1, 0)[1]
    root_entry = everything(chain.vault)[0]
    assert directory.check_signature(entry) is not None
    for e in (entry, root_entry):
        with pytest.raises(BadSignature):
            directory.check_signature(e, False)


def test_check_signature_without_an_answer_still_verifies(chain: Chain) -> None:
    """With no answer (None), verify the signature as before."""
    directory = chain.vault.directory
    entry = notes(chain.crew, 1, 0)[1]
    root_entry = everything(chain.vault)[0]
    for e in (entry, root_entry):
        with pytest.raises(BadSignature):
            directory.check_signature(forged(e), None)
        with pytest.raises(BadSignature):
            directory.check_signature(forged(e, "short"))
    cert = directory.check_signature(entry, None)
    assert cert is not None and cert.key_id == entry.header.author
    assert directory.check_signature(root_entry, None) is None


def test_check_signature_with_true_returns_the_certificate(chain: Chain) -> None:
    directory = chain.vault.directory
    entry = notes(chain.crew, 1, 0)[1]
    [answer] = directory.verify_batch([entry])
    assert answer is True
    cert = directory.check_signature(entry, answer)
    assert cert is not None and cert.name == "crew-1" and cert.key_id == entry.header.author


def test_true_does_not_admit_an_unknown_author(chain: Chain) -> None:
    """Refuse an uncertified author, or another trust's directory entry, whatever the answer."""
    directory = chain.vault.directory
    rogue_entry = notes(chain.rogue, 1, 0)[1]
    rogue_root_entry = next(e for e in everything(chain.rogue) if e.header.cls == "directory")
    for answer in (True, False, None):
        with pytest.raises(UnknownAuthor):
            directory.check_signature(rogue_entry, answer)
        with pytest.raises(UnknownAuthor):
            directory.check_signature(rogue_root_entry, answer)


def test_a_true_answer_for_a_forgotten_key_is_ignored(chain: Chain) -> None:
    """An answer given while the author was known does not outlive its certificate here."""
    directory = chain.vault.directory
    entry = notes(chain.crew, 1, 0)[1]
    [answer] = directory.verify_batch([entry])
    forgetful = Directory(root_public=directory.root_public)
    with pytest.raises(UnknownAuthor):
        forgetful.check_signature(entry, answer)


def test_true_does_not_admit_an_expired_certificate(tmp_path: Path, trust: Trust) -> None:
    clock = FakeClock()
    crew = make_node(tmp_path / "crew", trust, clock=clock, days=1)
    vault = make_node(tmp_path / "vault", trust, name="vault", role="vault", clock=clock)
    vault.ingest(everything(crew))
    record, opened = crew.open_record(user="P1", data=OPENED)
    clock.advance(2 * DAY_MS)
    late = crew.append(record=record, user="P1", kind="note.added", data={"text": "late"}).entry
    assert vault.directory.verify_batch([opened.entry, late]) == [True, True]
    assert vault.directory.check_signature(opened.entry, True) is not None
    with pytest.raises(CertificateInvalid):
        vault.directory.check_signature(late, True)
    results = vault.ingest([s.entry for s in crew.store.record(record)])
    assert [r.error is None for r in results] == [True, True, False]
    assert isinstance(results[2].error, CertificateInvalid)
    assert vault.store.get(late.id) is None


def test_true_does_not_admit_a_revoked_key(chain: Chain, trust: Trust) -> None:
    crew, vault, clock = chain.crew, chain.vault, chain.clock
    record, before = crew.open_record(user="P1", data=OPENED)
    clock.advance(1000)
    revocation = revoke(
        trust.root, sig_key=crew.keys.sign_public, at_ms=clock.now_ms(), reason="tablet stolen"
    )
    clock.advance(1000)
    after = crew.append(record=record, user="P1", kind="note.added", data={"text": "x"}).entry
    assert vault.ingest([revocation])[0].error is None
    assert vault.directory.verify_batch([before.entry, after]) == [True, True]
    assert vault.directory.check_signature(before.entry, True) is not None
    with pytest.raises(Revoked, match="tablet stolen"):
        vault.directory.check_signature(after, True)


def test_true_does_not_let_a_hub_write_a_record(tmp_path: Path, trust: Trust) -> None:
    """A hub's signature may verify; it still may write only its own audit record."""
    hub = make_node(tmp_path / "hub", trust, name="hub", role="hub")
    vault = make_node(tmp_path / "vault", trust, name="vault", role="vault")
    vault.ingest(everything(hub))
    # A hub's Node refuses to write a record (issue 11, item 5): sign one with its key.
    record, key = new_record_id(), crypto.random_bytes(crypto.KEY_BYTES)
    grant = make_grant(Draft(record, "grant", "H1", HLC(hub.clock_ms()), (), ()), hub.keys, key,
                       {hub.keys.box_key_id: hub.keys.box_public})
    opened = make_encrypted(
        Draft(record, "clinical", "H1", HLC(hub.clock_ms() + 1), (grant.id,),
              (hub.keys.box_key_id,)),
        hub.keys, key, {"kind": "record.opened", "v": 1, "data": OPENED})
    entries = [grant, opened]
    assert entries and all(e.header.record != audit_record_of(hub.keys.key_id) for e in entries)
    assert vault.directory.verify_batch(entries) == [True] * len(entries)
    with pytest.raises(RoleNotAllowed):
        vault.directory.check_signature(entries[0], True)


# --- Node.ingest ---------------------------------------------------------------------------


def test_ingest_refuses_bad_signatures_in_a_large_batch_and_stores_the_rest(
    chain: Chain, on_two_threads: list[str]
) -> None:
    """In a batch of 40+ (verified on the pool), refuse the forged entries, store the others."""
    entries = notes(chain.crew, 6, 6)  # 6 records of grant + opened + 6 notes
    assert len(entries) >= 40
    # Forge the last entry of some records (nothing has it as a parent) ...
    record_ends = [i for i in range(len(entries)) if (i + 1) % 8 == 0]
    bad = {record_ends[0], record_ends[3], record_ends[5]}
    # ... and one in the middle of a record: its descendants have no parent here.
    middle = 8 * 2 + 4
    batch = [forged(e) if i in bad or i == middle else e for i, e in enumerate(entries)]
    results = chain.vault.ingest(batch)
    assert on_two_threads and all(n.startswith("carechain-verify") for n in on_two_threads)
    assert [r.id for r in results] == [e.id for e in entries]
    for i, (entry, result) in enumerate(zip(entries, results, strict=True)):
        stored = chain.vault.store.get(entry.id)
        if i in bad or i == middle:
            assert isinstance(result.error, BadSignature), i
            assert stored is None
        elif 8 * 2 + 4 < i < 8 * 3:
            assert isinstance(result.error, BadParents), i
            assert stored is None
        else:
            assert result.error is None and result.new and result.seq is not None, i
            assert stored is not None and stored.entry.signature == entry.signature


def test_ingest_checks_signatures_of_authors_certified_in_the_same_batch(
    tmp_path: Path, trust: Trust, on_two_threads: list[str]
) -> None:
    """A fresh node learns the author from the batch, then still refuses a forged entry."""
    crew = make_node(tmp_path / "crew", trust)
    fresh = make_node(tmp_path / "fresh", trust, name="fresh", role="vault")
    entries = notes(crew, 5, 7)
    certificate = [e for e in everything(crew) if e.header.cls == "directory"]
    assert fresh.directory.verify_batch(entries) == [None] * len(entries)
    batch = [*certificate, *entries[:-1], forged(entries[-1])]
    results = fresh.ingest(batch)
    assert [r.error is None for r in results[:-1]] == [True] * (len(batch) - 1)
    assert isinstance(results[-1].error, BadSignature)
    assert fresh.store.get(entries[-1].id) is None
    assert fresh.store.get(entries[-2].id) is not None


@pytest.mark.parametrize("how", ["flip", "short", "other"])
@pytest.mark.parametrize("order", ["forged first", "good first"])
def test_same_id_with_a_bad_signature_never_replaces_the_good_one(
    chain: Chain, how: str, order: str
) -> None:
    """Of two wire entries with one id in a batch, only the well-signed one is stored."""
    entries = notes(chain.crew, 1, 2)
    good = entries[-1]
    bad = forged(good, how)
    pair = [bad, good] if order == "forged first" else [good, bad]
    results = chain.vault.ingest([*entries[:-1], *pair])
    stored = chain.vault.store.get(good.id)
    assert stored is not None and stored.entry.signature == good.signature
    assert len([s for s in everything(chain.vault) if s.id == good.id]) == 1
    first, second = results[-2:]
    if order == "forged first":
        assert isinstance(first.error, BadSignature)
        assert second.error is None and second.new
    else:
        assert first.error is None and first.new
        assert isinstance(second.error, BadSignature)  # refused, never taken as a repeat
    # Offered again on its own, the forged copy changes nothing.
    again = chain.vault.ingest([bad])
    assert not again[0].new
    stored = chain.vault.store.get(good.id)
    assert stored is not None and stored.entry.signature == good.signature


def test_forged_copy_alone_then_the_good_one(chain: Chain) -> None:
    """A forged copy is refused and leaves no trace; the real entry is then stored."""
    entries = notes(chain.crew, 1, 1)
    good = entries[-1]
    chain.vault.ingest(entries[:-1])
    [refused] = chain.vault.ingest([forged(good)])
    assert isinstance(refused.error, BadSignature)
    assert chain.vault.store.get(good.id) is None
    [accepted] = chain.vault.ingest([good])
    assert accepted.error is None and accepted.new
    stored = chain.vault.store.get(good.id)
    assert stored is not None and stored.entry.signature == good.signature


def test_many_forged_copies_in_a_large_batch(chain: Chain, on_two_threads: list[str]) -> None:
    """Every entry twice in a batch on the pool, forged copy first or second: store the good."""
    entries = notes(chain.crew, 3, 8)
    batch: list[Entry] = []
    for i, entry in enumerate(entries):
        copy = forged(entry, ["flip", "short", "zero", "other"][i % 4])
        batch += [copy, entry] if i % 2 else [entry, copy]
    assert len(batch) >= 40
    results = chain.vault.ingest(batch)
    assert on_two_threads
    for i, entry in enumerate(entries):
        stored = chain.vault.store.get(entry.id)
        assert stored is not None and stored.entry.signature == entry.signature, i
        mine = results[2 * i : 2 * i + 2]
        assert [r.id for r in mine] == [entry.id, entry.id]
        if i % 2:  # forged copy first: refused, then the real entry stored
            assert isinstance(mine[0].error, BadSignature)
            assert mine[1].error is None and mine[1].new
        else:  # real entry first: stored; the forged copy refused all the same
            assert mine[0].error is None and mine[0].new
            assert isinstance(mine[1].error, BadSignature)
    assert len(everything(chain.vault)) == len({e.id for e in everything(chain.vault)})


def test_forged_copy_after_the_good_one_in_a_batch_is_refused(chain: Chain) -> None:
    """A copy with a bad signature is refused wherever it comes in the batch."""
    entries = notes(chain.crew, 1, 1)
    good = entries[-1]
    results = chain.vault.ingest([*entries[:-1], good, forged(good)])
    assert results[-2].error is None and results[-2].new
    assert isinstance(results[-1].error, BadSignature)
    assert not results[-1].new
