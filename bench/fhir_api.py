"""The FHIR read API against sekmet-fhir: documents and Observation searches, resources/s
and latency, the same reads from the same client in the same run; and bulk export.

    .venv/bin/python bench/fhir_api.py [--records 40] [--requests 400] [--concurrency 4]
                                       [--rounds 3] [--profile DIR]

A crew documents `--records` records (the two demo cases in turn) addressed to a hospital,
which receives them. The hospital is then served by `carechain serve` in its own process,
and an ED clinician's API client reads from it. Every resource the hospital serves for
those records (`record_resources`, references `Type/id`) and each record's document
Bundle are loaded into sekmet-fhir first (PUT with the same ids, in one transaction per
record), served in its own process with a static bearer token.

Two workloads, each run against both servers from the same small HTTP/1.1 client
(`--concurrency` keep-alive connections, one request each at a time), after a warm-up, in
`--rounds` rounds that alternate which server goes first (other work on the machine moves
every figure; the summary is each server's median round, and p99 over every request):

- documents: `GET /fhir/Bundle/<document id>` of each record in turn;
- searches: `GET /fhir/Observation?patient=<id>&category=vital-signs&date=ge2000-01-01`
  (sekmet-fhir also gets `_count=1000`: it pages at 20, carechain answers every match).

Before timing, every distinct request is made once to both servers and the resources in
each answer counted: the two must agree (they are the same resources), and those counts
give resources/s. carechain writes one signed `record.view` audit entry per read;
sekmet-fhir writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    PEERS,
    HttpConnection,
    cpu_seconds,
    fmt_summary,
    hub_process,
    machine,
    scratch_dir,
    sekmet_process,
    summary_ms,
)
from bench.export_bulk import bulk_figures, print_bulk

from carechain.accounts import AccountStore
from carechain.demo import chest_pain_stemi, motorcyclist_femur
from carechain.exports.fhir import build_document, record_resources, resource_id
from carechain.exports.source import signers_of
from carechain.node import Node
from carechain.operations.door import open_accounts
from carechain.sync.policy import allow_for
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

SEKMET_TOKEN = "bench-static-token-for-sekmet"
PY_SPY = PEERS / "py" / "bin" / "py-spy"
SEARCH = "/fhir/Observation?patient={}&category=vital-signs&date=ge2000-01-01"


def _hospital(root: Path, count: int) -> tuple[Path, list[bytes]]:
    """Document `count` records on a crew node, addressed to a hospital that receives them;
    return the hospital's directory and the record ids (both nodes closed)."""
    trust = make_trust(root / "trust")
    crew = make_node(root / "crew", trust, role="crew", name="crew-bench")
    hospital = make_node(root / "hospital", trust, role="hospital", name="hospital-bench")
    for a, b in ((crew, hospital), (hospital, crew)):
        b.ingest([s.entry for s in a.store.record(DIRECTORY_RECORD)])
    base = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    records = []
    for i in range(count):
        case = (chest_pain_stemi, motorcyclist_femur)[i % 2]()
        record, _ = crew.open_record(user="P100234", data=case.opened)
        for kind, data in case.at(base):
            if kind == "disposition.recorded":
                data = {**data, "hospital_node": "hospital-bench"}
            crew.append(record=record, user="P100234", kind=kind, data=data)
        records.append(record)
    hospital.ingest([s.entry for s in crew.store.since(0, 10_000_000)],
                    allow=allow_for(hospital.store, "hospital", hospital.keys.box_key_id))
    crew.close()
    hospital.close()
    return root / "hospital", records


def _token(node_dir: Path) -> str:
    """Give the hospital an ED clinician and an API client acting as them; return its token."""
    node = Node.open(node_dir, "operator-secret")
    accounts: AccountStore = open_accounts(node_dir, node)
    now = node.clock_ms()
    accounts.create_person("ED4411", "Dr Jo Lee", "ed_clinician", "Wren-kettle-orbit-58",
                           node_role="hospital", now_ms=now)
    _, token = accounts.issue_client("fhir bench", role=None, staff_id="ED4411",
                                     expires_ms=now + 86_400_000, issued_by="bench", now_ms=now)
    accounts.close()
    node.close()
    return token


def _load_sekmet(url: str, node_dir: Path, records: list[bytes]) -> int:
    """PUT every resource of every record into sekmet-fhir; return how many."""
    node = Node.open(node_dir, "operator-secret")
    headers = {"Authorization": f"Bearer {SEKMET_TOKEN}", "Content-Type": "application/fhir+json"}
    loaded = 0
    with httpx.Client(base_url=f"{url}/fhir", headers=headers, timeout=120) as http:
        for record in records:
            state, signers = node.state(record), signers_of(node, record)
            resources = record_resources(state, signers=signers)
            bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
                {"resource": r, "request": {"method": "PUT",
                                            "url": f"{r['resourceType']}/{r['id']}"}}
                for r in resources]}
            r = http.post("", content=json.dumps(bundle))
            r.raise_for_status()
            document = build_document(state, signers=signers)
            http.put(f"Bundle/{document['id']}", content=json.dumps(document)).raise_for_status()
            loaded += len(resources) + 1
    node.close()
    return loaded


def _count(body: bytes) -> int:
    """Return the resources in an answer: a document's entries, a searchset's matches."""
    bundle = json.loads(body)
    if bundle.get("type") == "searchset":
        return sum(1 for e in bundle.get("entry", [])
                   if e.get("search", {}).get("mode", "match") == "match")
    return len(bundle.get("entry", []))


async def _drive(port: int, paths: list[str], headers: dict[str, str], concurrency: int
                 ) -> tuple[float, list[float], list[int]]:
    """Request every path (spread over `concurrency` connections); return the elapsed time,
    each latency and each status."""
    queue = list(reversed(paths))
    latencies: list[float] = []
    statuses: list[int] = []

    async def worker() -> None:
        conn = HttpConnection("127.0.0.1", port)
        try:
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                status, _ = await conn.request("GET", path, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses.append(status)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def _counts(port: int, paths: list[str], headers: dict[str, str]) -> dict[str, int]:
    async def run() -> dict[str, int]:
        conn = HttpConnection("127.0.0.1", port)
        out = {}
        try:
            for path in dict.fromkeys(paths):
                status, body = await conn.request("GET", path, headers=headers)
                if status != 200:
                    raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
                out[path] = _count(body)
        finally:
            await conn.close()
        return out

    return asyncio.run(run())


@contextlib.contextmanager
def _py_spy(out: Path | None, name: str, pid: int) -> Iterator[None]:
    """Sample a server with py-spy (bench/.peers/py) into `out`, if asked."""
    if out is None or not PY_SPY.exists():
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", "250",
                            "--format", "raw", "--output", str(out / f"{name}.txt"), "--gil",
                            "--nonblocking"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.0)  # let it attach
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(spy.pid, signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(spy.pid, signal.SIGKILL)


def _measure(name: str, served: Any, paths: list[str], headers: dict[str, str],
             counts: dict[str, int], concurrency: int,
             profile: Path | None = None) -> dict[str, Any]:
    """Warm up, then time `paths` against one server; print and return its figures."""
    port = int(served.url.rsplit(":", 1)[1])
    asyncio.run(_drive(port, paths[: max(20, len(paths) // 10)], headers, concurrency))
    with _py_spy(profile, name, served.pid):
        cpu = cpu_seconds(served.pid)
        elapsed, latencies, statuses = asyncio.run(_drive(port, paths, headers, concurrency))
        cpu = cpu_seconds(served.pid) - cpu
    bad = [s for s in statuses if s != 200]
    if bad:
        raise RuntimeError(f"{name}: {len(bad)} answers were not 200 (first {bad[0]})")
    resources = sum(counts[p] for p in paths)
    s = summary_ms(latencies)
    print(f"  {name:<10} {len(paths) / elapsed:7,.0f} requests/s  "
          f"{resources / elapsed:9,.0f} resources/s  server CPU {cpu / elapsed:.2f} cores  "
          f"{fmt_summary(s)}")
    return {"resources_s": resources / elapsed, "latencies": latencies}


def _summary(workload: str, runs: dict[str, list[dict[str, Any]]]) -> None:
    """Print each server's median resources/s over the rounds, p99 over every request."""
    med: dict[str, float] = {}
    p99: dict[str, float] = {}
    for name, figures in runs.items():
        med[name] = statistics.median(f["resources_s"] for f in figures)
        p99[name] = summary_ms([x for f in figures for x in f["latencies"]])["p99"]
    print(f"{workload}: median of {len(runs['carechain'])} rounds: carechain "
          f"{med['carechain']:,.0f} resources/s, sekmet-fhir {med['sekmet']:,.0f}: "
          f"{med['carechain'] / med['sekmet']:.2f}×; p99 {p99['carechain']:.1f} ms vs "
          f"{p99['sekmet']:.1f} ms")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--requests", type=int, default=400, help="per workload and server")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per workload, the two servers in turn")
    parser.add_argument("--profile", type=Path, default=None,
                        help="record carechain's server with py-spy into this directory")
    args = parser.parse_args()
    print(machine())
    root = scratch_dir("carechain-fhir-bench-")
    try:
        node_dir, records = _hospital(root, args.records)
        node = Node.open(node_dir, "operator-secret")
        print("bulk export (the hospital's records, in process):")
        print_bulk(bulk_figures(node, records, root / "bulk"))
        node.close()
        token = _token(node_dir)
        ours = {"Authorization": f"Bearer {token}"}
        theirs = {"Authorization": f"Bearer {SEKMET_TOKEN}"}
        docs = [f"/fhir/Bundle/{resource_id(r.hex(), 'document')}" for r in records]
        searches = [SEARCH.format(resource_id(r.hex(), "patient")) for r in records]
        docs = [docs[i % len(docs)] for i in range(args.requests)]
        searches = [searches[i % len(searches)] for i in range(args.requests)]
        paged = [p + "&_count=1000" for p in searches]
        with hub_process(node_dir) as carechain, \
                sekmet_process(root / "sekmet", token=SEKMET_TOKEN) as sekmet:
            started = time.perf_counter()
            loaded = _load_sekmet(sekmet.url, node_dir, records)
            print(f"loaded {loaded} resources into sekmet-fhir in "
                  f"{time.perf_counter() - started:.1f} s")
            port_c = int(carechain.url.rsplit(":", 1)[1])
            port_s = int(sekmet.url.rsplit(":", 1)[1])
            summaries: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for workload, ours_paths, their_paths in (("documents", docs, docs),
                                                      ("searches", searches, paged)):
                counts_c = _counts(port_c, ours_paths, ours)
                counts_s = _counts(port_s, their_paths, theirs)
                same = [counts_c[a] == counts_s[b] for a, b in zip(ours_paths, their_paths,
                                                                   strict=True)]
                if not all(same):
                    raise RuntimeError(f"{workload}: the servers answer different resources")
                per = sum(counts_c.values()) / len(counts_c)
                print(f"{workload}: {len(ours_paths)} requests, {per:.1f} resources each, "
                      f"{args.concurrency} connections")
                runs: dict[str, list[dict[str, Any]]] = {"carechain": [], "sekmet": []}
                for round_ in range(args.rounds):  # alternate: the machine's load moves
                    order = [("carechain", carechain, ours_paths, ours, counts_c),
                             ("sekmet", sekmet, their_paths, theirs, counts_s)]
                    for name, served, paths, headers, counts in order[:: 1 - 2 * (round_ % 2)]:
                        spy = args.profile / workload if args.profile and name == "carechain" \
                            else None
                        runs[name].append(_measure(name, served, paths, headers, counts,
                                                   args.concurrency, spy))
                summaries[workload] = runs
            for workload, runs in summaries.items():
                _summary(workload, runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
