"""Restore a backup into a new data directory, its log on either engine, all or nothing.

Everything is built in a staging directory next to the target (`.<name>.restore-<hex>`),
which never holds `node.json` until the rest is committed and checked, so no half-restored
directory can be opened as a node. The log goes into the staging directory's SQLite file,
or into the PostgreSQL database in one transaction. Only after the log, `meta`, `access`
and the accounts match the signed manifest (every chunk's hash and tag, the counts, first
and last seq) is the transaction committed, `node.json` written and the staging directory
renamed to the target in one step.

A restore killed after its PostgreSQL commit but before the rename leaves the database
holding this backup's log, marked in `meta` (`RESTORED_KEY`); the same restore run again
recognises it and finishes the directory.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from carechain.backup._accounts import load_accounts
from carechain.backup._check import BackupInfo, KeyOpener, check_manifest, content_key
from carechain.backup._content import ENTRY_PAGE, decode_message
from carechain.backup._format import BackupReader
from carechain.backup._image import image_facts
from carechain.backup._pipeline import Behind, ahead
from carechain.backup.errors import BackupCorrupt, RestoreTargetNotEmpty
from carechain.entries import canonical
from carechain.node.home import NodeHome
from carechain.node.progress import RESTORE_KEY, encode_status
from carechain.store import SqliteStore
from carechain.store.bulk import BulkLoad, BulkStore
from carechain.store.sealed import UNSEALED_KEY
from carechain.store.sqlite import SqliteSnapshot
from carechain.trust import DIRECTORY_RECORD

__all__ = ["RESTORED_KEY", "RestoreResult", "restore_backup"]

RESTORED_KEY = "backup:restored"
_PAGE_BYTES = 16_384
_FILES = frozenset({"request.cbor"})  # the only data-directory files a backup may carry


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore."""

    target: Path
    database: str | None
    manifest: dict[str, Any]
    seconds: float
    resumed: bool  # the database already held this backup from an interrupted restore


def _is_pg(url: str | None) -> bool:
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RestoreTargetNotEmpty(f"{target} exists and is not an empty directory")


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Sink:
    """Where the decrypted rows go, with the facts checked against the manifest."""

    def __init__(self, load: BulkLoad | None, *, keep_directory: bool, image: Path) -> None:
        self.load = load
        self.image = image  # where a SQLite store's database file is written, if sent so
        self._image_file: BinaryIO | None = None
        self._behind = Behind()  # the database inserts one page while the next is decrypted
        self._keep_directory = keep_directory
        self.count = 0
        self.first = self.last = 0
        self.meta = self.access = self.positions = 0
        self.files: dict[str, bytes] = {}
        self.accounts_engine: str | None = None
        self.accounts = bytearray()
        self.directory: list[tuple[Any, ...]] = []
        self.ended = False

    def take(self, message: list[Any], index: int) -> None:
        kind = message[0]
        if self.ended:
            raise BackupCorrupt(f"chunk {index} follows the end of the content")
        if kind == "entries":
            self._entries(message[1:], index)
        elif kind == "meta":
            rows = [(str(k), bytes(v)) for k, v in message[1]]
            self.meta += len(rows)
            if self.load is not None:
                self._behind.submit(self.load.add_meta, rows)
        elif kind == "access":
            access = [(bytes(r), bytes(k), int(s)) for r, k, s in message[1]]
            self.access += len(access)
            if self.load is not None:
                self._behind.submit(self.load.add_access, access)
        elif kind == "positions":
            placed = [(bytes(g), int(s), bytes(i)) for g, s, i in message[1]]
            self.positions += len(placed)
            if self.load is not None:
                self._behind.submit(self.load.add_positions, placed)
        elif kind == "file":
            if message[1] not in _FILES:
                raise BackupCorrupt(f"chunk {index} carries an unexpected file {message[1]!r}")
            self.files[message[1]] = bytes(message[2])
        elif kind == "accounts":
            if self.accounts_engine not in (None, message[1]):
                raise BackupCorrupt(f"chunk {index} mixes accounts engines")
            self.accounts_engine = str(message[1])
            self.accounts += message[2]
        elif kind == "sqlite":
            if self._image_file is None:
                fd = os.open(self.image, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                self._image_file = os.fdopen(fd, "wb")
            self._image_file.write(message[1])
        else:
            self.ended = True

    def _entries(self, columns: list[list[Any]], index: int) -> None:
        seqs = columns[0]
        # Cheap, whole-page checks only: seqs strictly increasing across the whole log
        # (a dense page, the usual case, is compared with one range in C).
        dense = seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        if seqs[0] <= self.last or not (
            dense or all(a < b for a, b in itertools.pairwise(seqs))
        ):
            raise BackupCorrupt(f"chunk {index}: entry seqs are not strictly increasing")
        if not self.first:
            self.first = seqs[0]
        self.last = seqs[-1]
        self.count += len(seqs)
        rows = list(zip(*columns, strict=True))
        if self._keep_directory:
            self.directory += [r for r in rows if r[2] == DIRECTORY_RECORD]
        if self.load is not None:
            self._behind.submit(self.load.add_entries, rows)

    def finish(self) -> None:
        """Wait for every insert and write; raise the first failure."""
        try:
            self._behind.finish()
        finally:
            if self._image_file is not None:
                self._image_file.flush()
                os.fsync(self._image_file.fileno())
                self._image_file.close()

    def facts(self) -> dict[str, Any]:
        """Return what arrived: counts, first and last seq.

        Not the tree root: every chunk is already bound to the signed manifest by its hash
        and its AEAD tag, so hashing a million ids again would prove nothing more here;
        `backup verify --deep` recomputes it."""
        if not self.image.exists():
            kept = {"positions": self.positions} if self.positions else {}
            return kept | {"entries": self.count, "first_seq": self.first,
                           "last_seq": self.last, "meta": self.meta, "access": self.access}
        if self.count or self.meta or self.access or self.positions:
            raise BackupCorrupt("the backup holds both rows and a database file")
        return image_facts(self.image, root=False)


def _compare(info: BackupInfo, sink: _Sink) -> None:
    """Refuse unless what arrived is exactly what the manifest promised."""
    if not sink.ended:
        raise BackupCorrupt("the content has no end chunk")
    m = info.manifest
    for name, value in sink.facts().items():
        if value != m.get(name):
            raise BackupCorrupt(
                f"the backup holds {_show(value)} for {name}, "
                f"its manifest says {_show(m.get(name))}"
            )


def _show(value: object) -> str:
    return value.hex()[:16] if isinstance(value, bytes) else str(value)


def _apply_image(sink: _Sink, log: _Log, staging: Path, database: str | None,
                 marks: list[tuple[str, bytes]]) -> None:
    """Make the database file that arrived the log: as the SQLite file, or row by row
    into PostgreSQL."""
    if not _is_pg(database):
        log.rollback()  # the empty load prepared for rows
        log.load = None
        store_file = NodeHome(staging).store_file
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{store_file}{suffix}").unlink(missing_ok=True)
        os.replace(sink.image, store_file)
        store = SqliteStore(store_file)  # WAL again, and any newer migration
        try:
            store.set_meta_many(marks)
        finally:
            store.close()
        return
    snapshot = SqliteSnapshot(str(sink.image))
    behind = Behind()
    try:
        for rows in ahead(snapshot.entry_pages(ENTRY_PAGE)):
            sink.directory += [r for r in rows if r[2] == DIRECTORY_RECORD]
            if log.load is not None:
                behind.submit(log.load.add_entries, rows)
        if log.load is not None:
            behind.submit(log.load.add_access, snapshot.access_rows())
            behind.submit(log.load.add_meta, snapshot.meta_rows())
            behind.submit(log.load.add_positions, snapshot.position_rows())
    finally:
        behind.finish()
        snapshot.close()
    sink.image.unlink()


class _Log:
    """The restored log's store and its one bulk-load transaction."""

    def __init__(self, store: BulkStore | None, load: BulkLoad | None) -> None:
        self.store = store
        self.load = load

    def commit(self) -> None:
        if self.load is not None:
            self.load.commit()
        self.close()

    def rollback(self) -> None:
        if self.load is not None:
            self.load.rollback()
        self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _new_sqlite_file(path: Path) -> None:
    """Create an empty SQLite file with 16 KiB pages: a bulk load of rows of about 700
    bytes into it costs a fifth less than into SQLite's default 4 KiB pages."""
    db = sqlite3.connect(path)
    try:
        db.execute(f"PRAGMA page_size={_PAGE_BYTES}")
        db.execute("VACUUM")  # writes the empty database with that page size
    finally:
        db.close()


def _open_log(
    staging: Path, database: str | None, reader: BackupReader, info: BackupInfo
) -> tuple[_Log, bool]:
    """Return the log to fill, and whether the database holds this backup already."""
    if not _is_pg(database):
        _new_sqlite_file(NodeHome(staging).store_file)
        sqlite = SqliteStore(NodeHome(staging).store_file)
        return _Log(sqlite, sqlite.bulk_load(exclusive=True)), False
    from carechain.store.postgres import PostgresStore, create_schema

    assert database is not None
    create_schema(database)
    store = PostgresStore(database)
    try:
        # A new store's "not sealed yet" marker (`store.sealed`) is not data.
        count = store.count()
        meta = len([k for k, _ in store.meta_items("") if k != UNSEALED_KEY])
        if count or meta:
            marker = store.get_meta(RESTORED_KEY)
            decoded = canonical.decode(marker) if marker is not None else None
            if (
                isinstance(decoded, dict)
                and decoded.get("manifest") == reader.manifest_hash
                and count == info.count("entries")
            ):
                store.close()
                return _Log(None, None), True
            raise RestoreTargetNotEmpty(
                f"the database already holds {count} entries and {meta} meta rows: "
                "restore into an empty one"
            )
        return _Log(store, store.bulk_load()), False
    except BaseException:
        store.close()
        raise


def _clear_stale(target: Path) -> None:
    """Remove what interrupted restores to this target left behind. A staging directory
    is never served from: without node.json it is no node at all, and with it (killed
    between writing node.json and the rename) it is a complete copy this restore remakes."""
    for stale in target.parent.glob(f".{target.name}.restore-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _directory_store(staging: Path, rows: list[tuple[Any, ...]]) -> None:
    """Give a PostgreSQL node's directory its local file: the directory entries, renumbered."""
    store = SqliteStore(NodeHome(staging).store_file)
    try:
        load = store.bulk_load()
        try:
            load.add_entries([(i, *r[1:]) for i, r in enumerate(rows, start=1)])
            load.commit()
        except BaseException:
            load.rollback()
            raise
    finally:
        store.close()


def restore_backup(
    source: Path,
    target: Path,
    *,
    root_public: bytes,
    opener: KeyOpener,
    database: str | None = None,
    expect_node: str | None = None,
    now_ms: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RestoreResult:
    """Restore the backup `source` into the new data directory `target` (and `database`);
    `progress` is told (entries restored, entries in the backup) after each chunk."""
    started = time.monotonic()
    target = target.absolute()
    _check_target(target)
    with BackupReader(source) as reader:
        info = check_manifest(reader, root_public, expect_node=expect_node)
        key = content_key(reader.header, opener)  # before anything is written
        target.parent.mkdir(parents=True, exist_ok=True)
        _clear_stale(target)
        staging = target.parent / f".{target.name}.restore-{secrets.token_hex(6)}"
        staging.mkdir(mode=0o700)
        log: _Log | None = None
        try:
            log, resumed = _open_log(staging, database, reader, info)
            sink = _Sink(log.load, keep_directory=_is_pg(database),
                         image=staging / "log.image")
            try:
                for index, plain in enumerate(reader.decrypt(key)):
                    try:
                        sink.take(decode_message(plain, index), index)
                    except (TypeError, ValueError) as exc:  # rows of the wrong shape
                        raise BackupCorrupt(f"chunk {index} holds malformed rows") from exc
                    if progress is not None:
                        progress(sink.count, info.count("entries"))
            finally:
                sink.finish()
            _compare(info, sink)
            _finish(staging, reader, info, sink, log, database, now_ms, started)
            if progress is not None:  # a SQLite store arrives as its file: done at once
                progress(info.count("entries"), info.count("entries"))
            os.replace(staging, target)
            _sync_dir(target.parent)
        except BaseException:
            if log is not None:
                log.rollback()
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return RestoreResult(target, database, info.manifest, time.monotonic() - started, resumed)


def _finish(
    staging: Path,
    reader: BackupReader,
    info: BackupInfo,
    sink: _Sink,
    log: _Log,
    database: str | None,
    now_ms: int | None,
    started: float,
) -> None:
    """Write the directory's files, commit the log, and write node.json last."""
    header = reader.header
    for name, data in sink.files.items():
        _write(staging / name, data)
    keys, node_info = header.get("keys"), header.get("info")
    if not isinstance(keys, bytes) or not isinstance(node_info, bytes):
        raise BackupCorrupt("the header lacks the node's key file or node.json")
    _write(staging / "keys.sealed", keys)
    people = 0
    if sink.accounts_engine is not None:
        people = load_accounts(sink.accounts_engine, bytes(sink.accounts), staging, database)
    if people != info.count("accounts"):
        raise BackupCorrupt(
            f"the backup's accounts hold {people} people, its manifest says "
            f"{info.count('accounts')}"
        )
    at = int(time.time() * 1000) if now_ms is None else now_ms
    marker = canonical.encode({"manifest": reader.manifest_hash, "file": reader.path.name,
                               "at": at})
    seconds = time.monotonic() - started  # all but the commit
    entries = info.count("entries")
    marks = [(RESTORED_KEY, marker), (RESTORE_KEY, encode_status({
        "at_ms": at, "file": reader.path.name, "node": info.manifest.get("node"),
        "entries": entries, "seconds": round(seconds, 3),
        "entries_per_s": round(entries / seconds) if seconds > 0 else 0}))]
    if sink.image.exists():
        _apply_image(sink, log, staging, database, marks)
    if _is_pg(database):
        _directory_store(staging, sink.directory)
    if log.load is not None:
        log.load.add_meta(marks)
    log.commit()
    _write(staging / "node.json", node_info)  # last: only now is it a node's directory
    _sync_dir(staging)
