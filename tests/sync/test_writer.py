"""Group commit: pushes waiting together are stored in one transaction, each answered with
its own results, in the order each caller sent them; a failed commit reaches every push
that waited on it and nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carechain.entries import Entry
from carechain.errors import StoreError
from carechain.hub import TransparencyLog
from carechain.node import Node
from carechain.sync.service import SyncService
from carechain.sync.wire import PushAnswer
from carechain.sync.writer import GroupWriter
from carechain.testing import Trust, make_node
from carechain.transparency import leaf_hash, verify_range
from carechain.trust import DIRECTORY_RECORD, Certificate


@pytest.fixture
def hub(tmp_path: Path, trust: Trust) -> Iterator[tuple[Node, list[Node]]]:
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    crews = [make_node(tmp_path / f"crew-{i}", trust, name=f"crew-{i}") for i in range(3)]
    hub.ingest([s.entry for c in crews for s in c.store.record(DIRECTORY_RECORD)])
    yield hub, crews
    for n in (hub, *crews):
        n.close()


def _frames(crew: Node, count: int) -> list[Entry]:
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    for n in range(count):
        crew.append(record=record, user="P1", kind="vitals.frame",
                    data={"at": f"2026-11-26T09:00:{n % 60:02d}+00:00", "heart_rate": 90})
    return [s.entry for s in crew.store.record(record)]


def _cert(hub: Node, crew: Node) -> Certificate:
    return hub.directory.certs[crew.keys.key_id][0]


def test_waiting_pushes_share_a_commit_and_keep_each_callers_order(
        hub: tuple[Node, list[Node]]) -> None:
    node, crews = hub
    service = SyncService(node, TransparencyLog(node.store, node.keys, node.wall))
    writer = GroupWriter(service)
    logs = {c.info.name: _frames(c, 30) for c in crews}

    async def push_all() -> dict[str, list[PushAnswer]]:
        # Each crew sends its entries one at a time without waiting: a stream's pipeline.
        futures = {c.info.name: [writer.submit(_cert(node, c), [e]) for e in logs[c.info.name]]
                   for c in crews}
        return {name: list(await asyncio.gather(*fs)) for name, fs in futures.items()}

    try:
        answers = asyncio.run(push_all())
    finally:
        writer.close()
    pushes = sum(len(v) for v in logs.values())
    assert 1 <= writer.commits < pushes  # grouped: fewer transactions than pushes
    for name, entries in logs.items():
        got = answers[name]
        assert [a.results[0].id for a in got] == [e.id for e in entries]
        seqs = [a.results[0].seq for a in got]
        assert all(r.new and r.code is None for a in got for r in a.results)
        assert seqs == sorted(seqs)  # stored in the order this caller sent them
        for entry, answer in zip(entries, got, strict=True):
            head, proven = answer.head, answer.range
            assert head is not None and proven is not None
            verify_range(proven.first - 1, [leaf_hash(entry.id)], proven.left,
                         proven.consistency, head.size, head.root)
    assert node.store.count() == len(node.store.record(DIRECTORY_RECORD)) + pushes


def test_a_failed_commit_reaches_every_push_in_it_and_the_next_one_is_stored(
        hub: tuple[Node, list[Node]], monkeypatch: pytest.MonkeyPatch) -> None:
    node, crews = hub
    service = SyncService(node)
    writer = GroupWriter(service)
    entries = _frames(crews[0], 4)
    honest = service.push_many
    calls: list[int] = []

    def fail_once(batches: Any, signatures: Any = None) -> Any:
        calls.append(len(batches))
        if len(calls) == 1:
            raise StoreError("disk full")
        return honest(batches, signatures)

    monkeypatch.setattr(service, "push_many", fail_once)
    cert = _cert(node, crews[0])

    async def run() -> tuple[list[BaseException | PushAnswer], PushAnswer]:
        first = await asyncio.gather(*(writer.submit(cert, [e]) for e in entries[:3]),
                                     return_exceptions=True)
        return list(first), await writer.push(cert, entries)

    try:
        first, again = asyncio.run(run())
    finally:
        writer.close()
    failed = [r for r in first if isinstance(r, StoreError)]
    assert failed and len(failed) == calls[0]  # exactly the pushes of the failed commit
    assert all(r.code is None for r in again.results)
    assert all(node.store.get(e.id) is not None for e in entries)


def test_closing_answers_what_is_queued_and_refuses_more(hub: tuple[Node, list[Node]]) -> None:
    node, crews = hub
    writer = GroupWriter(SyncService(node))
    entries = _frames(crews[1], 3)
    cert = _cert(node, crews[1])

    async def run() -> PushAnswer:
        future = writer.submit(cert, entries)
        await asyncio.to_thread(writer.close)
        return await future

    answer = asyncio.run(run())
    assert [r.id for r in answer.results] == [e.id for e in entries]

    async def late() -> None:
        writer.submit(cert, entries)

    with pytest.raises(StoreError):
        asyncio.run(late())
