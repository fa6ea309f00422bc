"""Several hub processes appending to one PostgreSQL log: does throughput hold as they are added?

    .venv/bin/python bench/pg_writers.py [--processes 1,2,4] [--batches 1,50,500]
                                         [--seconds 6] [--database postgresql://…]

For each batch size and each number of processes, a fresh schema; each process opens its
own `PostgresStore` on it (as a hub process does), makes its entries beforehand (signed
notes of 50-entry records, untimed), waits at a barrier, then appends them in batches of
the given size for `--seconds`, each append one durable transaction (the hub's group
commit hands the store one batch per commit: batch 1 is a hub taking one push at a time,
500 is the pull-sized batch a busy hub commits). Printed: entries a second over all
processes, commits a second, and what the backends of the run were waiting on, sampled
every 5 ms from `pg_stat_activity` (the append lock shows as `Lock:advisory`, the commit's
disk flush as `IO:WALSync` or `LWLock:WALWrite`). At the end the log is checked: numbered
1 … n with no gap. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import threading
import time

import psycopg

from _harness import DEFAULT_PG, pg_schema
from carechain.entries import HLC, Draft, Entry, crypto, make_encrypted, make_grant, new_record_id
from carechain.store.postgres import PostgresStore
from carechain.trust import NodeKeys

RECORD = 50


def _entries(n: int) -> list[Entry]:
    """Return n signed entries: records of a grant and RECORD - 1 notes."""
    keys = NodeKeys.generate()
    out: list[Entry] = []
    while len(out) < n:
        record, key = new_record_id(), crypto.random_bytes(32)
        last = make_grant(Draft(record, "grant", "P1", HLC(1000), (), ()), keys, key,
                          {keys.box_key_id: keys.box_public})
        out.append(last)
        for i in range(RECORD - 1):
            draft = Draft(record, "clinical", "P1", HLC(2000 + i), (last.id,),
                          (keys.box_key_id,))
            last = make_encrypted(draft, keys, key, {"kind": "note.added", "v": 1,
                                                     "data": {"text": f"obs {i}"}})
            out.append(last)
    return out[:n]


def _writer(url: str, batch: int, seconds: float, count: int, start: mp.Barrier,  # type: ignore[name-defined]
            done: mp.Queue) -> None:  # type: ignore[type-arg]
    entries = _entries(count)
    store = PostgresStore(url)
    start.wait()
    began = time.perf_counter()
    stored = commits = 0
    while time.perf_counter() - began < seconds and stored + batch <= len(entries):
        store.append(entries[stored:stored + batch])
        stored += batch
        commits += 1
    done.put((stored, commits, time.perf_counter() - began))
    store.close()


APP = "carechain_bench_writers"


def _sample(url: str, stop: threading.Event, waits: collections.Counter[str]) -> None:
    """Count what each writer's backend is doing, every 5 ms."""
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            for state, kind, event in conn.execute(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                "WHERE application_name = %s",
                (APP,),
            ):
                if state == "active":
                    waits[f"{kind}:{event}" if kind else "server working"] += 1
                elif state == "idle in transaction":
                    waits["client, inside an append"] += 1
                else:
                    waits["client, between appends"] += 1
            time.sleep(0.005)


def run(base: str, processes: int, batch: int, seconds: float) -> dict[str, object]:
    """Run one configuration; return its figures."""
    # Entries to write, made beforehand: capped so that making them stays short on 2 cores
    # (a writer that runs out stops early, and the table says so).
    count = min(30_000 // processes, max(batch * 20, int(300 * seconds * batch**0.5)))
    count -= count % batch
    with pg_schema(base) as schema_url:
        url = f"{schema_url}&application_name={APP}"
        PostgresStore(url).close()  # migrate once, outside the timed part
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(processes + 1)
        done: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        procs = [ctx.Process(target=_writer, args=(url, batch, seconds, count, start, done))
                 for _ in range(processes)]
        for p in procs:
            p.start()
        start.wait(timeout=600)
        waits: collections.Counter[str] = collections.Counter()
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(url, stop, waits), daemon=True)
        sampler.start()
        began = time.perf_counter()
        results = [done.get(timeout=seconds + 120) for _ in procs]
        wall = time.perf_counter() - began
        stop.set()
        sampler.join(5)
        for p in procs:
            p.join(30)
        with psycopg.connect(schema_url) as conn:
            row = conn.execute("SELECT count(*), min(seq), max(seq) FROM entries").fetchone()
        assert row is not None
        n, low, high = row
        dense = n == 0 or (low == 1 and high == n)
    stored = sum(r[0] for r in results)
    commits = sum(r[1] for r in results)
    total = sum(waits.values()) or 1
    return {
        "processes": processes,
        "batch": batch,
        "entries_s": stored / wall,
        "commits_s": commits / wall,
        "dense": dense,
        "ran_out": any(r[0] >= count for r in results),
        "waits": {k: round(100 * v / total) for k, v in waits.most_common(5)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--batches", default="1,50,500")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--database", default=DEFAULT_PG)
    args = parser.parse_args()
    print(f"{'batch':>6} {'procs':>5} {'entries/s':>10} {'commits/s':>10} dense  "
          "what the writers' backends were doing (% of samples)")
    for batch in (int(b) for b in args.batches.split(",")):
        for processes in (int(p) for p in args.processes.split(",")):
            r = run(args.database, processes, batch, args.seconds)
            waits = ", ".join(f"{k} {v}%" for k, v in r["waits"].items())  # type: ignore[attr-defined]
            print(f"{batch:>6} {processes:>5} {r['entries_s']:>10.0f} {r['commits_s']:>10.0f} "
                  f"{'yes' if r['dense'] else 'NO':>5}  {waits}"
                  f"{'  (a writer ran out of entries)' if r['ran_out'] else ''}", flush=True)


if __name__ == "__main__":
    main()
