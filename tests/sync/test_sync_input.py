"""Malformed, oversized and hostile sync requests get 4xx problem details and change nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carechain.entries import canonical
from carechain.errors import PROBLEM_BASE
from carechain.sync.auth import sign_request
from carechain.sync.client import PeerClient, sync_with
from carechain.sync.wire import CBOR, MAX_BATCH, MAX_SYNC_BYTES, PushResult, encode_message
from carechain.testing import Trust
from tests.entries.hostile_cbor import SELF_REFERENCE, shared_dag
from tests.sync.harness import Chain


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    c = Chain()
    c.add(tmp_path, trust, "hub", "hub")
    c.add(tmp_path, trust, "crew-1", "crew")
    c.sync("crew-1", "hub")
    yield c
    c.close()


def _signed_post(chain: Chain, path: str, body: bytes) -> tuple[TestClient, dict[str, str]]:
    crew = chain.nodes["crew-1"]
    headers = sign_request(crew.keys, "POST", path, "", body, crew.clock_ms())
    return chain.clients["hub"], {**headers, "Content-Type": CBOR}


CASES = [
    ("not cbor", b"\xff\x00garbage", 422, "bad-encoding"),
    ("not a map", canonical.encode([1, 2]), 400, "malformed-entry"),
    ("wrong version", canonical.encode({"v": 9, "entries": []}), 422, "field-invalid"),
    ("entries not a list", encode_message({"entries": 3}), 422, "field-invalid"),
    (
        "too many entries",
        encode_message({"entries": [b"x"] * (MAX_BATCH + 1)}),
        422,
        "field-invalid",
    ),
    ("bad heads", encode_message({"entries": [], "heads": [b"short"]}), 422, "field-invalid"),
]


@pytest.mark.parametrize(("name", "body", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_malformed_push_is_refused(
    chain: Chain, name: str, body: bytes, status: int, code: str
) -> None:
    before = chain.nodes["hub"].store.count()
    client, headers = _signed_post(chain, "/sync/v1/push", body)
    r = client.post("/sync/v1/push", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == PROBLEM_BASE + code
    assert chain.nodes["hub"].store.count() == before


def test_garbage_entries_are_answered_one_by_one_and_not_stored(chain: Chain) -> None:
    crew = chain.nodes["crew-1"]
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    good = [s.entry.to_wire() for s in crew.store.record(record)]
    flipped = bytearray(good[1])
    flipped[-5] ^= 1
    answer = PeerClient(crew, chain.clients["hub"]).call(
        "POST", "/sync/v1/push", body={"entries": [good[0], b"nonsense", bytes(flipped)]}
    )
    codes = [PushResult.from_wire(r).code for r in answer["results"]]
    assert codes[0] is None and codes[1] == "bad-encoding" and codes[2] == "bad-signature"
    hub = chain.nodes["hub"]
    assert hub.store.get(crew.store.record(record)[1].entry.id) is None


def test_unsigned_forged_and_stale_requests_are_refused(chain: Chain) -> None:
    hub = chain.clients["hub"]
    crew = chain.nodes["crew-1"]
    body = encode_message({"entries": []})
    r = hub.post("/sync/v1/push", content=body, headers={"Content-Type": CBOR})
    assert r.status_code == 401 and r.json()["type"] == PROBLEM_BASE + "not-authenticated"
    headers = sign_request(crew.keys, "POST", "/sync/v1/push", "", body, crew.clock_ms())
    r = hub.post(
        "/sync/v1/push",
        content=encode_message({"entries": [b"x"]}),
        headers={**headers, "Content-Type": CBOR},
    )
    assert r.status_code == 401  # signature over another body
    stale = sign_request(
        crew.keys, "POST", "/sync/v1/push", "", body, crew.clock_ms() - 10 * 60 * 1000
    )
    r = hub.post("/sync/v1/push", content=body, headers={**stale, "Content-Type": CBOR})
    assert r.status_code == 401
    r = hub.get("/sync/v1/pull", params={"after": 0})
    assert r.status_code == 401


def test_oversized_push_is_refused_before_it_is_read(chain: Chain) -> None:
    client, headers = _signed_post(chain, "/sync/v1/push", b"")
    r = client.post(
        "/sync/v1/push",
        content=b"\0" * 16,
        headers={**headers, "Content-Length": str(MAX_SYNC_BYTES + 1)},
    )
    assert r.status_code == 413
    assert r.json()["type"] == PROBLEM_BASE + "body-too-large"


def test_bad_pull_parameters(chain: Chain) -> None:
    peer = PeerClient(chain.nodes["crew-1"], chain.clients["hub"])
    from carechain.sync.client import PeerRefused

    for params in ({"after": -1}, {"limit": 0}, {"limit": 5000}, {"after": "x"}):
        with pytest.raises(PeerRefused) as info:
            peer.call("GET", "/sync/v1/pull", params)
        assert info.value.extra["status"] == 422
    with pytest.raises(PeerRefused):
        peer.call("GET", "/sync/v1/consistency", {"first": 5, "second": 2})


def test_directory_door_takes_only_root_signed_entries(chain: Chain) -> None:
    crew = chain.nodes["crew-1"]
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    wire = crew.store.record(record)[0].entry.to_wire()
    r = chain.clients["hub"].post(
        "/sync/v1/directory",
        content=encode_message({"entries": [wire]}),
        headers={"Content-Type": CBOR},
    )
    assert r.status_code == 422
    assert chain.nodes["hub"].store.get(crew.store.record(record)[0].entry.id) is None
    assert sync_with(crew, chain.clients["hub"]).pushed == 2


# --- what the attack found (issue 11, items 3 and 4) -------------------------------------

SELF_REFERENCING = bytes.fromhex("a261760167656e7472696573") + SELF_REFERENCE


def test_a_self_referencing_list_to_the_directory_door_is_a_problem_not_a_500(
    chain: Chain,
) -> None:
    r = chain.clients["hub"].post(
        "/sync/v1/directory", content=SELF_REFERENCING, headers={"Content-Type": CBOR}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == PROBLEM_BASE + "bad-encoding"
    assert "tag 28" in r.json()["detail"]


def test_a_self_referencing_list_in_a_signed_push_is_a_problem_not_a_500(chain: Chain) -> None:
    before = chain.nodes["hub"].store.count()
    client, headers = _signed_post(chain, "/sync/v1/push", SELF_REFERENCING)
    r = client.post("/sync/v1/push", content=SELF_REFERENCING, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PROBLEM_BASE + "bad-encoding"
    assert chain.nodes["hub"].store.count() == before


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/sync/v1/pull", {"after": "99999999999999999999999"}, "after"),
        ("/sync/v1/pull", {"after": str(2**63)}, "after"),
        ("/sync/v1/consistency", {"first": "1", "second": "99999999999999999999999"}, "second"),
        ("/sync/v1/consistency", {"first": str(2**64), "second": "1"}, "first"),
    ],
)
def test_a_cursor_past_any_log_is_a_field_problem_not_a_500(
    chain: Chain, path: str, params: dict[str, str], field: str
) -> None:
    crew = chain.nodes["crew-1"]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    headers = sign_request(crew.keys, "GET", path, query, b"", crew.clock_ms())
    r = chain.clients["hub"].get(f"{path}?{query}", headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PROBLEM_BASE + "field-invalid"
    assert r.json()["field"].split(".")[-1] == field


def test_the_shared_reference_bomb_is_refused_at_once(chain: Chain) -> None:
    """137 bytes of nested tags 28/29 to the unauthenticated door stalled a node for
    seconds (each level of nesting doubling it): now refused before any decoding."""
    bomb = shared_dag(22)
    started = time.process_time()
    r = chain.clients["hub"].post(
        "/sync/v1/directory", content=bomb, headers={"Content-Type": CBOR}
    )
    assert r.status_code == 422 and r.json()["type"] == PROBLEM_BASE + "bad-encoding"
    assert time.process_time() - started < 1.0
