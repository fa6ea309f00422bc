"""Live latency: ≥1,000 concurrent vital-sign streams, one frame a second each, through ONE hub.

    .venv/bin/python bench/live_latency.py [--streams 1000] [--hospitals N]
        [--push frame|coalesce] [--warmup 10] [--duration 30] [--engine sqlite|postgresql]
        [--peer/--no-peer] [--append-cost/--no-append-cost]

Processes (all on 127.0.0.1):

- the hub: `python -m carechain serve` in its own process (SQLite on disk, or a fresh
  PostgreSQL schema);
- the monitors (this process, asyncio): one simulated tablet per stream, each a crew node
  with its own key and its own record, granted to one hospital. Every second each tablet
  writes a `vitals.frame` entry with `Node.append` and pushes it to the hub at once over its
  own keep-alive HTTP connection, as a signed `POST /sync/v1/push` (`--push frame`: one
  request per frame, frames queue behind a push still in flight; `--push coalesce`: a
  tablet whose previous push is still in flight sends everything written since in one);
- the subscribers (a second process, asyncio): one WebSocket per hospital on
  `/sync/v1/live`, signed with `sign_request`; each message is timed on arrival and its
  entries' ids are computed (SHA-256 of the signed part). They do not verify or store.

Latency of a frame = arrival at its subscriber − the moment `Node.append` returned on its
tablet, both read from CLOCK_MONOTONIC (one clock for every process on this machine).
Frames written during the warm-up are not counted; frames written in the window and not
delivered within `--drain` seconds after it count as lost.

To keep 1,000 tablets in one process, each tablet's store is an in-memory SQLite wrapped
so that `Node.append` does not re-read the record (see `_harness.RecordCache`); what that
re-reading costs a real tablet is measured separately (`--append-cost`).

The reference is pouchdb-server (LevelDB on disk): one writer PUTs frames (JSON docs) at
the same total rate over one connection, one subscriber follows `_changes?feed=continuous`;
latency = arrival of the change line − the moment the writer started the PUT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import cbor2
import httpx

from _harness import (
    DEFAULT_PG,
    PEERS,
    HttpConnection,
    Identity,
    RecordCache,
    certified,
    cpu_seconds,
    fmt_summary,
    hub_process,
    light_node,
    load_average,
    machine,
    pg_schema,
    pouchdb_process,
    scratch_dir,
    summary_ms,
)
from carechain.cli.serve import quieter_gc
from carechain.clinical import load_example_formulary
from carechain.entries import Entry
from carechain.node import Node
from carechain.store import SqliteStore
from carechain.sync.auth import sign_request
from carechain.sync.client import Outgoing
from carechain.sync.pusher import StreamPusher
from carechain.sync.wire import CBOR, PushResult, encode_message
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD, Certificate, NodeKeys

PUSH = "/sync/v1/push"


T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop where it is installed (as the hub's uvicorn does)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
PY_SPY = PEERS / "py" / "bin" / "py-spy"


# --- the subscribers (their own process) --------------------------------------------------


@dataclass
class SubscriberPlan:
    """What the subscriber process needs: where, who, and from which cursor."""

    url: str
    after: int
    keys: list[tuple[bytes, bytes]]  # (seed, box_private) per hospital


async def _subscribe(url: str, after: int, keys: NodeKeys, got: list[tuple[bytes, int]],
                     gate: asyncio.Semaphore, connected: list[int], ready: asyncio.Event,
                     total: int, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    query = f"after={after}"
    uri = url.replace("http://", "ws://") + f"/sync/v1/live?{query}"
    async with gate:  # a few handshakes at a time
        headers = sign_request(keys, "GET", "/sync/v1/live", query, b"",
                               int(time.time() * 1000))
        ws = await connect(uri, additional_headers=headers, max_size=64 * 1024 * 1024,
                           open_timeout=60, compression=None)
        await ws.recv()  # the catch-up ends with a message, empty if nothing is missed
    connected[0] += 1
    if connected[0] == total:
        ready.set()
    try:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            arrived = time.monotonic_ns()
            message = cbor2.loads(raw)
            for item in message["entries"]:  # [seq, wire, proof]: the proof is not checked here
                wire = item[1]
                got.append((hashlib.sha256(cbor2.loads(wire)[0]).digest(), arrived))
    finally:
        await ws.close()


async def _subscribers(plan: SubscriberPlan, pipe: Connection) -> None:
    got: list[tuple[bytes, int]] = []
    ready, stop = asyncio.Event(), asyncio.Event()
    connected = [0]
    gate = asyncio.Semaphore(50)
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(_subscribe(plan.url, plan.after, NodeKeys(seed, box), got, gate,
                                         connected, ready, len(plan.keys), stop))
             for seed, box in plan.keys]
    try:
        await asyncio.wait_for(ready.wait(), timeout=120)
    except TimeoutError:
        failed = [t.exception() for t in tasks if t.done() and t.exception() is not None]
        pipe.send(("error", f"{connected[0]} of {len(plan.keys)} subscribers connected; "
                            f"{len(failed)} failed: {failed[:1]!r}"))
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return
    pipe.send(("ready", connected[0]))
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    stop.set()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(d) for d in done if isinstance(d, BaseException)]
    pipe.send(("done", got, errors[:3]))


def subscriber_main(plan: SubscriberPlan, pipe: Connection) -> None:
    """Entry point of the subscriber process."""
    quieter_gc()
    run_loop(_subscribers(plan, pipe))


# --- the tablets (this process) -----------------------------------------------------------


@dataclass
class Tablet:
    """One monitored patient: a crew node, its record, its connection to the hub."""

    index: int
    node: Node
    record: bytes
    conn: HttpConnection
    queue: asyncio.Queue[tuple[bytes, bytes]] = field(default_factory=asyncio.Queue)


@dataclass
class Run:
    """Timestamps of one run, in CLOCK_MONOTONIC nanoseconds."""

    written: dict[bytes, int] = field(default_factory=dict)   # entry id → append returned
    acked: dict[bytes, int] = field(default_factory=dict)     # entry id → push answered
    push_errors: list[str] = field(default_factory=list)
    pushes: int = 0
    inflight: int = 0
    pushed_entries: int = 0
    append_s: float = 0.0
    late_frames: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # process → cores used in the window

    @classmethod
    def merge(cls, runs: Sequence[Run]) -> Run:
        """Join the runs of several tablet workers."""
        out = cls()
        for r in runs:
            out.written.update(r.written)
            out.acked.update(r.acked)
            out.push_errors += r.push_errors
            out.pushes += r.pushes
            out.pushed_entries += r.pushed_entries
            out.append_s += r.append_s
            out.late_frames += r.late_frames
        return out


def _frame(rng: random.Random, index: int) -> dict[str, Any]:
    return {"at": datetime.now(UTC).isoformat(), "source": f"monitor-{index:04d}",
            "heart_rate": rng.randint(55, 135), "spo2": rng.randint(90, 100),
            "respiratory_rate": rng.randint(12, 28)}


async def _unchecked_stream(tablet: Tablet, url: str, run: Run, stop: asyncio.Event,
                            connected: list[int]) -> None:
    """`--push stream-unchecked`: the same `/sync/v1/stream` messages as `StreamPusher`
    sends, from the same store, but the answers are only matched, not checked (no head
    signature, consistency or range proof, no marks). The hub's work is identical; only
    the simulated tablets' own CPU differs (see docs/benchmarks.md)."""
    from websockets.asyncio.client import connect

    node = tablet.node
    wake = asyncio.Event()
    unlisten = node.notifier.listen_async(asyncio.get_running_loop(), wake)
    query = "known=0"
    headers = sign_request(node.keys, "GET", "/sync/v1/stream", query, b"", node.clock_ms())
    uri = url.replace("http://", "ws://") + f"/sync/v1/stream?{query}"
    sent_upto = node.store.count()  # the setup entries are at the hub already
    pending: dict[int, list[bytes]] = {}
    try:
        async with connect(uri, additional_headers=headers, compression=None) as ws:
            connected[0] += 1

            async def answers() -> None:
                while True:
                    message = cbor2.loads(await ws.recv())
                    ids = pending.pop(message["n"])
                    now = time.monotonic_ns()
                    run.pushes += 1
                    run.pushed_entries += len(ids)
                    for entry_id in ids:
                        run.acked[entry_id] = now

            reading = asyncio.create_task(answers())
            number = 0
            while not stop.is_set():
                wake.clear()
                rows = node.store.raw_since(sent_upto, 500)
                if not rows:
                    stopping = asyncio.ensure_future(stop.wait())
                    woken = asyncio.ensure_future(wake.wait())
                    await asyncio.wait({stopping, woken}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    woken.cancel()
                    continue
                number += 1
                pending[number] = [r.id for r in rows]
                wires = [cbor2.dumps([r.signed, r.signature]) for r in rows]
                await ws.send(encode_message({"n": number, "entries": wires}))
                sent_upto = rows[-1].seq
            reading.cancel()
    finally:
        unlisten()


async def _pusher(tablet: Tablet, run: Run, coalesce: bool) -> None:
    keys = tablet.node.keys
    while True:
        first = await tablet.queue.get()
        batch = [first]
        if coalesce:
            while not tablet.queue.empty():
                batch.append(tablet.queue.get_nowait())
        body = encode_message({"entries": [w for _, w in batch], "heads": []})
        headers = sign_request(keys, "POST", PUSH, "", body, int(time.time() * 1000))
        headers["Content-Type"] = CBOR
        run.inflight += 1
        try:
            status, answer = await tablet.conn.request("POST", PUSH, body, headers)
        except (OSError, asyncio.IncompleteReadError) as exc:
            run.push_errors.append(repr(exc))
            await tablet.conn.close()
            continue
        finally:
            run.inflight -= 1
        now = time.monotonic_ns()
        run.pushes += 1
        run.pushed_entries += len(batch)
        if status != 200:
            run.push_errors.append(f"{status}: {answer[:200]!r}")
            continue
        for result in map(PushResult.from_wire, cbor2.loads(answer)["results"]):
            if result.code:
                run.push_errors.append(f"{result.code}: {result.detail}")
        for entry_id, _ in batch:
            run.acked[entry_id] = now


async def _monitor(tablet: Tablet, run: Run, first_ns: int, end_ns: int, streams: int,
                   http: bool) -> None:
    rng = random.Random(tablet.index)
    due = first_ns + tablet.index * 1_000_000_000 // streams
    while due < end_ns:
        delay = (due - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.1:
            run.late_frames += 1
        started = time.perf_counter()
        stored = tablet.node.append(record=tablet.record, user="P100234", kind="vitals.frame",
                                    data=_frame(rng, tablet.index))
        written = time.monotonic_ns()
        run.append_s += time.perf_counter() - started
        run.written[stored.entry.id] = written
        if http:
            tablet.queue.put_nowait((stored.entry.id, stored.entry.to_wire()))
        due += 1_000_000_000


async def _streams(tablets: Sequence[Tablet], url: str, hub: Certificate, run: Run,
                   stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Start the product's push-on-write (`StreamPusher`) on every tablet; wait until every
    socket is up (a few handshakes at a time)."""
    def settled(batch: list[Outgoing]) -> None:
        now = time.monotonic_ns()
        run.pushes += 1
        run.pushed_entries += len(batch)
        for out in batch:
            run.acked[out.id] = now

    async def one(tablet: Tablet, pusher: StreamPusher) -> None:
        async with gate:
            task = asyncio.create_task(pusher.run(stop))
            while not pusher.connected and not task.done():
                await asyncio.sleep(0.01)
        try:
            await task
        except Exception as exc:  # a dropped stream is a finding, not a crash of the bench
            run.push_errors.append(f"tablet {tablet.index}: {exc!r}")

    gate = asyncio.Semaphore(20)
    # In-memory tablet stores never wait on a disk: answers are checked on the loop, so
    # a thousand tablets do not hand the GIL back and forth with a pool of threads.
    pushers = [StreamPusher(t.node, url, on_settled=settled, peer=hub, settle_in_thread=False)
               for t in tablets]
    tasks = [asyncio.create_task(one(t, p)) for t, p in zip(tablets, pushers, strict=True)]
    deadline = time.monotonic() + 180
    while not all(p.connected for p in pushers) and time.monotonic() < deadline:
        if run.push_errors:
            raise RuntimeError(f"streams failed: {run.push_errors[:2]}")
        await asyncio.sleep(0.1)
    if not all(p.connected for p in pushers):
        raise RuntimeError(f"{sum(p.connected for p in pushers)} of {len(pushers)} streams up")
    return tasks


async def _cpu_in_window(pids: dict[str, list[int]], window: int, end: int,
                         out: dict[str, float]) -> None:
    """Put the cores each group of processes used between `window` and `end` into `out`."""
    def used() -> dict[str, float]:
        out = {name: sum(cpu_seconds(p) for p in group) for name, group in pids.items()}
        out |= {f"{name} (kernel)": sum(cpu_seconds(p, system_only=True) for p in group)
                for name, group in pids.items()}
        return out

    await asyncio.sleep(max(0.0, (window - time.monotonic_ns()) / 1e9))
    before = used()
    await asyncio.sleep(max(0.0, (end - time.monotonic_ns()) / 1e9))
    after = used()
    out.update({name: (after[name] - before[name]) / ((end - window) / 1e9) for name in after})


@dataclass
class Window:
    """When a run's frames are written, in CLOCK_MONOTONIC nanoseconds."""

    start: int   # the first frame
    window: int  # the first counted frame (after the warm-up)
    end: int     # no frame at or after this


async def drive(tablets: Sequence[Tablet], *, streams: int, push: str, url: str,
                hub: Certificate, pipe: Connection) -> Run:
    """Connect every tablet, say "ready", then write and push frames in the window given."""
    run = Run()
    stop = asyncio.Event()
    http = push in ("frame", "coalesce")
    if http:
        pushers = [asyncio.create_task(_pusher(t, run, push == "coalesce")) for t in tablets]
    elif push == "stream-unchecked":
        up = [0]
        pushers = [asyncio.create_task(_unchecked_stream(t, url, run, stop, up))
                   for t in tablets]
        while up[0] < len(tablets):
            failed = [p.exception() for p in pushers if p.done()]
            if failed:
                raise RuntimeError(f"streams failed: {failed[:1]}")
            await asyncio.sleep(0.05)
    else:
        pushers = await _streams(tablets, url, hub, run, stop)
    loop = asyncio.get_running_loop()
    pipe.send(("ready", len(tablets)))
    times: Window = await loop.run_in_executor(None, pipe.recv)
    try:
        await asyncio.gather(*(_monitor(t, run, times.start, times.end, streams, http)
                               for t in tablets))
        deadline = time.monotonic() + 30
        while (run.inflight or any(not t.queue.empty() for t in tablets)
               or (not http and len(run.acked) < len(run.written))) \
                and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        if http:
            for p in pushers:
                p.cancel()
        await asyncio.gather(*pushers, return_exceptions=True)
        await asyncio.gather(*(t.conn.close() for t in tablets), return_exceptions=True)
    return run


def tablets_main(tablets: list[Tablet], streams: int, push: str, url: str, hub: Certificate,
                 pipe: Connection) -> None:
    """Entry point of a tablet worker process (forked: it takes its tablets with it)."""
    quieter_gc()  # as the hub does: half a million objects of tablets, out of the GC's sight
    host, port = url.removeprefix("http://").split(":")
    for t in tablets:
        t.conn = HttpConnection(host, int(port))
    try:
        run = run_loop(drive(tablets, streams=streams, push=push, url=url, hub=hub, pipe=pipe))
    except Exception as exc:
        pipe.send(("error", repr(exc)))
        raise
    pipe.send(("done", run))


# --- setting up the trust, the hub and the tablets ------------------------------------------


@dataclass
class World:
    """Everything the run needs, made before the hub starts."""

    tablets: list[Tablet]
    hospitals: list[Identity]
    directory: list[Entry]
    setup: list[Entry]
    hub: Certificate


def build_world(trust: Any, streams: int, hospitals: int, hub_entry: Entry) -> World:
    """Make one crew node and one record per stream, and the hospitals they go to; every
    tablet knows the hub's certificate (`hub_entry`), as after its first sync round."""
    formulary = load_example_formulary()
    vault = certified(trust, name="vault", role="vault")
    wards = [certified(trust, name=f"hospital-{h:04d}", role="hospital")
             for h in range(hospitals)]
    tablets: list[Tablet] = []
    directory: list[Entry] = [vault.cert_entry] + [w.cert_entry for w in wards]
    setup: list[Entry] = []
    for i in range(streams):
        crew = certified(trust, name=f"crew-{i:04d}", role="crew")
        ward = wards[i % hospitals]
        node = light_node(trust, crew, RecordCache(SqliteStore(":memory:")),  # type: ignore[arg-type]
                          [vault.cert_entry, ward.cert_entry, hub_entry])
        node.formulary = formulary
        record, _ = node.open_record(user="P100234", data={"callsign": f"A-{i:04d}"})
        node.address_to(record=record, user="P100234", node_name=ward.name)
        directory.append(crew.cert_entry)
        setup += [s.entry for s in node.store.record(record)]
        tablets.append(Tablet(i, node, record, HttpConnection("", 0)))
    [hub] = [c for certs in tablets[0].node.directory.certs.values() for c in certs
             if c.role == "hub"]
    return World(tablets, wards, directory, setup, hub)


def introduce(url: str, world: World, pusher: Node) -> int:
    """Give the hub every certificate and every record's opening entries; return its size."""
    with httpx.Client(base_url=url, timeout=120) as http:
        for i in range(0, len(world.directory), 1000):
            body = encode_message({"entries": [e.to_wire() for e in world.directory[i:i + 1000]]})
            http.post("/sync/v1/directory", content=body,
                      headers={"Content-Type": CBOR}).raise_for_status()
        for i in range(0, len(world.setup), 500):
            body = encode_message({"entries": [e.to_wire() for e in world.setup[i:i + 500]],
                                   "heads": []})
            headers = sign_request(pusher.keys, "POST", PUSH, "", body, pusher.clock_ms())
            headers["Content-Type"] = CBOR
            r = http.post(PUSH, content=body, headers=headers)
            r.raise_for_status()
            results = [PushResult.from_wire(x) for x in cbor2.loads(r.content)["results"]]
            codes = [x.code for x in results if x.code]
            if codes:
                raise RuntimeError(f"the hub refused setup entries: {codes[:3]}")
        return int(http.get("/health").json()["entries"])


# --- figures ------------------------------------------------------------------------------


@dataclass
class Result:
    """What a run measured."""

    name: str
    delivered: dict[str, float]
    acked: dict[str, float] | None
    written: int
    received: int
    lost: int
    duration: float
    notes: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.name}:",
               f"  write → subscriber   {fmt_summary(self.delivered)}",
               f"  frames written {self.written / self.duration:,.0f}/s, delivered "
               f"{self.received / self.duration:,.0f}/s, lost {self.lost}"]
        if self.acked is not None:
            out.insert(2, f"  write → push answered {fmt_summary(self.acked)}")
        if self.notes:
            out.append(f"  {self.notes}")
        return out


def measure(run: Run, got: list[tuple[bytes, int]], window: int, end: int, drain_ns: int,
            duration: float, name: str, notes: str) -> Result:
    """Join write and arrival times for the frames written in the window."""
    in_window = {i: t for i, t in run.written.items() if window <= t < end}
    arrived: dict[bytes, int] = {}
    for entry_id, t in got:
        if entry_id in in_window and t <= end + drain_ns:
            arrived.setdefault(entry_id, t)
    delivered = [(arrived[i] - t0) / 1e9 for i, t0 in in_window.items() if i in arrived]
    acked = [(run.acked[i] - t0) / 1e9 for i, t0 in in_window.items() if i in run.acked]
    return Result(name, summary_ms(delivered), summary_ms(acked), len(in_window),
                  len(delivered), len(in_window) - len(arrived), duration, notes)


# --- the crew's append cost without the benchmark's cache -----------------------------------


def append_cost(trust: Any, work: Path, sizes: Sequence[int] = (10, 100, 1000, 3600)) -> list[str]:
    """Time `Node.append` of one frame on a tablet (SQLite on disk) at several record sizes."""
    node = make_node(work / "tablet", trust, name="tablet")
    real = node.store
    rng = random.Random(1)
    lines = []
    try:
        record, _ = node.open_record(user="P100234", data={"callsign": "A-0001"})
        for size in sizes:
            node.store = RecordCache(real)  # type: ignore[assignment]
            while real.count() - 1 < size:
                node.append(record=record, user="P100234", kind="vitals.frame",
                            data=_frame(rng, 1))
            node.store = real
            times = []
            for _ in range(10):
                start = time.perf_counter()
                node.append(record=record, user="P100234", kind="vitals.frame",
                            data=_frame(rng, 1))
                times.append(time.perf_counter() - start)
            times.sort()
            lines.append(f"  record of {size:>5} entries: Node.append median "
                         f"{times[len(times) // 2] * 1000:7.1f} ms")
    finally:
        node.close()
    return lines


# --- pouchdb-server ---------------------------------------------------------------------------


async def pouch_reference(url: str, *, rate: float, warmup: float, duration: float,
                          drain: float) -> Result:
    """One writer PUTs frames at `rate`/s; one subscriber follows the continuous feed."""
    arrived: dict[str, int] = {}
    written: dict[str, int] = {}
    acked: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        (await http.put("/vitals")).raise_for_status()
        feed_ready = asyncio.Event()

        async def follow() -> None:
            params = {"feed": "continuous", "since": "now", "heartbeat": "1000"}
            # identity: with gzip (httpx's default) express buffers the feed
            async with http.stream("GET", "/vitals/_changes", params=params, timeout=None,
                                   headers={"Accept-Encoding": "identity"}) as r:
                feed_ready.set()
                async for line in r.aiter_lines():
                    if line.strip():
                        t = time.monotonic_ns()
                        change = json.loads(line)
                        if "id" in change:
                            arrived.setdefault(change["id"], t)

        follower = asyncio.create_task(follow())
        await asyncio.wait_for(feed_ready.wait(), 10)
        await asyncio.sleep(0.5)
        host, port = url.removeprefix("http://").split(":")
        conn = HttpConnection(host, int(port))
        rng = random.Random(3)
        period = int(1e9 / rate)
        start = time.monotonic_ns() + 100_000_000
        window = start + int(warmup * 1e9)
        end = window + int(duration * 1e9)
        due, n = start, 0
        try:
            while due < end:
                delay = (due - time.monotonic_ns()) / 1e9
                if delay > 0:
                    await asyncio.sleep(delay)
                doc_id = f"frame-{n:08d}"
                body = json.dumps(_frame(rng, n % 1000)).encode()
                t0 = time.monotonic_ns()
                status, _ = await conn.request("PUT", f"/vitals/{doc_id}", body,
                                               {"Content-Type": "application/json"})
                if status not in (200, 201, 202):
                    raise RuntimeError(f"pouchdb-server answered {status}")
                acked[doc_id] = time.monotonic_ns()
                written[doc_id] = t0
                n += 1
                due += period
            await asyncio.sleep(drain)
        finally:
            follower.cancel()
            with contextlib.suppress(BaseException):
                await follower
            await conn.close()
    run = Run()
    run.written = {k.encode(): v for k, v in written.items()}
    run.acked = {k.encode(): v for k, v in acked.items()}
    got = [(k.encode(), v) for k, v in arrived.items()]
    return measure(run, got, window, end, int(drain * 1e9), duration,
                   "pouchdb-server, one writer, _changes?feed=continuous",
                   f"target rate {rate:,.0f} frames/s over one connection")


@contextlib.contextmanager
def py_spy(out: Path | None, name: str, pid: int, delay: float) -> Iterator[None]:
    """Sample the hub with py-spy (threads on the CPU only) from `delay` seconds on, if asked."""
    if out is None or not PY_SPY.exists():
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(PY_SPY), "record", "--pid", str(pid), "--rate", "250", "--format",
           "raw", "--output", str(out / f"{name}.txt"), "--nonblocking"]
    spy = subprocess.Popen(["sh", "-c", f"sleep {delay}; exec \"$@\"", "sh", *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(spy.pid, signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(spy.pid, signal.SIGKILL)


# --- main ---------------------------------------------------------------------------------------


async def carechain_run(world: World, url: str, after: int, hub_pid: int,
                        args: argparse.Namespace) -> Result:
    """Start the subscribers and the tablet workers, run the window, and join the timings.

    The tablets are split over `--tablet-procs` worker processes (forked after the world is
    built, so each takes its tablets' in-memory stores with it and the parent never touches
    them again): real tablets are separate devices, and one Python process cannot simulate
    a thousand of them without becoming the bottleneck it is meant to measure around.
    """
    spawn = multiprocessing.get_context("spawn")
    mine, theirs = spawn.Pipe()
    plan = SubscriberPlan(url, after, [(h.keys.seed, h.keys.box_private) for h in world.hospitals])
    subscribers = spawn.Process(target=subscriber_main, args=(plan, theirs), daemon=True)
    subscribers.start()
    fork = multiprocessing.get_context("fork")
    workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    loop = asyncio.get_running_loop()
    try:
        kind, *rest = await loop.run_in_executor(None, mine.recv)
        if kind != "ready":
            raise RuntimeError(f"subscribers: {rest}")
        print(f"{rest[0]} subscriber WebSockets connected", flush=True)
        procs = max(1, min(args.tablet_procs, len(world.tablets)))
        for k in range(procs):
            here, there = fork.Pipe()
            proc = fork.Process(target=tablets_main, daemon=True, args=(
                world.tablets[k::procs], len(world.tablets), args.push, url, world.hub, there))
            proc.start()
            workers.append((proc, here))
        for proc, pipe in workers:
            kind, *rest = await loop.run_in_executor(None, pipe.recv)
            if kind != "ready":
                raise RuntimeError(f"tablet worker {proc.pid}: {rest}")
        print(f"{len(world.tablets)} tablets connected ({args.push}) in {procs} worker "
              "processes", flush=True)
        start = time.monotonic_ns() + 500_000_000
        times = Window(start, start + int(args.warmup * 1e9),
                       start + int((args.warmup + args.duration) * 1e9))
        for _, pipe in workers:
            pipe.send(times)
        pids = {"hub": [hub_pid], "tablets": [p.pid or 0 for p, _ in workers],
                "subscribers": [subscribers.pid or 0]}
        cpu: dict[str, float] = {}
        with py_spy(args.profile, f"live-{args.engine}-{args.push}", hub_pid, args.warmup):
            await _cpu_in_window(pids, times.window, times.end, cpu)
            runs = []
            for proc, pipe in workers:
                kind, value = await loop.run_in_executor(None, pipe.recv)
                if kind != "done":
                    raise RuntimeError(f"tablet worker {proc.pid}: {value}")
                runs.append(value)
        await asyncio.sleep(args.drain)
        mine.send("stop")
        kind, got, errors = await loop.run_in_executor(None, mine.recv)
    finally:
        for proc, _ in workers:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
        subscribers.join(30)
        if subscribers.is_alive():
            subscribers.kill()
    run = Run.merge(runs)
    run.cpu = cpu
    per_push = run.pushed_entries / max(1, run.pushes)
    append_ms = run.append_s / max(1, len(run.written)) * 1000
    notes = (f"{len(world.tablets)} tablets in {len(workers)} processes, "
             f"{len(world.hospitals)} subscriber WebSockets; {run.pushes} pushes "
             f"({per_push:.2f} frames each); Node.append {append_ms:.2f} ms mean (cached); "
             f"{run.late_frames} frames written >100 ms late; "
             f"push errors {len(run.push_errors)} {run.push_errors[:2]}; "
             f"subscriber errors {errors}; CPU in the window, cores: "
             + ", ".join(f"{k} {v:.2f}" for k, v in run.cpu.items()))
    return measure(run, got, times.window, times.end, int(args.drain * 1e9), args.duration,
                   f"carechain hub ({args.engine}), push per {args.push}", notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000, help="monitored patients")
    parser.add_argument("--hospitals", type=int, default=None,
                        help="subscriber WebSockets, one per hospital (default: one per stream)")
    parser.add_argument("--tablet-procs", type=int, default=2,
                        help="worker processes the simulated tablets are spread over")
    parser.add_argument("--push", choices=("stream", "stream-unchecked", "frame", "coalesce"),
                        default="stream",
                        help="stream: the product's push-on-write WebSocket (StreamPusher); "
                             "stream-unchecked: the same messages, answers not checked; "
                             "frame/coalesce: a signed HTTP /push per frame or per burst")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds not counted")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds to wait for the window's last frames")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database", default=DEFAULT_PG)
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure pouchdb-server's change feed")
    parser.add_argument("--append-cost", action=argparse.BooleanOptionalAction, default=True,
                        help="also time Node.append on a tablet as its record grows")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record the hub with py-spy (bench/.peers/py) into this directory")
    args = parser.parse_args(argv)
    hospitals = args.hospitals or args.streams

    print(f"machine: {machine()}")
    work = scratch_dir("carechain-bench-live-")
    results: list[Result] = []
    try:
        trust = make_trust(work / "trust")
        start = time.perf_counter()
        hub_node = make_node(work / "hub", trust, role="hub", name="hub")
        [hub_entry] = [s.entry for s in hub_node.store.record(DIRECTORY_RECORD)]  # its cert
        hub_node.close()
        world = build_world(trust, args.streams, hospitals, hub_entry)
        print(f"{args.streams} tablets, {hospitals} hospitals ready "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
        schema = (pg_schema(args.database) if args.engine == "postgresql"
                  else contextlib.nullcontext(None))
        with schema as database, hub_process(work / "hub", database=database) as hub:
            after = introduce(hub.url, world, world.tablets[0].node)
            result = run_loop(carechain_run(world, hub.url, after, hub.pid, args))
        results.append(result)
        print("\n".join(result.lines()), flush=True)
        if args.peer:
            with pouchdb_process(work / "pouchdb") as server:
                result = asyncio.run(pouch_reference(
                    server.url, rate=float(args.streams), warmup=args.warmup,
                    duration=args.duration, drain=args.drain))
            results.append(result)
            print("\n".join(result.lines()), flush=True)
        if args.append_cost:
            print("crew tablet, Node.append of one vitals.frame without the cache "
                  "(SQLite on disk, synchronous=FULL):")
            for line in append_cost(trust, work):
                print(line, flush=True)
    finally:
        for t in getattr(locals().get("world"), "tablets", []):
            t.node.close()
        shutil.rmtree(work, ignore_errors=True)
    print()
    for r in results:
        d = r.delivered
        print(f"{r.name:60} p50 {d['p50']:7.1f}  p95 {d['p95']:7.1f}  p99 {d['p99']:7.1f}  "
              f"max {d['max']:8.1f} ms  {r.received / r.duration:6,.0f} frames/s")
    print(f"load average after: {load_average()}")
    print("target: p99 ≤ 50 ms for ≥1,000 concurrent streams at one frame a second")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
