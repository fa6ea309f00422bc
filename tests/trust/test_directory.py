"""Entries from uncertified, expired or revoked keys are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.entries import FakeClock
from carechain.errors import CertificateInvalid, Revoked, UnknownAuthor
from carechain.node import Node
from carechain.testing import FAST_KDF, Trust, make_node
from carechain.trust import NodeKeys
from carechain.trust.authority import DAY_MS, revoke
from tests.conftest import OPENED


def _other_crew_entry(tmp_path: Path, trust: Trust, clock: FakeClock, **kw: object) -> Node:
    return make_node(tmp_path / "other", trust, name="crew-2", clock=clock, **kw)  # type: ignore[arg-type]


def test_entry_signed_by_uncertified_key_is_refused(tmp_path: Path, trust: Trust) -> None:
    from carechain.testing import make_trust

    rogue_trust = make_trust(tmp_path / "rogue-trust")
    rogue = make_node(tmp_path / "rogue", rogue_trust, name="rogue")
    honest = make_node(tmp_path / "honest", trust)
    _, stored = rogue.open_record(user="X1", data=OPENED)
    grant = rogue.store.record(stored.entry.header.record)[0].entry
    result = honest.ingest([grant, stored.entry])
    assert isinstance(result[0].error, UnknownAuthor)
    assert honest.store.get(stored.entry.id) is None


def test_entry_after_certificate_expiry_is_refused(tmp_path: Path, trust: Trust) -> None:
    clock = FakeClock()
    other = _other_crew_entry(tmp_path, trust, clock, days=1)
    receiver = make_node(tmp_path / "receiver", trust, name="vault", role="vault", clock=clock)
    receiver.ingest([s.entry for s in other.store.since(0, 10)])
    record, _ = other.open_record(user="P1", data=OPENED)
    clock.advance(2 * DAY_MS)
    late = other.append(record=record, user="P1", kind="note.added", data={"text": "late"})
    results = receiver.ingest([s.entry for s in other.store.record(record)])
    assert [r.error is None for r in results] == [True, True, False]
    assert isinstance(results[2].error, CertificateInvalid)
    assert receiver.store.get(late.entry.id) is None


def test_revoked_key_entries_after_revocation_are_refused_before_are_kept(
    tmp_path: Path, trust: Trust
) -> None:
    clock = FakeClock()
    stolen = _other_crew_entry(tmp_path, trust, clock)
    receiver = make_node(tmp_path / "receiver", trust, name="vault", role="vault", clock=clock)
    receiver.ingest([s.entry for s in stolen.store.since(0, 10)])
    record, _ = stolen.open_record(user="P1", data=OPENED)
    clock.advance(1000)
    revocation = revoke(
        trust.root, sig_key=stolen.keys.sign_public, at_ms=clock.now_ms(), reason="tablet stolen"
    )
    clock.advance(1000)
    after = stolen.append(record=record, user="P1", kind="note.added", data={"text": "x"})
    assert receiver.ingest([revocation])[0].error is None
    results = receiver.ingest([s.entry for s in stolen.store.record(record)])
    assert [r.error is None for r in results] == [True, True, False]
    assert isinstance(results[2].error, Revoked)
    assert "tablet stolen" in results[2].error.detail
    assert receiver.store.get(after.entry.id) is None


def test_node_keys_are_sealed_and_wrong_secret_is_refused(tmp_path: Path, trust: Trust) -> None:
    from carechain.errors import KeyStoreLocked
    from carechain.node import NodeHome

    make_node(tmp_path / "n", trust, secret="right")
    with pytest.raises(KeyStoreLocked):
        NodeHome(tmp_path / "n").keys("wrong")
    assert isinstance(NodeHome(tmp_path / "n").keys("right"), NodeKeys)
    assert FAST_KDF.ops >= 1
