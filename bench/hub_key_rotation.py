"""A new hub key on a full log: how long re-keying takes, and the first sync after it.

    .venv/bin/python bench/hub_key_rotation.py [--entries 20000] [--records 200]

A trust, a hub, a crew and a vault (SQLite, in one process, each served by its own ASGI app
over httpx as in tests/sync/harness.py). Untimed: the crew writes `--entries` real entries
(`--records` records, a note at a time to each with `Node.append_many`), pushes them to the
hub, and the vault pulls them all. Then, timed:

- rekey: `carechain.node.rekey` on the stopped hub (checks the log against the head the
  old key signed, then signs it again with the new key);
- trust: certify the new key, sign the transition, revoke the old key, import the three on
  the hub;
- first round, cursors carried: the vault's first sync round with the hub under its new
  key, resuming at the old key's pull and push cursors (what carechain does);
- first round, from 0: the same round for a copy of the vault without those cursors (the
  whole log pulled again and offered again, every entry checked and found already held).

Prints seconds per phase and entries per second; figures are printed, never asserted.
Everything lives in a temporary directory, removed at the end (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from carechain.app import create_app  # noqa: E402
from carechain.node import Node, NodeHome, rekey  # noqa: E402
from carechain.sync.client import sync_with  # noqa: E402
from carechain.sync.heads import HeadKeeper  # noqa: E402
from carechain.testing import FAST_KDF, make_node, make_trust  # noqa: E402
from carechain.trust import CertRequest  # noqa: E402
from carechain.trust.authority import certify, hand_over, revoke  # noqa: E402

SECRET = "operator-secret"  # carechain.testing.make_node's default


def _copy(src: Path, dst: Path) -> None:
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file() and not f.name.startswith("store.db"):
            shutil.copyfile(f, dst / f.name)
    a, b = sqlite3.connect(src / "store.db"), sqlite3.connect(dst / "store.db")
    with b:
        a.backup(b)
    a.close()
    b.close()


def run(base: Path, entries: int, records: int) -> None:
    trust = make_trust(base / "trust")
    hub = make_node(base / "hub", trust, role="hub", name="hub")
    crew = make_node(base / "crew", trust)
    vault = make_node(base / "vault", trust, role="vault", name="vault")
    client = TestClient(create_app(hub))
    ids = [crew.open_record(user="P1", data={"callsign": f"RRV-{i}"})[0] for i in range(records)]
    written = 0
    while written < entries:
        batch = ids[: min(records, entries - written)]
        items = [(r, "note.added", {"text": f"note {written + i}"}) for i, r in enumerate(batch)]
        crew.append_many(user="P1", items=items)
        written += len(batch)
    sync_with(vault, client)
    sync_with(crew, client)
    sync_with(vault, client)
    size = hub.store.count()
    [head] = HeadKeeper(vault.store, vault.directory).heads()
    assert head.size == size, (head.size, size)
    client.close()
    hub.close()
    vault.close()
    _copy(base / "vault", base / "vault-from-0")
    old_key = NodeHome(base / "hub").keys(SECRET).sign_public
    print(f"log: {size} entries on the hub ({entries} notes in {records} records)")

    t0 = time.perf_counter()
    rekey(base / "hub", secret=SECRET, now_ms=int(time.time() * 1000), cost=FAST_KDF)
    t1 = time.perf_counter()
    request = CertRequest.from_bytes((base / "hub" / "request.cbor").read_bytes())
    now = int(time.time() * 1000)
    _, cert = certify(trust.root, request, not_before_ms=now - 1000, days=30)
    _, transition = hand_over(
        trust.root, old_key=old_key, new_key=request.sig_key, size=head.size,
        tree_root=head.root, at_ms=now,
    )  # fmt: skip
    revocation = revoke(trust.root, sig_key=old_key, at_ms=now, reason="bench")
    hub = Node.open(base / "hub", SECRET)
    results = hub.ingest([cert, transition, revocation])
    assert all(r.error is None for r in results), results
    t2 = time.perf_counter()
    print(f"rekey (check {size} entries, sign again): {t1 - t0:.2f} s "
          f"({size / (t1 - t0):,.0f} entries/s)")  # fmt: skip
    print(f"trust: certify, transition, revocation, import: {t2 - t1:.2f} s")

    client = TestClient(create_app(hub))
    rounds = (
        ("vault", "cursors carried over (carechain)"),
        ("vault-from-0", "cursors from 0 (no carry-over)"),
    )
    try:
        for name, label in rounds:
            node = Node.open(base / name, SECRET)
            if name == "vault-from-0":
                old = next(c for c in node.directory.nodes("hub") if c.sig_key == old_key)
                for direction in ("pull", "push"):
                    node.store.set_meta(f"{direction}:{old.key_id.hex()}", b"")
            t = time.perf_counter()
            report = sync_with(node, client)
            took = time.perf_counter() - t
            alerts = HeadKeeper(node.store, node.directory).alerts()
            assert not alerts, alerts
            print(f"vault's first round after the new key, {label}: {took:.2f} s "
                  f"(pulled {report.pulled} new, pushed {report.pushed} new)")  # fmt: skip
            node.close()
    finally:
        client.close()
        hub.close()
        crew.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="carechain-bench-rotation-"))
    try:
        run(base, args.entries, args.records)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
