"""A backup taken while a writer appends is one consistent prefix of the log: every entry
up to its last seq, exactly as stored, and nothing after."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from carechain.backup import create_backup, own_keys_opener, restore_backup
from carechain.entries import Entry
from carechain.node import Node
from carechain.node.verify import verify_node
from carechain.store import open_store
from carechain.store.sealed import log_sealer
from carechain.testing import make_node
from carechain.trust import DIRECTORY_RECORD
from tests.backup.support import SECRET, World, rows
from tests.conftest import OPENED


def _crew_entries(tmp_path: Path, world: World, notes: int) -> list[Entry]:
    """Return a crew's certificate and a record of `notes` notes, ready to append."""
    crew = make_node(tmp_path / "writer-crew", world.trust, name="crew-writer")
    try:
        record, _ = crew.open_record(user="P100234", data=OPENED)
        for n in range(notes):
            crew.append(record=record, user="P100234", kind="note.added", data={"text": str(n)})
        ordered = crew.store.since(0, notes + 10)
        return [s.entry for s in ordered if s.entry.header.record == DIRECTORY_RECORD] + [
            s.entry for s in ordered if s.entry.header.record != DIRECTORY_RECORD
        ]
    finally:
        crew.close()


def test_a_backup_taken_under_appends_is_a_consistent_prefix(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _crew_entries(tmp_path, world, 400)
    url = world.database or str(world.home / "store.db")
    writer_store = open_store(url)  # another connection, as another hub process would be
    # ...of the same node: its appends sign the node's head of its log, as the node's own do.
    writer_store.set_sealer(log_sealer(world.node.keys.signing_key, world.node.clock_ms))
    batches = [entries[i : i + 4] for i in range(0, len(entries), 4)]
    paused, taken, more = threading.Event(), threading.Event(), threading.Event()
    seqs: list[int] = []

    def write() -> None:
        for n, batch in enumerate(batches):
            if n == len(batches) // 2:
                paused.set()
                assert taken.wait(30)  # the backup's snapshot exists: write under it
            seqs.append(writer_store.append(batch)[-1][0])
        more.set()

    original = world.node.store.snapshot  # type: ignore[attr-defined]

    def snapshot() -> object:
        snap = original()
        taken.set()
        assert more.wait(30)  # every later append has committed before the first page
        return snap

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert paused.wait(30)
        before = seqs[-1]
        monkeypatch.setattr(world.node.store, "snapshot", snapshot)
        result = create_backup(world.node, world.home, tmp_path / "live.ccbk")
    finally:
        taken.set()
        thread.join()
        writer_store.close()
    source = rows(world.node.store)
    last = result.manifest["last_seq"]
    assert last == before < seqs[-1] == source["entries"][-1][0]

    restore_backup(tmp_path / "live.ccbk", tmp_path / "copy", root_public=world.trust.root.public,
                   opener=own_keys_opener(SECRET))

    node = Node.open(tmp_path / "copy", SECRET)
    try:
        got = rows(node.store)
        assert got["entries"] == [r for r in source["entries"] if r[0] <= last]
        assert result.manifest["entries"] == last
        assert verify_node(node) == []
    finally:
        node.close()
