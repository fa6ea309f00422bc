"""Rebuild of a wiped hub from a vault, and independent verification of the result.

    .venv/bin/python bench/rebuild.py [--entries 200000] [--per-record 60] [--batch 5000]
                                      [--dir DIR]

Untimed set-up: a trust, a hub, a crew node and a vault (SQLite). `--entries` real entries
are made (a grant, then clinical entries encrypted to the crew and the vault, each naming
the one before as parent, `--per-record` to a record, signed by the crew's key) and put in
the hub's log with its store's own append, after the nodes' certificates; the vault holds
the same entries in its own order (its own certificate first) with the position of each in
the hub's log, as its pulls note them, and the hub's signed head of the whole log. Then
the hub's store is deleted, and, timed:

- open: the hub's keys and the vault as a survivor;
- rebuild: `carechain.recovery.rebuild_hub` (each batch through `sync.receive`: signatures
  in batch on every core, certificates, parents, one transaction per batch), including the
  check that the rebuilt log proves the vault's head;
- verify: `carechain.recovery.verify_log` over the rebuilt log with only the trust's root
  key and the vault's head (streaming, signatures in batch on every core).

Prints each phase's time and entries per second (a progress bar on a terminal). Figures are
printed, never asserted. Everything is in a temporary directory, removed at the end unless
`--dir` names one to keep. The month-size drill reuses this with larger `--entries`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.node import Node, NodeHome
from carechain.recovery import open_survivor, rebuild_hub, verify_log
from carechain.sync.wire import encode_head
from carechain.testing import make_node, make_trust
from carechain.transparency import CompactRange, TreeHead, leaf_hash, log_id_from_key, sign_head
from carechain.trust import DIRECTORY_RECORD

SECRET = "operator-secret"  # carechain.testing.make_node's default
PAGE = 20_000


def _bar(label: str) -> object:
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        width = 30
        filled = width if total <= 0 else min(width, width * done // max(total, 1))
        rate = done / max(time.monotonic() - started, 1e-9)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/"
                         f"{total:,} {rate:,.0f}/s ")
        sys.stderr.flush()

    return show


def _entries(crew: Node, vault: Node, count: int, per_record: int) -> Iterator[list[Entry]]:
    """Yield real entries a page at a time: records of `per_record`, chained by parents."""
    to = {crew.keys.box_key_id: crew.keys.box_public, vault.keys.box_key_id: vault.keys.box_public}
    recipients = tuple(sorted(to))
    start = int(time.time() * 1000)
    page: list[Entry] = []
    made = 0
    while made < count:
        record, key = new_record_id(), crypto.random_bytes(32)
        last = make_grant(Draft(record, "grant", "P1", HLC(start + made), (), ()),
                          crew.keys, key, to)
        page.append(last)
        made += 1
        for _ in range(min(per_record, count - made + 1) - 1):
            draft = Draft(record, "clinical", "P1", HLC(start + made), (last.id,), recipients)
            body = {"kind": "observation.recorded", "v": 1,
                    "data": {"hr": 60 + made % 80, "rr": 12 + made % 10, "spo2": 94 + made % 6}}
            last = make_encrypted(draft, crew.keys, key, body)
            page.append(last)
            made += 1
        if len(page) >= PAGE or made >= count:
            yield page
            page = []


def _build(home: Path, count: int, per_record: int) -> tuple[int, float]:
    """Make the nodes and the old hub's log; note it in the vault; wipe the hub's store."""
    trust = make_trust(home / "trust")
    hub = make_node(home / "hub", trust, role="hub", name="hub")
    crew = make_node(home / "crew", trust, name="crew-1")
    vault = make_node(home / "vault", trust, role="vault", name="vault")
    started = time.monotonic()
    log = log_id_from_key(hub.keys.sign_public)
    certs = [s.entry for n in (hub, crew, vault) for s in n.store.record(DIRECTORY_RECORD)]
    hub.store.append(certs)
    vault.store.append(certs)
    show = _bar("build")
    made = 0
    for page in _entries(crew, vault, count, per_record):
        placed = hub.store.append(page)
        vault.store.append(page)
        made += len(page)
        show(made, count)  # type: ignore[operator]
    ids = hub.store.ids(0, 10**9)
    vault.store.note_positions(log, list(enumerate(ids, start=1)))
    tree = CompactRange()
    for i in ids:
        tree.append(leaf_hash(i))
    head = sign_head(TreeHead(len(ids), tree.root(), int(time.time() * 1000), log),
                     hub.keys.signing_key)
    vault.store.set_meta(f"head:{log.hex()}", encode_head(head))
    del placed
    for n in (hub, crew, vault):
        n.close()
    store = NodeHome(home / "hub").store_file
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    return len(ids), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--per-record", type=int, default=60)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep everything here")
    args = parser.parse_args()
    home = args.dir or Path(tempfile.mkdtemp(prefix="cc-rebuild-"))
    try:
        size, build_s = _build(home, args.entries, args.per_record)
        print(f"built: hub log of {size:,} entries ({args.entries:,} made) in {build_s:.1f} s "
              "(untimed set-up)")
        t0 = time.monotonic()
        hub = Node.open(home / "hub", SECRET)
        vault = open_survivor(home / "vault", root_public=hub.directory.root_public,
                              hub_key=hub.keys.sign_public)
        t1 = time.monotonic()
        report = rebuild_hub(hub, [vault], batch=args.batch, progress=_bar("rebuild"))  # type: ignore[arg-type]
        t2 = time.monotonic()
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        heads = [("vault", h) for h in vault.heads]
        verdict = verify_log(hub.store, root_public=hub.directory.root_public, heads=heads)
        t3 = time.monotonic()
        vault.close()
        hub.close()
        print(f"open:    {t1 - t0:7.2f} s")
        print(f"rebuild: {t2 - t1:7.2f} s  {report.placed / (t2 - t1):>9,.0f} entries/s  "
              f"({report.placed:,} placed, complete={report.complete}, "
              f"heads proven {sum(h.proven for h in report.heads)}/{len(report.heads)})")
        print(f"verify:  {t3 - t2:7.2f} s  {verdict.entries / (t3 - t2):>9,.0f} entries/s  "
              f"(clean={verdict.clean})")
        print(f"total:   {t3 - t0:7.2f} s  {size / (t3 - t0):>9,.0f} entries/s")
    finally:
        if args.dir is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
