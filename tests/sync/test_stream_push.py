"""Push-on-write over a real WebSocket: each entry reaches the hub as it is stored, every
answer is checked like a sync round's, and a hostile or garbled exchange changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from carechain.app import create_app
from carechain.entries import Entry
from carechain.entries.crypto import PARALLEL_FROM
from carechain.node import Node
from carechain.sync.auth import sign_request
from carechain.sync.client import sync_with
from carechain.sync.heads import HubMisbehaved
from carechain.sync.pusher import StreamPusher
from carechain.sync.service import SyncService
from carechain.sync.wire import PushAnswer, RangeProof, decode_message, encode_message
from carechain.testing import ServedApp, Trust, make_node
from carechain.trust import DIRECTORY_RECORD


@pytest.fixture
def nodes(tmp_path: Path, trust: Trust) -> Iterator[dict[str, Node]]:
    made = {
        "hub": make_node(tmp_path / "hub", trust, role="hub", name="hub"),
        "crew": make_node(tmp_path / "crew", trust, name="crew-1"),
    }
    yield made
    for n in made.values():
        n.close()


@pytest.fixture
def served(nodes: dict[str, Node]) -> Iterator[ServedApp]:
    app = ServedApp(create_app(nodes["hub"]))
    yield app
    app.stop()


def _record(crew: Node, frames: int) -> bytes:
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    for n in range(frames):
        crew.append(record=record, user="P1", kind="vitals.frame",
                    data={"at": f"2026-11-26T09:00:{n % 60:02d}+00:00", "heart_rate": 80 + n % 40})
    return record


async def _push_until(crew: Node, url: str, done: Callable[[], bool], *,
                      write: Callable[[], None] | None = None, window: int = 4,
                      timeout: float = 20.0) -> StreamPusher:
    pusher = StreamPusher(crew, url, window=window)
    stop = asyncio.Event()
    task = asyncio.create_task(pusher.run(stop))
    deadline = time.monotonic() + timeout
    while not pusher.connected and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if write is not None:
        await asyncio.to_thread(write)
    while not done() and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 10)  # re-raises what stopped the pusher, if anything did
    return pusher


def _held(node: Node, entries: list[Entry]) -> bool:
    return all(node.store.get(e.id) is not None for e in entries)


def _marked(node: Node) -> bool:
    return all(node.store.get_meta(f"at-hub:{e.hex}") is not None for e in _everything(node))


def _everything(node: Node) -> list[Entry]:
    return [s.entry for s in node.store.since(0, 10**6)]


def test_backlog_and_new_entries_reach_the_hub_with_checked_proofs(
        nodes: dict[str, Node], served: ServedApp) -> None:
    """A backlog of several pages goes out with several messages in flight; entries written
    while connected follow at once; each is marked held by the hub only after its proof
    checked, and the push cursor is where a sync round would leave it."""
    hub, crew = nodes["hub"], nodes["crew"]
    record = _record(crew, 1200)  # three pages of 500
    written: list[Entry] = []

    def write_more() -> None:
        for n in range(5):
            written.append(crew.append(record=record, user="P1", kind="vitals.frame",
                                       data={"at": f"2026-11-26T10:00:0{n}+00:00",
                                             "heart_rate": 120}).entry)

    pusher = asyncio.run(_push_until(crew, served.url, lambda: len(written) == 5
                                     and _marked(crew), write=write_more, window=2))
    mine = _everything(crew)
    assert _held(hub, mine)
    assert pusher.pushed == len([e for e in mine if e.header.record != DIRECTORY_RECORD])
    for entry in mine:
        mark = crew.store.get_meta(f"at-hub:{entry.hex}")
        assert mark is not None and decode_message(mark)["hub"] == "hub"
    cursor = int(crew.store.get_meta(f"push:{hub.keys.key_id.hex()}") or b"0")
    assert cursor == crew.store.count()
    # A sync round afterwards has nothing left to push, and the hub's head was accepted.
    with httpx.Client(base_url=served.url) as http:
        assert sync_with(crew, http).pushed == 0
    assert hub.store.count() == len({e.id for e in _everything(hub)})  # nothing twice


def test_a_forged_range_proof_is_named_and_nothing_is_marked_held(
        nodes: dict[str, Node], served: ServedApp, monkeypatch: pytest.MonkeyPatch) -> None:
    hub, crew = nodes["hub"], nodes["crew"]
    with httpx.Client(base_url=served.url) as http:
        sync_with(crew, http)  # an accepted head first, so the hub's log has a left side
    record = _record(crew, 3)
    service: SyncService = served.server.config.app.state.sync  # type: ignore[attr-defined]
    honest = service.push_many

    def forge(batches: list[Any], signatures: Any = None) -> list[PushAnswer]:
        answers = honest(batches, signatures)
        out = []
        for a in answers:
            r = a.range
            assert r is not None and r.left
            bad = RangeProof(r.first, [bytes(32), *r.left[1:]], r.consistency)
            out.append(PushAnswer(a.results, a.head, bad))
        return out

    monkeypatch.setattr(service, "push_many", forge)
    with pytest.raises(HubMisbehaved) as raised:
        asyncio.run(_push_until(crew, served.url, lambda: False, timeout=10))
    assert raised.value.extra == {"hub": "hub", "kind": "bad-inclusion-proof"}
    for s in crew.store.record(record):
        assert hub.store.get(s.entry.id) is not None  # the hub holds them; it lied about where
        assert crew.store.get_meta(f"at-hub:{s.entry.hex}") is None


def _signed(crew: Node, query: str) -> dict[str, str]:
    return sign_request(crew.keys, "GET", "/sync/v1/stream", query, b"", crew.clock_ms())


def test_garbled_messages_are_answered_in_order_and_change_nothing(
        nodes: dict[str, Node], served: ServedApp) -> None:
    hub, crew = nodes["hub"], nodes["crew"]
    with httpx.Client(base_url=served.url) as http:
        sync_with(crew, http)
    record = _record(crew, 2)
    entries = [s.entry for s in crew.store.record(record)]
    before = hub.store.count()
    uri = served.url.replace("http://", "ws://") + "/sync/v1/stream?known=0"

    async def talk() -> list[dict[str, Any]]:
        async with connect(uri, additional_headers=_signed(crew, "known=0")) as ws:
            for message in (b"\xff\x00not cbor",
                            encode_message({"entries": [e.to_wire() for e in entries]}),
                            encode_message({"n": 2, "entries": "nope"}),
                            encode_message({"n": 3, "entries": [b"\x82\x40\x40"]})):
                await ws.send(message)
            return [decode_message(await ws.recv(), strict=False) for _ in range(4)]

    answers = asyncio.run(talk())
    assert [a["n"] for a in answers] == [None, None, 2, 3]
    assert [a["error"]["type"] for a in answers[:3]] == [
        "bad-encoding", "field-invalid", "field-invalid"]
    assert answers[1]["error"]["field"] == "n"
    assert answers[2]["error"]["field"] == "entries"
    [[_, _, new, code, _]] = answers[3]["results"]  # answered per entry: refused
    assert (new, code) == (False, "bad-encoding")
    assert hub.store.count() == before


def test_messages_are_stored_in_the_order_sent_whatever_their_size(
        nodes: dict[str, Node], served: ServedApp) -> None:
    """A large batch is verified ahead on the verification threads while the next messages
    are read; a small one sent right behind it is still stored after it."""
    hub, crew = nodes["hub"], nodes["crew"]
    with httpx.Client(base_url=served.url) as http:
        sync_with(crew, http)
    entries = [s.entry for s in crew.store.record(_record(crew, PARALLEL_FROM + 20))]
    big, small = entries[:-3], entries[-3:]
    assert len(big) >= PARALLEL_FROM
    uri = served.url.replace("http://", "ws://") + "/sync/v1/stream?known=0"

    async def talk() -> list[dict[str, Any]]:
        async with connect(uri, additional_headers=_signed(crew, "known=0")) as ws:
            messages = [big, *([e] for e in small)]
            for n, batch in enumerate(messages, 1):
                await ws.send(encode_message({"n": n, "entries": [e.to_wire() for e in batch]}))
            return [decode_message(await ws.recv(), strict=False) for _ in messages]

    answers = asyncio.run(talk())
    assert [a["n"] for a in answers] == [1, 2, 3, 4]
    seqs = [r[1] for a in answers for r in a["results"]]
    assert all(r[2] for a in answers for r in a["results"])  # each newly stored
    assert seqs == list(range(seqs[0], seqs[0] + len(entries)))  # in the order sent
    assert [s.entry.id for s in hub.store.since(seqs[0] - 1, len(entries))] == [
        e.id for e in entries]


@pytest.mark.parametrize("how", ["unsigned", "bad-signature", "negative-known"])
def test_a_stream_needs_a_signed_certified_caller(
        nodes: dict[str, Node], served: ServedApp, how: str) -> None:
    crew = nodes["crew"]
    query = "known=-1" if how == "negative-known" else "known=0"
    headers = {} if how == "unsigned" else _signed(crew, query)
    if how == "bad-signature":
        headers["Carechain-Signature"] = "00" * 64
    uri = served.url.replace("http://", "ws://") + f"/sync/v1/stream?{query}"

    async def attempt() -> None:
        async with connect(uri, additional_headers=headers) as ws:
            await ws.recv()

    with pytest.raises((InvalidStatus, Exception)) as raised:
        asyncio.run(attempt())
    assert "1008" in str(raised.value) or isinstance(raised.value, InvalidStatus)
