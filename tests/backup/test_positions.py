"""Where hubs' logs hold what a node took from them (`hub_positions`, what rebuilds a lost
hub) is in every backup and comes back with every restore, on either engine and across."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from carechain.backup import create_backup, own_keys_opener, restore_backup, verify_backup
from carechain.node import Node
from tests.backup.support import SECRET, World

LOG = b"L" * 32


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_positions_survive_a_backup_and_a_restore(
    world: World, target: str, tmp_path: Path, schemas: Callable[[], str]
) -> None:
    ids = world.node.store.ids(0, 1000)
    placed = [(seq * 3, entry_id) for seq, entry_id in enumerate(ids, start=1)]
    world.node.store.note_positions(LOG, placed)
    result = create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    assert verify_backup(tmp_path / "hub.ccbk", world.trust.root.public).info.node == "hub-1"
    if world.database is not None:  # rows, counted in the manifest
        assert result.manifest["positions"] == len(placed)
    database = schemas() if target == "postgresql" else None
    restore_backup(tmp_path / "hub.ccbk", tmp_path / "new", database=database,
                   root_public=world.trust.root.public, opener=own_keys_opener(SECRET))  # fmt: skip
    node = Node.open(tmp_path / "new", SECRET, store_url=database)
    try:
        got = node.store.positioned(LOG, 0, 10_000)
        assert [(p.seq, p.id) for p in got] == placed
        assert all(p.row is not None for p in got)
    finally:
        node.close()


def test_a_backup_without_positions_counts_none(world: World, tmp_path: Path) -> None:
    result = create_backup(world.node, world.home, tmp_path / "hub.ccbk")
    assert "positions" not in result.manifest  # reads as backups made before they were kept
