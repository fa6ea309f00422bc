"""Create, verify and restore on both engines and across them: the restored node is the
same node, row for row, and opens with the same secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from carechain.backup import (
    RESTORED_KEY,
    create_backup,
    node_dir_opener,
    own_keys_opener,
    restore_backup,
    verify_backup,
)
from carechain.backup._format import BackupReader
from carechain.node import Node
from carechain.node.progress import RESTORE_KEY, read_status
from carechain.node.verify import verify_node
from carechain.transparency import leaf_hash, root_from_leaf_hashes
from carechain.web import open_accounts
from tests.backup.support import SECRET, VAULT_SECRET, World, leftovers, rows


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_restore_gives_the_same_rows_on_either_engine(
    world: World, target: str, tmp_path: Path, schemas: Callable[[], str]
) -> None:
    before = rows(world.node.store)
    result = create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    database = schemas() if target == "postgresql" else None

    told: list[tuple[int, int]] = []
    restored = restore_backup(tmp_path / "hub.ccbk", tmp_path / "new", database=database,
                              root_public=world.trust.root.public,
                              opener=own_keys_opener(SECRET),
                              progress=lambda done, total: told.append((done, total)))

    assert not restored.resumed
    assert told and told[-1] == (len(before["entries"]), len(before["entries"]))
    node = Node.open(tmp_path / "new", SECRET, store_url=database)
    try:
        after = rows(node.store)
        assert after["entries"] == before["entries"]  # every column, seq included
        assert after["access"] == before["access"]
        marks = (RESTORED_KEY, RESTORE_KEY)
        assert [m for m in after["meta"] if m[0] not in marks] == before["meta"]
        assert dict(after["meta"])[RESTORED_KEY]
        restore = read_status(node.store, RESTORE_KEY)
        assert restore is not None
        assert (restore["entries"], restore["file"]) == (len(before["entries"]), "hub.ccbk")
        assert restore["node"] == world.node.info.name and restore["entries_per_s"] > 0
        assert verify_node(node) == []
        assert node.info == world.node.info and node.keys.key_id == world.node.keys.key_id
        with open_accounts(tmp_path / "new", node, database) as accounts:
            assert [p.staff_id for p in accounts.list_people()] == ["A9001", "AU7001"]
    finally:
        node.close()
    ids = [r[1] for r in before["entries"]]
    assert result.manifest["tree_root"] == root_from_leaf_hashes(leaf_hash(i) for i in ids)
    assert result.manifest["entries"] == len(ids)
    assert (result.manifest["first_seq"], result.manifest["last_seq"]) == (1, len(ids))
    assert leftovers(tmp_path, "new") == ["new"]


def test_verify_needs_no_secret_and_deep_verify_opens_every_entry(
    world: World, tmp_path: Path
) -> None:
    create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    total = world.node.store.count()

    plain = verify_backup(tmp_path / "hub.ccbk", world.trust.root.public)
    deep = verify_backup(tmp_path / "hub.ccbk", world.trust.root.public,
                         opener=own_keys_opener(SECRET))
    as_vault = verify_backup(tmp_path / "hub.ccbk", world.trust.root.public,
                             opener=node_dir_opener(world.vault, VAULT_SECRET))

    assert plain.ok and not plain.opened and plain.chunks >= 3
    assert plain.info.node == "hub-1" and plain.info.count("entries") == total
    assert deep.opened and deep.entries_checked == total and deep.findings == []
    assert as_vault.entries_checked == total and as_vault.findings == []


def test_content_key_is_sealed_to_the_node_and_the_vault_only(world: World,
                                                               tmp_path: Path) -> None:
    create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    with BackupReader(tmp_path / "hub.ccbk") as reader:
        to = [(s["role"], s["name"]) for s in reader.header["to"]]
        body = (tmp_path / "hub.ccbk").read_bytes()
    assert to == [("hub", "hub-1"), ("vault", "vault-records")]
    # The people's names, the bookkeeping and the log are inside the encrypted chunks.
    assert b"Robin Admin" not in body and b"pull:" not in body


def test_the_vault_restores_a_wiped_hub_that_then_opens_with_its_own_secret(
    world: World, tmp_path: Path
) -> None:
    create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    count = world.node.store.count()

    restore_backup(tmp_path / "hub.ccbk", tmp_path / "rebuilt",
                   root_public=world.trust.root.public,
                   opener=node_dir_opener(world.vault, VAULT_SECRET))

    node = Node.open(tmp_path / "rebuilt", SECRET)
    try:
        assert node.store.count() == count and verify_node(node) == []
    finally:
        node.close()


def test_a_restored_node_backs_up_and_restores_again(world: World, tmp_path: Path) -> None:
    create_backup(world.node, world.home, tmp_path / "one.ccbk")
    restore_backup(tmp_path / "one.ccbk", tmp_path / "second", root_public=world.trust.root.public,
                   opener=own_keys_opener(SECRET))
    node = Node.open(tmp_path / "second", SECRET)
    try:
        create_backup(node, tmp_path / "second", tmp_path / "two.ccbk")
        expected = rows(node.store)
    finally:
        node.close()

    restore_backup(tmp_path / "two.ccbk", tmp_path / "third", root_public=world.trust.root.public,
                   opener=own_keys_opener(SECRET))

    third = Node.open(tmp_path / "third", SECRET)
    try:
        got = rows(third.store)
        assert got["entries"] == expected["entries"]
        assert dict(got["meta"])[RESTORED_KEY] != dict(expected["meta"])[RESTORED_KEY]
    finally:
        third.close()
