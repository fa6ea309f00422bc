"""Backup throughput: create, verify and restore a log of a million entries, both engines.

    .venv/bin/python bench/backup.py [--entries 1000000] [--engine sqlite|postgresql|both]
                                     [--cross/--no-cross] [--database URL]

For each engine a hub node is made (a trust, a certificate, a vault it seals backups to)
and its log is built directly in the store with the store's own bulk load, not by
pushing (untimed): the node's real directory entries, then `--entries` rows of the size
of real entries (a signed blob of 420-840 bytes, mean about 630, its SHA-256 as id, 64
bytes of signature, a record per 60 rows, grants every 60 rows) that are not decodable
entries: create, verify without a secret and restore never decode an entry, so they cost
the same. Then, timed:

- create: `carechain.backup.create_backup` from the live store into a file;
- verify: `verify_backup` with only the trust's public key (manifest signature, every chunk
  hash, the end mark);
- restore: `restore_backup` into a new data directory on the same engine, and with
  `--cross` also on the other one (a fresh PostgreSQL schema, or the directory's SQLite).

Prints entries per second per phase; figures are printed, never asserted. Everything lives
in a temporary directory and fresh schemas, removed at the end (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import DEFAULT_PG, pg_schema, scratch_dir

from carechain.backup import create_backup, own_keys_opener, restore_backup, verify_backup
from carechain.node import Node
from carechain.store import SqliteStore, open_store
from carechain.store.bulk import BulkStore
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

SECRET = "operator-secret"
BUILD_PAGE = 20_000


def _rows(start_seq: int, count: int, author: bytes) -> Iterator[list[tuple[Any, ...]]]:
    """Yield synthetic entry rows of real entries' sizes, a page at a time."""
    pool = os.urandom(1 << 16)
    now = int(time.time() * 1000)
    page: list[tuple[Any, ...]] = []
    for i in range(count):
        seq = start_seq + i
        size = 420 + (i * 7919) % 421
        offset = (i * 104_729) % (len(pool) - size)
        signed = seq.to_bytes(8, "big") + pool[offset : offset + size]
        record = hashlib.md5(b"record%d" % (i // 60)).digest()
        cls = "grant" if i % 60 == 0 else "clinical"
        page.append((seq, hashlib.sha256(signed).digest(), record, cls, author,
                     now - count + i, 0, signed, pool[offset : offset + 64], now))
        if len(page) == BUILD_PAGE:
            yield page
            page = []
    if page:
        yield page


def _build(home: Path, database: str | None, entries: int) -> Node:
    """Return the hub node of `home` with a log of `entries` rows after its directory."""
    seed = SqliteStore(home / "store.db")
    snapshot = seed.snapshot()
    directory = [r for page in snapshot.entry_pages(1000) for r in page]
    snapshot.close()
    seed.close()
    if database is None:
        (home / "store.db").unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{home / 'store.db'}{suffix}").unlink(missing_ok=True)
    store = open_store(database or home / "store.db")
    assert isinstance(store, BulkStore)
    load = store.bulk_load()
    load.add_entries(directory)
    author = bytes(32)
    for page in _rows(len(directory) + 1, entries, author):
        load.add_entries(page)
    grants = [(hashlib.md5(b"record%d" % i).digest(), bytes(32), len(directory) + 1 + i * 60)
              for i in range((entries + 59) // 60)]
    load.add_access(grants)
    load.add_meta([("pull:" + "ab" * 32, b"12345"), ("seen:" + "cd" * 32, b"1700000000000")])
    load.commit()
    store.close()
    return Node.open(home, SECRET, store_url=database)


def _rate(label: str, entries: int, seconds: float, extra: str = "") -> None:
    print(f"  {label:<28} {seconds:8.2f} s  {entries / seconds:>10,.0f} entries/s  {extra}",
          flush=True)


def run_engine(engine: str, args: argparse.Namespace, work: Path) -> None:
    """Build, back up, verify and restore one engine's hub."""
    trust = make_trust(work / f"trust-{engine}")
    home = work / f"hub-{engine}"
    vault = make_node(work / f"vault-{engine}", trust, role="vault", name="vault-records")
    hub = make_node(home, trust, role="hub", name="hub")
    hub.ingest([s.entry for s in vault.store.record(DIRECTORY_RECORD)])
    vault.close()
    hub.close()
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_schema(args.database)) if engine == "postgresql" else None
        started = time.perf_counter()
        node = _build(home, database, args.entries)
        stack.callback(node.close)
        total = node.store.count()
        print(f"{engine}: built a log of {total:,} entries in "
              f"{time.perf_counter() - started:.1f} s (untimed phase)", flush=True)
        out = work / f"hub-{engine}.ccbk"
        result = create_backup(node, home, out)
        _rate("create", total, result.seconds, f"{result.bytes / 1e6:,.0f} MB")
        started = time.perf_counter()
        report = verify_backup(out, trust.root.public)
        _rate("verify (no secret)", total, time.perf_counter() - started,
              f"{report.chunks} chunks")
        targets = [engine] + ([_other(engine)] if args.cross else [])
        for target in targets:
            with contextlib.ExitStack() as inner:
                url = inner.enter_context(pg_schema(args.database)) if target == "postgresql" \
                    else None
                dest = work / f"restored-{engine}-to-{target}"
                restored = restore_backup(out, dest, root_public=trust.root.public,
                                          opener=own_keys_opener(SECRET), database=url)
                _rate(f"restore into {target}", total, restored.seconds)
                shutil.rmtree(dest, ignore_errors=True)
        out.unlink()


def _other(engine: str) -> str:
    return "sqlite" if engine == "postgresql" else "postgresql"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cross", action=argparse.BooleanOptionalAction, default=True,
                        help="also restore each backup into the other engine")
    parser.add_argument("--database", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    work = scratch_dir("carechain-backup-bench-")
    try:
        engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
        for engine in engines:
            run_engine(engine, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
