"""Growth: what a hub costs as its log grows, now that the Merkle tree lives on disk.

    .venv/bin/python bench/growth.py [--sizes 10000,1000000,20000000]
                                     [--engine sqlite|postgresql] [--database URL]
                                     [--push 3000] [--pages 20] [--tree-only 20000000]

For each size a hub (with a crew node and a vault in its directory) gets a log built
straight into its store with the store's own bulk load (untimed): the directory's real
entries, then synthetic rows of real entries' sizes (420–840 bytes of signed bytes and a
64-byte signature field cut from a random pool, id = SHA-256 of the signed bytes, a record
per 60 rows, each record granted to the vault). Nothing here signs 20 million entries:
the hub never decodes stored rows to start, to prove or to serve a pull page, so rows need
the size and shape of entries, not valid signatures. The bulk load's commit writes the
tree's tiles from the loaded ids, as an upgraded store's first open does. Then, measured:

- start-up: from starting `python -m carechain serve` to its first answer on `/health`;
- resident memory (VmRSS) of the hub process right after start, and after the runs below;
- push: the crew's `StreamPusher` pushes `--push` new real entries (signed, verified by the
  hub, stored in durable transactions, each answered with a signed head and a range proof
  from the tiles): entries/s;
- pull: the vault's signed `GET /sync/v1/pull` pages of 1000 with inclusion proofs (from
  the tiles), `--pages` pages from the middle of the log, read and decoded but not
  verified (the rows are synthetic): entries/s;
- disk per entry: the store's files (SQLite) or the schema's relations (PostgreSQL) over
  the number of entries, and the tiles' share of it.

`--tree-only N,…` first writes only the tiles of a tree of N synthetic leaves into an empty
SQLite store (no entries: fast to build at any size) and, in a fresh process, opens it as
a hub does, signs a head and serves 1,000 random inclusion proofs: the tree's part of
start-up, memory and proofs, at sizes whose full log would take too long to build here.

The table ends with a year of a busy trust (5 million entries a day): the disk it needs
at the measured bytes per entry; start-up and memory are carried over from the largest
log, because nothing the hub does at start or per request reads a part of the log that
grows with it. Figures are printed, never asserted; everything lives in a temporary
directory or a fresh PostgreSQL schema and is removed at the end (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from bench._harness import (
    DEFAULT_PG,
    SECRET,
    free_port,
    load_average,
    machine,
    pg_schema,
    scratch_dir,
)

from carechain.entries import SystemClock
from carechain.hub import TransparencyLog
from carechain.node import Node
from carechain.store import SqliteStore, open_store
from carechain.store.bulk import BulkStore
from carechain.sync.client import PeerClient
from carechain.sync.pusher import StreamPusher
from carechain.testing import make_node, make_trust
from carechain.transparency import TileEdge
from carechain.trust import DIRECTORY_RECORD, NodeKeys

BUILD_PAGE = 50_000
PER_RECORD = 60
YEAR_ENTRIES = 5_000_000 * 365  # a busy trust: about 5 million entries a day


def _rows(start: int, count: int, vault: bytes) -> Iterator[tuple[list[tuple[Any, ...]], list]]:
    """Yield pages of synthetic entry rows of real entries' sizes, with their grants."""
    pool = os.urandom(1 << 16)
    now = int(time.time() * 1000)
    author = bytes(32)
    page: list[tuple[Any, ...]] = []
    access: list[tuple[bytes, bytes, int]] = []
    for i in range(count):
        seq = start + i
        size = 420 + (i * 7919) % 421
        offset = (i * 104_729) % (len(pool) - size)
        signed = seq.to_bytes(8, "big") + pool[offset : offset + size]
        record = hashlib.md5(b"record%d" % (i // PER_RECORD)).digest()
        grant = i % PER_RECORD == 0
        if grant:
            access.append((record, vault, seq))
        page.append((seq, hashlib.sha256(signed).digest(), record,
                     "grant" if grant else "clinical", author, now - count + i, 0, signed,
                     pool[offset : offset + 64], now))
        if len(page) == BUILD_PAGE:
            yield page, access
            page, access = [], []
    if page:
        yield page, access


def build(home: Path, database: str | None, entries: int, vault: bytes) -> float:
    """Replace the hub's store by its directory and `entries` synthetic rows; return seconds."""
    started = time.perf_counter()
    seed = SqliteStore(home / "store.db")
    snapshot = seed.snapshot()
    directory = [r for page in snapshot.entry_pages(1000) for r in page]
    snapshot.close()
    seed.close()
    if database is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{home / 'store.db'}{suffix}").unlink(missing_ok=True)
    store = open_store(database or home / "store.db")
    load = (store.bulk_load(exclusive=True) if isinstance(store, SqliteStore)
            else store.bulk_load() if isinstance(store, BulkStore) else None)
    assert load is not None
    load.add_entries(directory)
    done = 0
    for page, access in _rows(len(directory) + 1, entries, vault):
        load.add_entries(page)
        load.add_access(access)
        done += len(page)
        if done % 1_000_000 < BUILD_PAGE:
            print(f"    built {done:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
    load.commit()
    store.close()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def disk(home: Path, database: str | None) -> tuple[int, int, int]:
    """Return the bytes the store takes, the bytes of its tiles and the entries it holds."""
    if database is None:
        path = home / "store.db"
        total = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal")
                    if Path(f"{path}{s}").exists())
        db = sqlite3.connect(path)
        tiles = int(db.execute("SELECT coalesce(sum(length(hashes)), 0) FROM tree_tiles")
                    .fetchone()[0])
        held = int(db.execute("SELECT max(seq) FROM entries").fetchone()[0])
        db.close()
        return total, tiles, held
    import psycopg

    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            " JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = current_schema() AND c.relkind = 'r'), "
            "(SELECT pg_total_relation_size('tree_tiles')), "
            "(SELECT max(seq) FROM entries)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


@dataclass
class Figures:
    """One log size's measured figures."""

    entries: int
    built_s: float
    start_s: float
    open_s: float
    rss_start: float
    rss_after: float
    push_rate: float
    pull_rate: float
    disk_per_entry: float
    tiles_per_entry: float


@contextlib.contextmanager
def serve(home: Path, database: str | None) -> Iterator[tuple[subprocess.Popen[bytes], str,
                                                               float]]:
    """Start the hub; yield it, its URL and the seconds until it answered `/health`."""
    port = free_port()
    cmd = [sys.executable, "-m", "carechain", "serve", "--dir", str(home), "--host",
           "127.0.0.1", "--port", str(port)]
    if database:
        cmd += ["--database", database]
    env = {**os.environ, "CARECHAIN_SECRET": SECRET}
    log = (home / "serve.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the hub exited: {(home / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.01)
        yield proc, url, time.perf_counter() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(30)
        log.close()


def push(crew: Node, url: str, expected: int) -> float:
    """Push the crew's backlog with its push-on-write stream; return entries/s."""

    async def go() -> int:
        pusher = StreamPusher(crew, url)
        stop = asyncio.Event()
        task = asyncio.create_task(pusher.run(stop))
        deadline = time.monotonic() + 300
        while pusher.pushed < expected and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        stop.set()
        await task
        return pusher.pushed

    started = time.perf_counter()
    pushed = asyncio.run(go())
    seconds = time.perf_counter() - started
    if pushed < expected:
        raise RuntimeError(f"the hub took {pushed} of {expected} pushed entries")
    return pushed / seconds


def pull(vault: Node, url: str, entries: int, pages: int) -> float:
    """Read `pages` pull pages of 1000 with proofs from the middle of the log; entries/s."""
    got = 0
    with httpx.Client(base_url=url, timeout=60) as http:
        peer = PeerClient(vault, http)
        after = max(0, min(entries // 2, entries - pages * 1000))
        started = time.perf_counter()
        for _ in range(pages):
            page = peer.call("GET", "/sync/v1/pull",
                             {"after": after, "limit": 1000, "proofs": "true"})
            rows = page["entries"]
            assert rows and all(r[2] for r in rows), "a page without entries or proofs"
            got += len(rows)
            after = int(page["next"])
            if not page.get("more"):
                break
        return got / (time.perf_counter() - started)


def write_crew(crew: Node, count: int) -> None:
    """Write `count` real entries on the crew node, records of 100 entries (untimed)."""
    written = 0
    while written < count:
        record, _ = crew.open_record(user="P100234", data={"callsign": "RRV-412"})
        written += 1
        for i in range(min(99, count - written)):
            crew.append(record=record, user="P100234", kind="note.added",
                        data={"text": f"reassessed, observation {i}"})
            written += 1


def run(entries: int, args: argparse.Namespace, work: Path) -> Figures:
    """Build one hub of `entries` and measure it."""
    base = work / f"{entries}"
    trust = make_trust(base / "trust")
    home = base / "hub"
    vault = make_node(base / "vault", trust, role="vault", name="vault-records")
    crew = make_node(base / "crew", trust, role="crew", name="crew-1")
    hub = make_node(home, trust, role="hub", name="hub")
    for peer in (vault, crew):
        hub.ingest([s.entry for s in peer.store.record(DIRECTORY_RECORD)])
    hub.close()
    write_crew(crew, args.push)
    with contextlib.ExitStack() as stack:
        stack.callback(crew.close)
        stack.callback(vault.close)
        database = stack.enter_context(pg_schema(args.database)) if args.engine == "postgresql" \
            else None
        print(f"  {entries:,} entries: building …", flush=True)
        built = build(home, database, entries, vault.keys.box_key_id)
        # The first start seals the store (a node seals a log it has not sealed yet), once;
        # the measured start is the second, as every later start of the hub is.
        with serve(home, database) as (_, _, first):
            pass
        started = time.perf_counter()  # the part of start-up that could grow with the log
        node = Node.open(home, SECRET, store_url=database)
        TransparencyLog(node.store, node.keys, node.wall).head()
        opened = time.perf_counter() - started
        node.close()
        with serve(home, database) as (proc, url, start_s):
            rss_start = rss_mb(proc.pid)
            push_rate = push(crew, url, args.push)
            pull_rate = pull(vault, url, entries, args.pages)
            rss_after = rss_mb(proc.pid)
        total, tiles, held = disk(home, database)
        print(f"    built in {built:.0f} s; first start (seals the log) {first:.1f} s",
              flush=True)
        return Figures(entries, built, start_s, opened, rss_start, rss_after, push_rate,
                       pull_rate, total / held, tiles / held)


def table(rows: list[Figures]) -> None:
    """Print the figures, and a year of a busy trust at the largest log's figures."""
    print("\n| log | start-up (process → /health) | open + tree head (in process) | "
          "RSS after start | RSS after push+pull | push | pull | disk/entry | tiles/entry |"
          "\n|---|---|---|---|---|---|---|---|---|")
    for f in rows:
        print(f"| {f.entries:,} | {f.start_s:.2f} s | {f.open_s:.3f} s | {f.rss_start:.0f} MB | "
              f"{f.rss_after:.0f} MB | {f.push_rate:,.0f}/s | {f.pull_rate:,.0f}/s | "
              f"{f.disk_per_entry:,.0f} B | {f.tiles_per_entry:.1f} B |")
    last = rows[-1]
    print(f"| a year, {YEAR_ENTRIES / 1e9:.2f} billion (5 M/day) | ≈ {last.start_s:.2f} s | "
          f"≈ {last.open_s:.3f} s | ≈ {last.rss_start:.0f} MB | ≈ {last.rss_after:.0f} MB | "
          f"— | — | {last.disk_per_entry * YEAR_ENTRIES / 1e12:.2f} TB | "
          f"{last.tiles_per_entry * YEAR_ENTRIES / 1e9:.0f} GB |")


def tree_only(entries: int, work: Path) -> None:
    """Write the tiles of a tree of `entries` synthetic leaves into an empty SQLite store
    (no entries), then, in a fresh process, open it and serve a head and proofs."""
    path = work / f"tree-{entries}.db"
    store = SqliteStore(path)
    store.close()
    db = sqlite3.connect(path)
    started = time.perf_counter()
    edge = TileEdge()
    upsert = ("INSERT INTO tree_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, "
              "hashes = excluded.hashes")
    with db:
        for start in range(0, entries, BUILD_PAGE):
            edge.extend(hashlib.sha256(b"%d" % i).digest()
                        for i in range(start, min(entries, start + BUILD_PAGE)))
            db.executemany(upsert, [(lv, i, len(h) // 32, h) for lv, i, h in edge.take_changed()])
    db.close()
    built = time.perf_counter() - started
    probe = subprocess.run([sys.executable, __file__, "--probe", str(path)], check=True,
                           capture_output=True, text=True, env={**os.environ}).stdout
    print(f"tree only, {entries:,} leaves (tiles built in {built:.0f} s, "
          f"{path.stat().st_size / entries:.1f} B a leaf on disk): {probe.strip()}", flush=True)
    path.unlink()


def probe(path: str) -> None:
    """Open a store's tiles as a hub does and serve a head and 1,000 proofs; print figures."""
    started = time.perf_counter()
    store = SqliteStore(path)
    log = TransparencyLog(store, NodeKeys.generate(), SystemClock())
    size = log.head().head.size
    opened = time.perf_counter() - started
    rng = random.Random(7)
    started = time.perf_counter()
    for _ in range(1000):
        log.inclusion(rng.randint(1, size), size)
    proofs = time.perf_counter() - started
    print(f"open + signed head {opened * 1000:.0f} ms, 1,000 random inclusion proofs "
          f"{proofs * 1000:.0f} ms, RSS {rss_mb(os.getpid()):.0f} MB")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000,20000000")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database", default=DEFAULT_PG)
    parser.add_argument("--push", type=int, default=3000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--tree-only", default="",
                        help="sizes of trees (tiles only, no entries) to open and prove from")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return
    print(f"{machine()}; load average {load_average()}; engine {args.engine}", flush=True)
    print("rows: synthetic, of real entries' sizes, ids = SHA-256 of their bytes (not signed "
          "entries: the hub decodes none of them to start, prove or serve a pull page)",
          flush=True)
    work = scratch_dir("carechain-growth-bench-")
    rows: list[Figures] = []
    try:
        for leaves in (int(s) for s in args.tree_only.split(",") if s):
            tree_only(leaves, work)
        for entries in (int(s) for s in args.sizes.split(",") if s):
            rows.append(run(entries, args, work))
            shutil.rmtree(work / f"{entries}", ignore_errors=True)
            table(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
