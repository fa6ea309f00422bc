"""A truncated, altered or foreign backup, a wrong secret, a key it is not sealed to and a
non-empty target are each refused with an error naming why, and leave nothing behind."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from carechain.backup import (
    BackupCorrupt,
    BackupForeign,
    BackupSealed,
    BackupTruncated,
    RestoreTargetNotEmpty,
    create_backup,
    node_dir_opener,
    own_keys_opener,
    restore_backup,
    verify_backup,
)
from carechain.backup._format import BackupReader, manifest_message
from carechain.entries import canonical
from carechain.errors import InvalidInput, KeyStoreLocked
from carechain.node import Node
from carechain.store import open_store
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD, NodeKeys
from tests.backup.support import SECRET, World, leftovers

Refusal = type[Exception]


@pytest.fixture
def backup(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "hub.ccbk"
    create_backup(world.node, world.home, path)
    return path


def _restore(world: World, source: Path, target: Path, database: str | None = None,
             **kwargs: object) -> None:
    options: dict[str, object] = {"root_public": world.trust.root.public,
                                  "opener": own_keys_opener(SECRET), **kwargs}
    restore_backup(source, target, database=database, **options)  # type: ignore[arg-type]


def _refused(world: World, source: Path, tmp_path: Path, error: Refusal, match: str,
             database: str | None = None, **kwargs: object) -> None:
    """Assert both verify (when it applies) and restore refuse, and nothing is left."""
    with pytest.raises(error, match=match):
        _restore(world, source, tmp_path / "new", database, **kwargs)
    assert leftovers(tmp_path, "new") == []
    with pytest.raises(InvalidInput):
        Node.open(tmp_path / "new", SECRET)
    if database is not None:
        store = open_store(database)
        try:
            # Nothing but a new store's "not sealed yet" mark (`store.sealed`).
            assert store.count() == 0
            assert [k for k, _ in store.meta_items("")] in ([], ["log:unsealed"])
        finally:
            store.close()


def _offsets(path: Path) -> dict[str, int]:
    """Return a byte offset inside each part of the file."""
    with BackupReader(path) as reader:
        chunks_start = reader._start
        chunks_end = reader._end
    return {"header": 40, "first chunk": chunks_start + 10, "last chunk": chunks_end - 5,
            "manifest": chunks_end + 40}


@pytest.mark.parametrize(("part", "error", "match"), [
    ("header", BackupCorrupt, "header"),
    ("first chunk", BackupCorrupt, "chunk 0"),
    ("last chunk", BackupCorrupt, r"chunk \d+ .*differs"),
    ("manifest", BackupCorrupt, "manifest"),
])
def test_an_altered_byte_anywhere_is_refused(
    world: World, backup: Path, tmp_path: Path, part: str, error: Refusal, match: str,
    schemas: Callable[[], str],
) -> None:
    data = bytearray(backup.read_bytes())
    data[_offsets(backup)[part]] ^= 0x01
    altered = tmp_path / "altered.ccbk"
    altered.write_bytes(bytes(data))

    with pytest.raises(error, match=match):
        verify_backup(altered, world.trust.root.public)
    _refused(world, altered, tmp_path, error, match)
    _refused(world, altered, tmp_path, error, match, database=schemas())


@pytest.mark.parametrize("keep", [0, 5, 60, 0.5, -13, -1])
def test_a_truncated_file_is_refused(world: World, backup: Path, tmp_path: Path,
                                     keep: float) -> None:
    data = backup.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (
        keep if keep >= 0 else len(data) + keep)
    short = tmp_path / "short.ccbk"
    short.write_bytes(data[:cut])

    with pytest.raises(BackupTruncated):
        verify_backup(short, world.trust.root.public)
    _refused(world, short, tmp_path, BackupTruncated, "cut short|ends|chunks|final")


def test_a_chunk_removed_with_its_hash_still_listed_is_refused(
    world: World, backup: Path, tmp_path: Path
) -> None:
    with BackupReader(backup) as reader:
        start, end = reader._start, reader._end
    data = backup.read_bytes()
    first_len = int.from_bytes(data[start : start + 4], "big")
    dropped = data[:start] + data[start + 4 + first_len :]
    cut = tmp_path / "dropped.ccbk"
    cut.write_bytes(dropped)
    assert end > start

    with pytest.raises(BackupCorrupt, match="chunk 0"):
        verify_backup(cut, world.trust.root.public)
    _refused(world, cut, tmp_path, BackupCorrupt, "chunk 0")


def test_a_backup_of_another_trust_is_refused(world: World, backup: Path,
                                              tmp_path: Path) -> None:
    other = make_trust(tmp_path / "other-trust")

    with pytest.raises(BackupForeign, match="not signed by this trust"):
        verify_backup(backup, other.root.public)
    _refused(world, backup, tmp_path, BackupForeign, "this trust", root_public=other.root.public)


def _forge(source: Path, out: Path, signer: NodeKeys, cert_wire: bytes | None) -> None:
    """Rewrite a backup's manifest signed by `signer`, optionally with another certificate
    in its header (and the manifest naming that certificate's key and header hash)."""
    data = source.read_bytes()
    with BackupReader(source) as reader:
        header, manifest, end = dict(reader.header), dict(reader.manifest), reader._end
    hlen = int.from_bytes(data[10:14], "big")
    if cert_wire is not None:
        header["cert"] = cert_wire
        manifest["key"] = signer.key_id
    raw = canonical.encode(header)
    manifest["header"] = hashlib.sha256(raw).digest()
    signed = canonical.encode({"m": manifest, "sig": signer.sign(manifest_message(manifest))})
    chunks = data[14 + hlen : end + 4]
    out.write_bytes(data[:10] + len(raw).to_bytes(4, "big") + raw + chunks + signed
                    + len(signed).to_bytes(4, "big") + b"CCBK-END")


def test_a_manifest_signed_by_another_nodes_key_is_refused(
    world: World, backup: Path, tmp_path: Path
) -> None:
    other = make_node(tmp_path / "other-hub", world.trust, role="hub", name="hub-2")
    other_cert = next(s.entry.to_wire() for s in other.store.record(DIRECTORY_RECORD))
    keys = other.keys
    other.close()
    # hub-2 signs a manifest that claims hub-1's backup, under hub-1's certificate ...
    _forge(backup, tmp_path / "resigned.ccbk", keys, None)
    with pytest.raises(BackupCorrupt, match="signed by another key"):
        verify_backup(tmp_path / "resigned.ccbk", world.trust.root.public)
    _refused(world, tmp_path / "resigned.ccbk", tmp_path, BackupCorrupt, "another key")
    # ... or under its own certificate, still naming hub-1 as the node backed up.
    _forge(backup, tmp_path / "swapped.ccbk", keys, other_cert)
    with pytest.raises(BackupForeign, match="certificate is for hub node 'hub-2'"):
        verify_backup(tmp_path / "swapped.ccbk", world.trust.root.public)
    _refused(world, tmp_path / "swapped.ccbk", tmp_path, BackupForeign, "'hub-2'")


def test_another_nodes_backup_is_refused_where_its_own_is_expected(
    world: World, backup: Path, tmp_path: Path
) -> None:
    assert verify_backup(backup, world.trust.root.public).ok  # a good backup of hub-1
    _refused(world, backup, tmp_path, BackupForeign, "not of 'crew-7'", expect_node="crew-7")


def test_a_wrong_secret_is_refused(world: World, backup: Path, tmp_path: Path) -> None:
    _refused(world, backup, tmp_path, KeyStoreLocked, "wrong operator secret",
             opener=own_keys_opener("not the secret"))


def test_a_node_the_backup_is_not_sealed_to_cannot_open_it(
    world: World, backup: Path, tmp_path: Path
) -> None:
    make_node(tmp_path / "hospital", world.trust, role="hospital", name="ed-1",
              secret="h").close()
    _refused(world, backup, tmp_path, BackupSealed, "sealed to hub 'hub-1', vault",
             opener=node_dir_opener(tmp_path / "hospital", "h"))


def test_a_non_empty_target_is_refused_and_kept(world: World, backup: Path, tmp_path: Path,
                                                schemas: Callable[[], str]) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    with pytest.raises(RestoreTargetNotEmpty):
        _restore(world, backup, tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "keep me"

    database = schemas()
    store = open_store(database)
    store.set_meta("something", b"here")
    store.close()
    with pytest.raises(RestoreTargetNotEmpty, match="0 entries and 1 meta rows"):
        _restore(world, backup, tmp_path / "new", database)
    assert leftovers(tmp_path, "new") == []


def test_an_empty_existing_directory_is_a_fine_target(world: World, backup: Path,
                                                      tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _restore(world, backup, tmp_path / "empty")
    Node.open(tmp_path / "empty", SECRET).close()
