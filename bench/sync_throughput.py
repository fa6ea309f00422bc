"""Sync throughput: crew → hub push and hub → hospital pull, against pouchdb-server.

    .venv/bin/python bench/sync_throughput.py [--entries 10000] [--engine sqlite|postgresql|both]
                                              [--push round|stream|both] [--peer/--no-peer]
                                              [--profile DIR]

A crew node writes ~100-entry patient care records with `Node.append` beforehand (untimed).
Then, for each engine, a fresh hub runs as a separate `python -m carechain serve` process
on 127.0.0.1 (SQLite in its directory, or a fresh PostgreSQL schema), and:

- push: the crew runs `sync_with(crew, httpx.Client(base_url=hub))` — batches of 500 (the
  next sent as soon as the last is answered, and checked while the hub works) — or
  (`--push stream`) its push-on-write `StreamPusher`, which sends the same batches over
  one WebSocket, four in flight. The hub decodes, verifies every signature (on both
  cores), certificate and parent, stores each batch in one durable transaction and
  answers with a signed head and a range proof that the crew checks and records;
- pull: a hospital node, to which every record is addressed, runs `sync_with` with the hub:
  it pulls every entry with inclusion proofs, verifies and stores them (and, as the
  product does, writes a receipt per record and pushes those back — counted in the time).

The reference is pouchdb-server (LevelDB on disk) fed the same number of JSON documents
with a base64 payload of the mean carechain entry wire size, by a Python client that
replicates as CouchDB's replicator does: `_revs_diff`, then `_bulk_docs` with
`new_edits: false`, 500 per batch, with a `_local` checkpoint per batch (push);
`_changes?since=…&limit=500&include_docs=true` pages (pull; the client parses the
documents and stores nothing). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import hashlib
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from _harness import (
    BENCH,
    DEFAULT_PG,
    SECRET,
    RecordCache,
    Served,
    cpu_seconds,
    hub_process,
    load_average,
    machine,
    pg_schema,
    pouchdb_process,
    scratch_dir,
)
from carechain.demo.cases import CASES
from carechain.node import Node
from carechain.sync.client import SyncReport, sync_with
from carechain.sync.pusher import StreamPusher
from carechain.testing import Trust, make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

BATCH = 500
PY_SPY = BENCH / ".peers" / "py" / "bin" / "py-spy"

NOTES = (
    "Patient states pain started while gardening, no relief from rest.",
    "Wife present, confirms history. Patient anxious but cooperative throughout.",
    "Reassessed after analgesia: pain reduced, patient more settled, colour improved.",
    "Moved to vehicle on carry chair without incident. Monitoring continued en route.",
    "Pre-alert passed to ED coordinator; advised bay on arrival. ETA confirmed.",
    "Patient vomited once en route, airway maintained, positioned left lateral briefly.",
    "Cannula flushed and patent. No swelling at site. Fluids not indicated at present.",
    "Discussed with clinical advice line; plan agreed to convey to nearest ED.",
)


# --- the crew's records --------------------------------------------------------------


def _observation(rng: random.Random, at: datetime) -> dict[str, Any]:
    systolic = rng.randint(95, 170)
    obs: dict[str, Any] = {
        "taken_at": at.isoformat(), "respiratory_rate": rng.randint(12, 28),
        "spo2": rng.randint(90, 100), "oxygen": False, "systolic_bp": systolic,
        "diastolic_bp": rng.randint(50, min(105, systolic - 20)),
        "pulse": rng.randint(55, 135), "acvpu": "A",
        "temperature_c": round(rng.uniform(35.8, 38.6), 1),
    }
    if rng.random() < 0.3:
        obs |= {"gcs_eye": 4, "gcs_verbal": 5, "gcs_motor": 6}
    if rng.random() < 0.3:
        obs["pain_score"] = rng.randint(0, 10)
    if rng.random() < 0.2:
        obs["blood_glucose_mmol_l"] = round(rng.uniform(4.0, 11.0), 1)
    return obs


def write_records(crew: Node, *, entries: int, per_record: int, seed: int = 7) -> int:
    """Write records of `per_record` entries each until at least `entries`; return the count."""
    rng = random.Random(seed)
    cases = list(CASES.values())
    written = 0
    number = 0
    now = datetime.now(UTC).replace(microsecond=0)
    while written < entries:
        case = cases[number % len(cases)]("P100234")
        base = now - timedelta(hours=6) + timedelta(minutes=number % 240)
        record, _ = crew.open_record(user="P100234", data=case.opened)
        crew.address_to(record=record, user="P100234", node_name="hospital-a")
        count = 3  # two grants and record.opened
        for kind, data in case.at(base):
            crew.append(record=record, user="P100234", kind=kind, data=data)
            count += 1
        at = base + timedelta(minutes=30)
        while count < per_record:
            at += timedelta(seconds=30)
            if rng.random() < 0.75:
                crew.append(record=record, user="P100234", kind="observation.recorded",
                            data=_observation(rng, at))
            else:
                crew.append(record=record, user="P100234", kind="note.added",
                            data={"text": " ".join(rng.sample(NOTES, rng.randint(1, 3)))})
            count += 1
        written += count
        number += 1
    return written


# --- timing ----------------------------------------------------------------------------


@dataclass
class Figures:
    """One engine's (or the reference's) measured figures."""

    name: str
    entries: int
    push_s: float
    pull_s: float
    pulled: int
    notes: str = ""

    @property
    def push_rate(self) -> float:
        return self.entries / self.push_s

    @property
    def pull_rate(self) -> float:
        return self.pulled / self.pull_s


@contextlib.contextmanager
def profiled(name: str, out: Path | None, served: Served | None) -> Iterator[None]:
    """Profile this process (cProfile) and the server (py-spy, if installed) when asked."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    spy = None
    if served is not None and PY_SPY.exists():
        spy = subprocess.Popen(
            [str(PY_SPY), "record", "--pid", str(served.pid), "--rate", "200", "--format",
             "raw", "--output", str(out / f"{name}-server.txt"), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(1.0)  # let py-spy attach before the timed part starts
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        with (out / f"{name}-client.txt").open("w") as f:
            pstats.Stats(profile, stream=f).sort_stats("cumulative").print_stats(40)
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()


def stream_push(crew: Node, url: str, expected: int) -> int:
    """Push the crew's backlog with its push-on-write stream (`StreamPusher`); return the
    number of entries the hub newly stored."""
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

    return asyncio.run(go())


def run_carechain(engine: str, *, push: str, trust: Trust, master: Path, work: Path,
                  pg_url: str, crew_entries: int, profile: Path | None) -> Figures:
    """Push the crew's records to a fresh hub and pull them to a hospital; time both."""
    base = work / f"{engine}-{push}"
    base.mkdir()
    for name in ("crew", "hospital"):
        shutil.copytree(master / name, base / name)
    make_node(base / "hub", trust, role="hub", name=f"hub-{engine}").close()
    schema = pg_schema(pg_url) if engine == "postgresql" else contextlib.nullcontext(None)
    with schema as database, hub_process(base / "hub", database=database) as hub:
        crew = Node.open(base / "crew", SECRET)
        hospital = Node.open(base / "hospital", SECRET)
        try:
            with httpx.Client(base_url=hub.url, timeout=300) as http:
                http.get("/sync/v1/info").raise_for_status()  # warm the connection
                with profiled(f"{engine}-{push}-push", profile, hub):
                    cpu = (cpu_seconds(hub.pid), cpu_seconds(os.getpid()))
                    start = time.perf_counter()
                    if push == "stream":
                        pushed = SyncReport(peer="hub", role="hub",
                                            pushed=stream_push(crew, hub.url, crew_entries))
                    else:
                        pushed = sync_with(crew, http)
                    push_s = time.perf_counter() - start
                    cores = ((cpu_seconds(hub.pid) - cpu[0]) / push_s,
                             (cpu_seconds(os.getpid()) - cpu[1]) / push_s)
                held = int(http.get("/health").json()["entries"])
                with profiled(f"{engine}-{push}-pull", profile, hub):
                    start = time.perf_counter()
                    pulled = sync_with(hospital, http)
                    pull_s = time.perf_counter() - start
            mine = hospital.keys.key_id
            received = sum(1 for s in hospital.store.since(0, 10**9)
                           if s.entry.header.record != DIRECTORY_RECORD
                           and s.entry.header.author != mine)
        finally:
            crew.close()
            hospital.close()
    if pushed.refused or pulled.refused or pushed.pushed < crew_entries:
        raise RuntimeError(f"{engine}: pushed {pushed.summary()}; pulled {pulled.summary()}")
    if received < crew_entries:
        raise RuntimeError(f"{engine}: the hospital holds {received} of {crew_entries} entries")
    notes = (f"hub held {held} entries; the hospital stored {received} and pushed back "
             f"{pulled.pushed} receipts in the same round; CPU during the push, cores: "
             f"hub {cores[0]:.2f}, crew {cores[1]:.2f}")
    name = f"carechain, {engine} hub, {'stream' if push == 'stream' else 'sync round'}"
    return Figures(name, pushed.pushed, push_s, pull_s, received, notes)


# --- the reference: pouchdb-server -------------------------------------------------------


def make_docs(count: int, payload_bytes: int, seed: int = 11) -> list[dict[str, Any]]:
    """Return `count` CouchDB documents with a base64 payload of `payload_bytes` bytes."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        payload = base64.b64encode(rng.randbytes(payload_bytes)).decode()
        rev = hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()
        docs.append({"_id": f"{i // 100:06d}-{i % 100:04d}-{rng.getrandbits(64):016x}",
                     "_rev": f"1-{rev}", "_revisions": {"start": 1, "ids": [rev]},
                     "record": f"{i // 100:032x}", "cls": "clinical", "payload": payload})
    return docs


def _checkpoint(http: httpx.Client, doc_id: str, rev: str | None, seq: Any) -> str:
    body: dict[str, Any] = {"_id": doc_id, "last_seq": seq}
    if rev is not None:
        body["_rev"] = rev
    r = http.put(f"/bench/{doc_id}", json=body)
    r.raise_for_status()
    return str(r.json()["rev"])


def run_pouchdb(count: int, payload_bytes: int, work: Path) -> Figures:
    """Replicate `count` documents to and from pouchdb-server the way a replicator does."""
    docs = make_docs(count, payload_bytes)
    doc_bytes = sum(len(str(d)) for d in docs[:100]) / 100
    # identity: pouchdb-server would otherwise gzip every answer (httpx asks for it)
    with pouchdb_process(work / "pouchdb") as server, \
            httpx.Client(base_url=server.url, timeout=300,
                         headers={"Accept-Encoding": "identity"}) as http:
        http.put("/bench").raise_for_status()
        rev = None
        start = time.perf_counter()
        for i in range(0, count, BATCH):
            batch = docs[i : i + BATCH]
            missing = http.post("/bench/_revs_diff",
                                json={d["_id"]: [d["_rev"]] for d in batch}).json()
            send = [d for d in batch if d["_id"] in missing]
            r = http.post("/bench/_bulk_docs", json={"docs": send, "new_edits": False})
            r.raise_for_status()
            rev = _checkpoint(http, "_local/bench-push", rev, i + len(batch))
        push_s = time.perf_counter() - start
        held = int(http.get("/bench").json()["doc_count"])
        start = time.perf_counter()
        since: Any = 0
        pulled = 0
        while True:
            page = http.get("/bench/_changes", params={
                "since": since, "limit": BATCH, "include_docs": "true", "style": "all_docs"})
            page.raise_for_status()
            body = page.json()
            results = body["results"]
            pulled += sum(1 for r in results if "doc" in r)
            since = body["last_seq"]
            if not results:
                break
        pull_s = time.perf_counter() - start
    if held != count or pulled != count:
        raise RuntimeError(f"pouchdb-server held {held}, pulled {pulled}, expected {count}")
    return Figures("pouchdb-server (LevelDB on disk)", count, push_s, pull_s, pulled,
                   f"JSON doc ≈ {doc_bytes:.0f} bytes; LevelDB writes without fsync")


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000, help="clinical entries to sync")
    parser.add_argument("--per-record", type=int, default=100, help="entries per record")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--push", choices=("round", "stream", "both"), default="both",
                        help="round: `sync_with` (HTTP /push pages); stream: the crew's "
                             "push-on-write WebSocket (`StreamPusher`) pushing its backlog")
    parser.add_argument("--database", default=DEFAULT_PG,
                        help="PostgreSQL URL (a fresh schema is created in it and dropped)")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure pouchdb-server")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write cProfile (client) and py-spy (server) profiles here")
    args = parser.parse_args(argv)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]

    print(f"machine: {machine()}")
    work = scratch_dir("carechain-bench-sync-")  # on disk: the hub's store, as in production
    master = scratch_dir("carechain-bench-gen-", memory=True)
    results: list[Figures] = []
    try:
        trust = make_trust(work / "trust")
        crew = make_node(master / "crew", trust, name="crew-1")
        hospital = make_node(master / "hospital", trust, role="hospital", name="hospital-a")
        vault = make_node(master / "vault", trust, role="vault", name="vault")
        crew.ingest([s.entry for n in (hospital, vault) for s in n.store.record(DIRECTORY_RECORD)])
        start = time.perf_counter()
        crew.store = RecordCache(crew.store)  # type: ignore[assignment]
        written = write_records(crew, entries=args.entries, per_record=args.per_record)
        wires = [len(s.entry.to_wire()) for s in crew.store.since(0, 10**9)
                 if s.entry.header.record != DIRECTORY_RECORD]
        mean_wire = sum(wires) / len(wires)
        print(f"crew wrote {written} entries in {math.ceil(written / args.per_record)} records "
              f"({time.perf_counter() - start:.1f} s, untimed); mean entry wire size "
              f"{mean_wire:.0f} bytes (min {min(wires)}, max {max(wires)})", flush=True)
        for node in (crew, hospital, vault):
            node.close()
        pushes = ["round", "stream"] if args.push == "both" else [args.push]
        for engine, push in ((e, p) for e in engines for p in pushes):
            fig = run_carechain(engine, push=push, trust=trust, master=master, work=work,
                                pg_url=args.database, crew_entries=written, profile=args.profile)
            results.append(fig)
            print(f"{fig.name}: push {fig.push_rate:,.0f} entries/s ({fig.push_s:.2f} s), "
                  f"pull {fig.pull_rate:,.0f} entries/s ({fig.pull_s:.2f} s); {fig.notes}",
                  flush=True)
        if args.peer:
            fig = run_pouchdb(written, round(mean_wire), work)
            results.append(fig)
            print(f"{fig.name}: push {fig.push_rate:,.0f} docs/s ({fig.push_s:.2f} s), "
                  f"pull {fig.pull_rate:,.0f} docs/s ({fig.pull_s:.2f} s); {fig.notes}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(master, ignore_errors=True)

    print()
    print(f"{'':46} {'push /s':>10} {'pull /s':>10} {'push ×pouch':>12} {'pull ×pouch':>12}")
    ref = results[-1] if args.peer and results else None
    for fig in results:
        ratio = ("", "") if ref is None or fig is ref else (
            f"{fig.push_rate / ref.push_rate:.2f}×", f"{fig.pull_rate / ref.pull_rate:.2f}×")
        print(f"{fig.name:46} {fig.push_rate:>10,.0f} {fig.pull_rate:>10,.0f} "
              f"{ratio[0]:>12} {ratio[1]:>12}")
    print(f"load average after: {load_average()}")
    if ref is not None:
        print("target: carechain push ≥ 3× pouchdb-server's push rate while verifying every "
              "signature")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
