"""Every decoder that takes bytes or values from the network, fuzzed (issue 11: "property-
based fuzzing of every decoder that takes bytes from the network ... including nested
tags and shared references").

Each gets arbitrary bytes, hostile CBOR (tags, shared references, floats, deep nesting),
maps shaped like its message with any values, and real messages with a byte changed.
Whatever it is given, it answers or refuses with a `CarechainError` (which the routes turn
into a 4xx problem, a stream into an error message, a sync round into a refusal or an
alert): never another exception, and within a bounded time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cbor2
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carechain.entries import decode_entry
from carechain.entries.canonical import encode_pair
from carechain.errors import CarechainError
from carechain.sync.client import (
    Outgoing,
    PeerClient,
    SyncReport,
    check_push_answer,
    delivery_of,
    learn_peer,
)
from carechain.sync.follow import _Following
from carechain.sync.heads import HeadKeeper
from carechain.sync.stream import _read
from carechain.sync.wire import (
    PushResult,
    RangeProof,
    decode_entries,
    decode_head,
    decode_heads,
    decode_message,
    encode_message,
    page_entries,
    page_next,
)
from carechain.testing import Trust
from carechain.transparency import log_id_from_key
from tests.entries.hostile_cbor import SELF_REFERENCE, hostile_values, shared_dag
from tests.sync.harness import Chain

BOUND_S = 0.5  # the most one decoder call may take, whatever it is given
FIELDS = ("v", "n", "entries", "heads", "head", "next", "more", "known", "results", "range",
          "consistency", "notes", "error", "key", "name", "directory", "first", "left",
          "proof", "stored", "refused")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from carechain.testing import make_trust

    path: Path = tmp_path_factory.mktemp("fuzz")
    trust: Trust = make_trust(path / "trust")
    c = Chain()
    c.add(path, trust, "hub", "hub")
    c.add(path, trust, "crew-1", "crew")
    c.add(path, trust, "hospital-a", "hospital")
    for name in ("hospital-a", "crew-1", "hospital-a"):
        c.sync(name, "hub")
    record, _ = c.nodes["crew-1"].open_record(user="P1", data={"callsign": "RRV-1"})
    c.nodes["crew-1"].address_to(record=record, user="P1", node_name="hospital-a")
    c.sync("crew-1", "hub")
    yield c
    c.close()


def _valid(chain: Chain) -> list[bytes]:
    """Real messages of every kind, for mutating."""
    crew, hub = chain.nodes["crew-1"], chain.nodes["hub"]
    wires = [s.entry.to_wire() for s in crew.store.since(0, 100)]
    service = chain.clients["hub"].app.state.sync  # type: ignore[attr-defined]
    page = service.pull(max(hub.directory.certs[crew.keys.key_id], key=lambda c: c.exp), 0,
                        50, True)
    head = service.head()
    from carechain.sync.wire import encode_head

    return [
        *wires,
        encode_message({"entries": wires}),
        encode_message({"n": 1, "entries": wires, "known": 3}),
        encode_message({"entries": [[s, w, p] for s, w, p in page.entries], "next": page.next,
                        "more": False, "head": encode_head(head), "consistency": []}),
        encode_message({"results": [[wires[0][:32], 1, True]], "head": encode_head(head),
                        "range": {"first": 1, "left": [], "consistency": []}}),
    ]


def _mutated(valid: list[bytes]) -> st.SearchStrategy[bytes]:
    def mutate(args: tuple[int, int, int, int]) -> bytes:
        which, at, byte, how = args
        data = valid[which % len(valid)]
        at %= len(data)
        if how == 0:
            return data[:at] + bytes([byte]) + data[at + 1 :]
        if how == 1:
            return data[:at] + bytes([byte]) + data[at:]
        if how == 2:
            return data[:at]
        return data[:at] + SELF_REFERENCE + data[at:]

    return st.tuples(st.integers(0, 100), st.integers(0, 10**6), st.integers(0, 255),
                     st.integers(0, 3)).map(mutate)


def _encoded(value: Any, sharing: bool) -> bytes:
    try:
        return bytes(cbor2.dumps(value, value_sharing=sharing))
    except Exception:
        return b"\xff"


_hostile_bytes = (
    st.binary(max_size=600)
    | st.builds(_encoded, hostile_values, st.booleans())
    | st.integers(1, 40).map(shared_dag)
    | st.builds(lambda fields, sharing: _encoded(fields, sharing),
                st.dictionaries(st.sampled_from(FIELDS), hostile_values, max_size=6),
                st.booleans())
)
_shaped = st.dictionaries(st.sampled_from(FIELDS), hostile_values, max_size=6)


def _bounded(call: Callable[[], object]) -> None:
    started = time.process_time()
    with contextlib.suppress(CarechainError):
        call()
    assert time.process_time() - started < BOUND_S


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.data())
def test_byte_decoders(chain: Chain, data: st.DataObject) -> None:
    """Entries, sync messages (strict and stream), stream frames, heads."""
    raw = data.draw(_hostile_bytes | _mutated(_valid(chain)))
    _bounded(lambda: decode_entry(raw))
    _bounded(lambda: decode_message(raw))
    _bounded(lambda: decode_message(raw, strict=False))
    _, items, _ = _read(raw)  # a stream frame: never raises, says why instead
    assert isinstance(items, CarechainError | list)
    _bounded(lambda: decode_head(raw))


@FUZZ
@given(message=_shaped, value=hostile_values)
def test_message_field_readers(chain: Chain, message: dict[str, Any], value: Any) -> None:
    """What reads the fields of a decoded message: pages, live messages, push answers,
    results, range proofs, gossiped heads, a peer's /info."""
    hub, hospital = chain.nodes["hub"], chain.nodes["hospital-a"]
    cert = max(hospital.directory.certs[hub.keys.key_id], key=lambda c: c.exp)
    peer = PeerClient(hospital, chain.clients["hub"])
    _bounded(lambda: decode_entries(value))
    _bounded(lambda: page_entries(message))
    _bounded(lambda: page_next(message))
    _bounded(lambda: PushResult.from_wire(value))
    _bounded(lambda: RangeProof.from_wire(value))
    _bounded(lambda: decode_heads(value))
    _bounded(lambda: delivery_of(peer, cert, message))
    _bounded(lambda: learn_peer(hospital, message))


@FUZZ
@given(data=st.data())
def test_a_followers_live_messages(chain: Chain, data: st.DataObject) -> None:
    """A live message from a hub, however hostile: refused with an error or an alert,
    nothing stored that does not verify, the cursor not moved past anything refused."""
    hub, hospital = chain.nodes["hub"], chain.nodes["hospital-a"]
    cert = max(hospital.directory.certs[hub.keys.key_id], key=lambda c: c.exp)
    keeper = HeadKeeper(hospital.store, hospital.directory)
    raw = data.draw(_hostile_bytes | _mutated(_valid(chain))
                    | st.builds(lambda m: encode_message(m), _shaped.map(_canonical_safe)))
    with httpx.Client(transport=chain.clients["hub"]._transport,  # type: ignore[attr-defined]
                      base_url="http://hub") as http:
        state = _Following(hospital, PeerClient(hospital, http), cert, keeper, 0)
        count = hospital.store.count()
        _bounded(lambda: state.take(raw))
    assert hospital.store.count() >= count
    for log_id in keeper.blocked_logs():
        keeper.clear(log_id)  # so the next example is judged afresh
    keeper.forget(log_id_from_key(hub.keys.sign_public))


def _canonical_safe(message: dict[str, Any]) -> dict[str, Any]:
    """Keep only what the deterministic encoder takes (no tags, floats or odd keys)."""
    def ok(value: Any) -> bool:
        if value is None or isinstance(value, bool | int | bytes | str):
            return not isinstance(value, int) or -(2**63) <= value < 2**64
        if isinstance(value, list):
            return all(ok(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and ok(v) for k, v in value.items())
        return False

    return {k: v for k, v in message.items() if ok(v)}


@FUZZ
@given(answer=_shaped)
def test_a_pushers_answers(chain: Chain, answer: dict[str, Any]) -> None:
    """A hub's answer to a push, however hostile: refused, or an alert; never taken on
    trust (no entry marked held by the hub on its strength)."""
    hub, crew = chain.nodes["hub"], chain.nodes["crew-1"]
    cert = max(crew.directory.certs[hub.keys.key_id], key=lambda c: c.exp)
    keeper = HeadKeeper(crew.store, crew.directory)
    rows = crew.store.raw_since(0, 3)
    sending = [Outgoing(r.seq, r.id, encode_pair(r.signed, r.signature)) for r in rows]
    marks: list[tuple[str, bytes]] = []
    report = SyncReport()
    _bounded(lambda: check_push_answer(crew, lambda a, b: [], cert, keeper, report, sending,
                                       answer, marks))
    assert not [k for k, _ in marks if k.startswith("at-hub:")] or "results" in answer
    for log_id in keeper.blocked_logs():
        keeper.clear(log_id)
