"""What a request costs as the log grows: `/health`, `/sync/v1/info`, a pull page, the admin
overview and the store reads start-up makes, on logs of 10 thousand and 1 million entries.

    .venv/bin/python bench/request_cost.py [--sizes 10000,1000000]
                                           [--engine sqlite|postgresql|both] [--database URL]
                                           [--repeat 20]

For each engine and size a hub node is made (a trust, the hub, a vault and a hospital in
its directory) and its log is built directly in the store with the store's own bulk load,
as `bench/backup.py` builds it (untimed): rows of the size of real entries, a record per
60 rows, each record granted to the vault and one record in 20 to the hospital as well.
Then, timed, each `--repeat` times, and printed as the median and the slowest:

- `GET /health` and `GET /sync/v1/info` through the node's real app (in process, no network);
- a pull page of 500 for the vault (every entry) and for the hospital (the directory and
  the records granted to it), both from the middle of the log: `sync.policy.page_for`,
  what the pull route answers before it adds proofs (the tree is another piece of work);
- `GET /admin` (the overview) with an admin logged in;
- `store.count()` and `store.last_hlc()`: what start-up and the live path read.

Figures are printed, never asserted. Everything lives in a temporary directory and fresh
PostgreSQL schemas, removed at the end (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyotp
from bench._harness import DEFAULT_PG, pg_schema, scratch_dir
from fastapi.testclient import TestClient

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.node import Node
from carechain.store import SqliteStore, open_store
from carechain.store.bulk import BulkStore
from carechain.sync.policy import page_for
from carechain.testing import Trust, make_node, make_trust
from carechain.trust import DIRECTORY_RECORD
from carechain.web import accounts_key

SECRET = "operator-secret"
ADMIN, ADMIN_PASSWORD = "A9001", "lantern-quay-otter-1987"
BUILD_PAGE = 20_000
PER_RECORD = 60
HOSPITAL_SHARE = 20  # one record in 20 is addressed to the hospital
PAGE = 500


def _rows(start: int, count: int, author: bytes) -> Iterator[list[tuple[Any, ...]]]:
    """Yield synthetic entry rows of real entries' sizes, a page at a time."""
    pool = os.urandom(1 << 16)
    now = int(time.time() * 1000)
    page: list[tuple[Any, ...]] = []
    for i in range(count):
        seq = start + i
        size = 420 + (i * 7919) % 421
        offset = (i * 104_729) % (len(pool) - size)
        signed = seq.to_bytes(8, "big") + pool[offset : offset + size]
        record = hashlib.md5(b"record%d" % (i // PER_RECORD)).digest()
        cls = "grant" if i % PER_RECORD == 0 else "clinical"
        page.append((seq, hashlib.sha256(signed).digest(), record, cls, author,
                     now - count + i, 0, signed, pool[offset : offset + 64], now))
        if len(page) == BUILD_PAGE:
            yield page
            page = []
    if page:
        yield page


def _build(home: Path, database: str | None, entries: int, vault: bytes, hospital: bytes) -> None:
    """Replace the store of `home` by its directory and `entries` synthetic rows."""
    seed = SqliteStore(home / "store.db")
    snapshot = seed.snapshot()
    directory = [r for page in snapshot.entry_pages(1000) for r in page]
    snapshot.close()
    seed.close()
    if database is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{home / 'store.db'}{suffix}").unlink(missing_ok=True)
    store = open_store(database or home / "store.db")
    assert isinstance(store, BulkStore)
    load = store.bulk_load()
    load.add_entries(directory)
    for page in _rows(len(directory) + 1, entries, bytes(32)):
        load.add_entries(page)
    access = []
    for i in range((entries + PER_RECORD - 1) // PER_RECORD):
        record, seq = hashlib.md5(b"record%d" % i).digest(), len(directory) + 1 + i * PER_RECORD
        access.append((record, vault, seq))
        if i % HOSPITAL_SHARE == 0:
            access.append((record, hospital, seq))
    load.add_access(access)
    load.commit()
    store.close()


def _timed(repeat: int, call: Callable[[], object]) -> str:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return f"median {statistics.median(times):9.2f} ms   max {max(times):9.2f} ms"


def run(engine: str, entries: int, args: argparse.Namespace, work: Path) -> None:
    """Build one hub and time its requests."""
    base = work / f"{engine}-{entries}"
    trust: Trust = make_trust(base / "trust")
    home = base / "hub"
    vault = make_node(base / "vault", trust, role="vault", name="vault-records")
    hospital = make_node(base / "hospital", trust, role="hospital", name="hospital-a")
    hub = make_node(home, trust, role="hub", name="hub")
    for peer in (vault, hospital):
        hub.ingest([s.entry for s in peer.store.record(DIRECTORY_RECORD)])
    vault_key, hospital_key = vault.keys.box_key_id, hospital.keys.box_key_id
    for n in (vault, hospital, hub):
        n.close()
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_schema(args.database)) if engine == "postgresql" else None
        started = time.perf_counter()
        _build(home, database, entries, vault_key, hospital_key)
        built = time.perf_counter() - started
        started = time.perf_counter()
        node = Node.open(home, SECRET, store_url=database)
        opened = time.perf_counter() - started
        stack.callback(node.close)
        store = node.store
        print(f"{engine}, {store.count():,} entries (built in {built:.1f} s, node opened in "
              f"{opened:.1f} s; untimed)", flush=True)
        accounts = AccountStore(base / "accounts.db", accounts_key(node), cost=FAST_FOR_TESTS)
        stack.callback(accounts.close)
        _, uri = accounts.create_person(ADMIN, "Robin Admin", "admin", ADMIN_PASSWORD,
                                        node_role="hub", now_ms=node.clock_ms())
        assert uri
        client = TestClient(create_app(node, accounts=accounts), base_url="http://127.0.0.1")
        stack.callback(client.close)
        vault_cert = node.directory.nodes("vault")[0]
        hospital_cert = node.directory.nodes("hospital")[0]
        middle = store.count() // 2

        def get(path: str) -> Callable[[], object]:
            def call() -> object:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
                return answer
            return call

        def page(cert: Any) -> Callable[[], object]:
            def call() -> object:
                got = page_for(store, cert, middle, PAGE)
                assert got.entries, "an empty page"
                return got
            return call

        repeat = args.repeat
        print(f"  GET /health              {_timed(repeat, get('/health'))}", flush=True)
        print(f"  GET /sync/v1/info        {_timed(repeat, get('/sync/v1/info'))}", flush=True)
        print(f"  pull page, vault         {_timed(repeat, page(vault_cert))}", flush=True)
        print(f"  pull page, hospital      {_timed(repeat, page(hospital_cert))}", flush=True)
        totp = pyotp.parse_uri(uri).now()
        login = client.post("/login", data={"staff_id": ADMIN, "secret": ADMIN_PASSWORD,
                                            "totp": totp, "next": "/"}, follow_redirects=False)
        assert login.status_code == 303, login.text
        print(f"  GET /admin (overview)    {_timed(repeat, get('/admin'))}", flush=True)
        print(f"  store.count()            {_timed(repeat, store.count)}", flush=True)
        print(f"  store.last_hlc()         {_timed(repeat, store.last_hlc)}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--database", default=DEFAULT_PG)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    work = scratch_dir("carechain-request-bench-")
    try:
        engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
        for entries in (int(s) for s in args.sizes.split(",")):
            for engine in engines:
                run(engine, entries, args, work)
                shutil.rmtree(work / f"{engine}-{entries}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
