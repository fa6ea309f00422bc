"""The outage drill (issue 13, item 5): a month of a busy trust, its hub wiped, rebuilt from
the vault and the edges, verified independently, every node resumed; then the vault
restored from a backup. Each phase's time and entries per second are printed.

    .venv/bin/python bench/drill.py [--incidents 90000] [--per-incident 60]
        [--monitored 60000] [--minutes 45] [--crews 4] [--vault-behind 0.01]
        [--batch 5000] [--dir DIR]

The defaults are the issue's month: 90,000 incidents (about 3,000 a day), each about 60
clinical entries (the STEMI demo case's incident, patient, history, observations with ECG
findings, medications, procedure, impression and handover to a hospital, then an
observation every 5-15 minutes, every fourth of them with a medication), and one-a-second
monitor readings for 45 minutes on 60,000 of them. Monitor readings are stored as the
crew tablet writes them (`--readings chunks`, the default): one `vitals.chunk` entry
(class `stream`) a minute per monitor, each signed and encrypted on its own; with
`--readings frames` as logs written before chunks hold them, one `vitals.frame` entry per
reading, so frames are most of the log.

Set-up (untimed, printed): a trust; a hub, `--crews` crew nodes, a hospital and a vault,
introduced to each other by real sync rounds. Then every entry is made for real (a grant
per record sealed to the crew, the hospital and the vault; bodies encrypted under the
record's key; every entry signed by its crew's device key) and bulk-loaded with each
store's own append where the real nodes would have synced: the hub's log in the order it
would have taken them; each crew, the hospital and the vault hold what their syncs would
have given them, with the hub's position of each (as their pulls note them), a signed head
of the hub's log and their sync cursors. The vault is behind: the last `--vault-behind` of
the log reached the hub and the edges only. Then, timed:

- wipe: the hub's store is deleted (its keys stay: the key store);
- rebuild: `carechain.recovery.rebuild_hub` from the vault, the hospital and every crew
  (what the vault lacks is refilled from the edges), including the proof of every head;
- verify: `carechain.recovery.verify_log` over the rebuilt log with only the trust's root
  key and every node's head of it;
- resume: each crew documents one more entry, then every node runs one real sync round
  with the rebuilt hub (in process, over its ASGI app): no alert, no refusal;
- backup: `carechain.backup.create_backup` of the vault while it serves;
- restore: `carechain.backup.restore_backup` of that backup into a new data directory.

Figures are printed, never asserted. Everything is in a temporary directory, removed at
the end unless `--dir` names one to keep.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carechain.app import create_app
from carechain.backup import create_backup, own_keys_opener, restore_backup
from carechain.demo import chest_pain_stemi
from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.node import Node, NodeHome
from carechain.recovery import open_survivor, rebuild_hub, verify_log
from carechain.sync.client import sync_with
from carechain.sync.heads import HeadKeeper
from carechain.sync.wire import encode_head
from carechain.testing import make_node, make_trust
from carechain.transparency import CompactRange, TreeHead, leaf_hash, log_id_from_key, sign_head

SECRET = "operator-secret"  # carechain.testing.make_node's default
PAGE = 20_000
START = datetime(2026, 11, 1, tzinfo=UTC)

Bar = Callable[[int, int], None]


def bar(label: str, out: Any = None) -> Bar:
    """Return a progress bar on stderr (drawn only on a terminal)."""
    started = time.monotonic()
    stream = out or sys.stderr

    def show(done: int, total: int) -> None:
        if not stream.isatty():
            return
        width = 30
        filled = width if total <= 0 else min(width, width * done // max(total, 1))
        rate = done / max(time.monotonic() - started, 1e-9)
        stream.write(f"\r{label:<8} [{'#' * filled}{'.' * (width - filled)}] {done:,}/"
                     f"{total:,} {rate:,.0f}/s ")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


@dataclass
class Drill:
    """The nodes' directories and what the set-up made."""

    home: Path
    crews: list[str]
    hospital: str = "hospital-a"
    entries: int = 0
    frames: int = 0
    log_size: int = 0
    vault_size: int = 0
    times: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)

    @property
    def edges(self) -> list[str]:
        """Return the names of the nodes that survive the hub."""
        return ["vault", self.hospital, *self.crews]


def _client(node: Node) -> Any:
    """Return an in-process HTTP client of the node's real app (no sockets)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx
        from fastapi.testclient import TestClient
    return TestClient(create_app(node))


def _incident(i: int, per_incident: int, minutes: int, monitored: bool,
              hospital: str, chunks: bool = False
              ) -> tuple[list[tuple[str, str, dict[str, Any]]], int]:
    """Return one incident's (class, kind, body) in order, and how many monitor readings
    it holds (as a `vitals.frame` each, or a `vitals.chunk` a minute)."""
    case = chest_pain_stemi()
    begin = START + timedelta(seconds=i * 30 * 86_400 // 90_000)  # ~3,000 a day
    out: list[tuple[str, str, dict[str, Any]]] = [("clinical", "record.opened", case.opened)]
    last_obs: dict[str, Any] = {}
    for kind, data in case.at(begin):
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": hospital}
        if kind == "observation.recorded":
            last_obs = data
        out.append(("clinical", kind, data))
    at = begin + timedelta(minutes=30)
    n = 0
    while len(out) < per_incident - 1:  # the grant is the last of the ~60
        at += timedelta(minutes=5 + (i + n) % 11)  # every 5-15 minutes
        obs = {**last_obs, "taken_at": at.isoformat(), "pulse": 70 + (i + n) % 50,
               "spo2": 92 + (i + n) % 8}
        out.append(("clinical", "observation.recorded", obs))
        if n % 4 == 3 and len(out) < per_incident - 1:
            out.append(("clinical", "medication.administered", {
                "drug": "glyceryl trinitrate", "dose": 400, "unit": "mcg", "route": "SL",
                "given_at": at.isoformat(), "given_by": "P100234"}))
        n += 1
    frames = 0
    if monitored:
        minute: list[dict[str, Any]] = []
        for s in range(minutes * 60):
            t = begin + timedelta(minutes=10, seconds=s)
            reading = {"at": t.isoformat(), "heart_rate": 60 + (s + i) % 60,
                       "spo2": 93 + s % 7, "respiratory_rate": 14 + s % 10}
            frames += 1
            if not chunks:
                out.append(("stream", "vitals.frame", {**reading, "source": "monitor-1"}))
                continue
            minute.append(reading)
            if len(minute) == 60 or s == minutes * 60 - 1:
                out.append(("stream", "vitals.chunk", {
                    "at": minute[0]["at"], "source": "monitor-1", "readings": minute}))
                minute = []
    return out, frames


def _monitored(i: int, incidents: int, monitored: int) -> bool:
    """Spread `monitored` of `incidents` evenly."""
    return (i * monitored) // incidents != ((i + 1) * monitored) // incidents


def _make(nodes: dict[str, Node], drill: Drill, args: argparse.Namespace,
          show: Bar) -> Iterator[tuple[str, list[Entry]]]:
    """Yield (crew name, a record's entries) for every incident, made and signed for real."""
    vault, hospital = nodes["vault"], nodes[drill.hospital]
    for i in range(args.incidents):
        crew = nodes[drill.crews[i % len(drill.crews)]]
        to = {n.keys.box_key_id: n.keys.box_public for n in (crew, hospital, vault)}
        recipients = tuple(sorted(to))
        items, frames = _incident(i, args.per_incident, args.minutes,
                                  _monitored(i, args.incidents, args.monitored), drill.hospital,
                                  chunks=args.readings == "chunks")
        record, key = new_record_id(), crypto.random_bytes(32)
        hlc = int(time.time() * 1000) + drill.entries
        last = make_grant(Draft(record, "grant", "P100234", HLC(hlc), (), ()), crew.keys, key, to)
        made = [last]
        for n, (cls, kind, data) in enumerate(items, start=1):
            draft = Draft(record, cls, "P100234", HLC(hlc + n), (last.id,), recipients)
            last = make_encrypted(draft, crew.keys, key, {"kind": kind, "v": 1, "data": data})
            made.append(last)
        drill.entries += len(made)
        drill.frames += frames
        show(i + 1, args.incidents)
        yield crew.info.name, made


def _head(nodes: dict[str, Node], tree: CompactRange, log: bytes) -> bytes:
    head = TreeHead(tree.size, tree.root(), int(time.time() * 1000), log)
    return encode_head(sign_head(head, nodes["hub"].keys.signing_key))


def build(drill: Drill, args: argparse.Namespace) -> None:
    """Make the nodes, introduce them, and bulk-load the month where syncs would have."""
    home = drill.home
    trust = make_trust(home / "trust")
    nodes = {"hub": make_node(home / "hub", trust, role="hub", name="hub")}
    for name in drill.crews:
        nodes[name] = make_node(home / name, trust, name=name)
    nodes[drill.hospital] = make_node(home / drill.hospital, trust, role="hospital",
                                      name=drill.hospital)
    nodes["vault"] = make_node(home / "vault", trust, role="vault", name="vault")
    hub = nodes["hub"]
    with _client(hub) as client:
        for _ in range(2):  # the directory reaches everyone through the hub
            for name in drill.edges:
                sync_with(nodes[name], client)
    log = log_id_from_key(hub.keys.sign_public)
    tree = CompactRange()
    for i in hub.store.ids(0, 10**6):
        tree.append(leaf_hash(i))
    behind_from = int(args.incidents * (1 - args.vault_behind))
    pages: dict[str, list[Entry]] = {name: [] for name in nodes}
    vault_head = b""

    def flush(force: bool) -> None:
        for name, page in pages.items():
            if name == "hub" or not (page and (force or len(page) >= PAGE)):
                continue
            placed = dict(zip((e.id for e in page), range(len(page)), strict=True))
            nodes[name].store.append(page)
            seqs = hub.store.seqs_of(list(placed))
            nodes[name].store.note_positions(log, [(seqs[e], e) for e in placed])
            page.clear()

    for i, (crew, made) in enumerate(_make(nodes, drill, args, bar("build"))):
        hub.store.append(made)
        for e in made:
            tree.append(leaf_hash(e.id))
        pages[crew] += made
        pages[drill.hospital] += made
        if i < behind_from:
            pages["vault"] += made
        elif not vault_head:
            vault_head = _head(nodes, tree, log)  # the vault's last pull (before this one)
            drill.vault_size = tree.size - len(made)
        flush(False)
    flush(True)
    drill.log_size = tree.size
    if not vault_head:
        vault_head, drill.vault_size = _head(nodes, tree, log), tree.size
    full_head = _head(nodes, tree, log)
    hub_key = hub.keys.key_id.hex()
    for name in drill.edges:
        node = nodes[name]
        size = drill.vault_size if name == "vault" else drill.log_size
        node.store.set_meta_many([
            (f"head:{log.hex()}", vault_head if name == "vault" else full_head),
            (f"pull:{hub_key}", str(size).encode()),
            (f"push:{hub_key}", str(node.store.count()).encode()),
        ])
    for node in nodes.values():
        node.close()


def wipe(drill: Drill) -> None:
    """Lose the hub's log; its keys and certificate stay."""
    store = NodeHome(drill.home / "hub").store_file
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)


def _phase(drill: Drill, name: str, entries: int, started: float) -> None:
    seconds = time.monotonic() - started
    drill.times[name] = seconds
    drill.rates[name] = entries / seconds if seconds > 0 else 0.0
    print(f"{name + ':':<9} {seconds:8.2f} s  {drill.rates[name]:>10,.0f} entries/s", flush=True)


def recover(drill: Drill, args: argparse.Namespace) -> None:
    """Rebuild, verify, resume, back up and restore, timing each phase."""
    started = time.monotonic()
    wipe(drill)
    _phase(drill, "wipe", 0, started)
    started = time.monotonic()
    hub = Node.open(drill.home / "hub", SECRET)
    root, key = hub.directory.root_public, hub.keys.sign_public
    survivors = [open_survivor(drill.home / n, root_public=root, hub_key=key)
                 for n in drill.edges]
    try:
        report = rebuild_hub(hub, survivors, batch=args.batch, progress=bar("rebuild"))
        _phase(drill, "rebuild", report.placed, started)
        print(f"          {report.size:,} leaves; from {report.by_survivor}; heads proven "
              f"{sum(h.proven for h in report.heads)}/{len(report.heads)}; "
              f"complete={report.complete}", flush=True)
        if not report.complete:
            raise SystemExit("\n".join(report.summary()))
        started = time.monotonic()
        heads = [(s.name, h) for s in survivors for h in s.heads]
        verdict = verify_log(hub.store, root_public=root, heads=heads)
        _phase(drill, "verify", verdict.entries, started)
        if not verdict.clean:
            raise SystemExit("\n".join(verdict.summary()))
    finally:
        for s in survivors:
            s.close()
    _resume(drill, hub)
    hub.close()
    _backup_restore(drill)


def _resume(drill: Drill, hub: Node) -> None:
    """Every node runs one sync round with the rebuilt hub; crews document first."""
    started = time.monotonic()
    moved = 0
    with _client(hub) as client:
        for name in drill.edges:
            node = Node.open(drill.home / name, SECRET)
            try:
                if node.info.role == "crew":
                    node.open_record(user="P100234", data=chest_pain_stemi().opened)
                sync = sync_with(node, client)
                alerts = HeadKeeper(node.store, node.directory).alerts()
                if sync.refused or alerts:
                    raise SystemExit(f"{name} did not resume: {sync.refused} refused, "
                                     f"alerts {alerts}")
                moved += sync.pulled + sync.pushed
            finally:
                node.close()
    _phase(drill, "resume", moved, started)
    print(f"          {len(drill.edges)} nodes, one round each, {moved} entries moved, "
          "no alert", flush=True)


def _backup_restore(drill: Drill) -> None:
    vault_dir = drill.home / "vault"
    vault = Node.open(vault_dir, SECRET)
    root = vault.directory.root_public
    try:
        started = time.monotonic()
        made = create_backup(vault, vault_dir, drill.home / "vault.ccbk")
        _phase(drill, "backup", made.manifest["entries"], started)
    finally:
        vault.close()
    started = time.monotonic()
    restored = restore_backup(drill.home / "vault.ccbk", drill.home / "vault-restored",
                              root_public=root, opener=own_keys_opener(SECRET),
                              progress=bar("restore"))
    _phase(drill, "restore", restored.manifest["entries"], started)


def run(args: argparse.Namespace, home: Path) -> Drill:
    """Build the month and run the drill in `home`; return what it measured."""
    drill = Drill(home, [f"crew-{n + 1}" for n in range(args.crews)])
    started = time.monotonic()
    build(drill, args)
    print(f"built:    {time.monotonic() - started:8.2f} s  (untimed set-up) {args.incidents:,} "
          f"incidents, {drill.entries:,} entries holding {drill.frames:,} monitor readings "
          f"(as {args.readings}); "
          f"hub log {drill.log_size:,}, vault {drill.vault_size:,}", flush=True)
    recover(drill, args)
    total = sum(drill.times[p] for p in ("wipe", "rebuild", "verify", "resume"))
    print(f"hub back, verified, every node resumed: {total:.1f} s", flush=True)
    return drill


def parser() -> argparse.ArgumentParser:
    """Return the drill's options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--incidents", type=int, default=90_000)
    p.add_argument("--per-incident", type=int, default=60, help="clinical entries")
    p.add_argument("--monitored", type=int, default=60_000)
    p.add_argument("--minutes", type=int, default=45, help="of one-a-second monitor readings")
    p.add_argument("--readings", choices=("chunks", "frames"), default="chunks",
                   help="a vitals.chunk a minute (as written now) or a vitals.frame a reading")
    p.add_argument("--crews", type=int, default=4)
    p.add_argument("--vault-behind", type=float, default=0.01,
                   help="the fraction of incidents that reached the hub but not the vault")
    p.add_argument("--batch", type=int, default=5_000)
    p.add_argument("--dir", type=Path, default=None, help="keep everything here")
    return p


def main(argv: list[str] | None = None) -> None:
    """Run the drill."""
    args = parser().parse_args(argv)
    home = args.dir or Path(tempfile.mkdtemp(prefix="cc-drill-"))
    try:
        run(args, home)
    finally:
        if args.dir is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
