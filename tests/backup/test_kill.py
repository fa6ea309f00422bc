"""SIGKILL during a restore leaves nothing openable as a node but a complete one, and the
same restore run again then succeeds (on PostgreSQL, also after its commit)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from carechain.backup import create_backup, own_keys_opener, restore_backup
from carechain.errors import InvalidInput
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.store import open_store
from tests.backup.support import SECRET, World

KILLS = 6
ROOT = Path(__file__).resolve().parents[2]


def _restore_cli(backup: Path, target: Path, world: World, database: str | None) -> list[str]:
    args = [sys.executable, "-m", "carechain", "backup", "restore", str(backup), "--dir",
            str(target), "--trust-dir", str(world.trust.home.path), "--secret", SECRET]
    return args + (["--database", database] if database else [])


def _check_after_kill(target: Path, database: str | None, count: int) -> bool:
    """Assert the state a kill left is nothing or everything; return whether complete."""
    for staging in target.parent.glob(f".{target.name}.restore-*"):
        if (staging / "node.json").exists():  # killed between node.json and the rename
            _check_after_kill(staging, database, count)
            continue
        with pytest.raises(InvalidInput):
            Node.open(staging, SECRET, store_url=database)
    if not target.exists():
        with pytest.raises(InvalidInput):
            Node.open(target, SECRET)
        return False
    node = Node.open(target, SECRET, store_url=database)
    try:
        assert node.store.count() == count
    finally:
        node.close()
    return True


@pytest.mark.slow
def test_sigkill_during_restore_then_restore_again(
    world: World, tmp_path: Path, schemas: Callable[[], str]
) -> None:
    backup = tmp_path / "hub.ccbk"
    create_backup(world.node, world.home, backup)
    count = world.node.store.count()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # Kill at fractions of how long a whole restore takes on this machine, process start
    # included, so that kills land before, during and after the work however fast it is.
    started = time.monotonic()
    subprocess.run(_restore_cli(backup, tmp_path / "timed", world,
                                schemas() if world.database else None),
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    whole = time.monotonic() - started
    states: list[str] = []
    for attempt in range(KILLS):
        target = tmp_path / f"restored-{attempt}"
        database = schemas() if world.database else None
        proc = subprocess.Popen(_restore_cli(backup, target, world, database), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * (attempt + 0.5) / KILLS)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if list(tmp_path.glob(f".{target.name}.restore-*")):
            states.append("staged")
        if _check_after_kill(target, database, count):
            states.append("complete")
            continue
        committed = database is not None and open_store(database).count() > 0
        states.append("committed" if committed else "nothing")
        result = restore_backup(backup, target, database=database,
                                root_public=world.trust.root.public,
                                opener=own_keys_opener(SECRET))
        assert result.resumed == committed
        node = Node.open(target, SECRET, store_url=database)
        try:
            assert node.store.count() == count and verify_node(node) == []
        finally:
            node.close()
        assert list(tmp_path.glob(f".{target.name}.restore-*")) == []
    assert "nothing" in states or "committed" in states, states


def test_a_restore_that_dies_after_its_database_commit_is_finished_by_the_next(
    world: World, tmp_path: Path, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "hub.ccbk"
    create_backup(world.node, world.home, backup)
    database = schemas()

    def die(*args: object) -> None:
        raise KeyboardInterrupt  # the process is stopped between commit and rename

    import carechain.backup.restore as restore_module

    with monkeypatch.context() as patch:
        patch.setattr(restore_module.os, "replace", die)
        with pytest.raises(KeyboardInterrupt):
            restore_backup(backup, tmp_path / "hub", database=database,
                           root_public=world.trust.root.public, opener=own_keys_opener(SECRET))
    assert not (tmp_path / "hub").exists()
    assert open_store(database).count() == world.node.store.count()

    result = restore_backup(backup, tmp_path / "hub", database=database,
                            root_public=world.trust.root.public, opener=own_keys_opener(SECRET))

    assert result.resumed
    node = Node.open(tmp_path / "hub", SECRET, store_url=database)
    try:
        assert node.store.count() == world.node.store.count() and verify_node(node) == []
    finally:
        node.close()
