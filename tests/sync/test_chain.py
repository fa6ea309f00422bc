"""Records move crew → hub → hospital and vault, and crew → hospital when the hub is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.node.replication import replication
from carechain.store import Store
from carechain.testing import Trust
from tests.sync.harness import Chain, document_stemi, standard_chain


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    c = standard_chain(tmp_path, trust)
    yield c
    c.close()


def _ids(store: Store, record: bytes) -> set[bytes]:
    return {s.entry.id for s in store.record(record)}


def test_crew_hub_hospital_vault(chain: Chain) -> None:
    record = document_stemi(chain)
    crew = chain.nodes["crew-1"]
    assert replication(crew, record)["counts"]["hub"] == 0
    report = chain.sync("crew-1", "hub")
    assert report.pushed == len(crew.store.record(record))
    assert {e["state"] for e in replication(crew, record)["entries"]} == {"hub"}
    chain.sync("hospital-a", "hub")  # receives it, and signs a receipt
    chain.sync("vault", "hub")
    chain.sync("crew-1", "hub")  # the receipt comes back to the crew
    expected = _ids(crew.store, record)
    for name in ("hub", "hospital-a", "vault"):
        assert _ids(chain.nodes[name].store, record) == expected, name
    # The hospital and the vault read it; the hub cannot.
    want = crew.state(record)["sections"]["patient"]
    assert chain.nodes["hospital-a"].state(record)["sections"]["patient"] == want
    assert chain.nodes["vault"].state(record)["sections"]["patient"] == want
    from carechain.errors import Undecryptable

    with pytest.raises(Undecryptable):
        chain.nodes["hub"].state(record)
    # Every entry the crew wrote is at the hub (verified inclusion proof) and received by
    # the hospital (its signed receipt descends from it).
    status = replication(crew, record)
    received = [e for e in status["entries"] if e["state"] == "hospital"]
    assert {e["received_by"] for e in received} == {"hospital-a"}
    receipt = [
        s
        for s in crew.store.record(record)
        if s.entry.header.author == chain.nodes["hospital-a"].keys.key_id
    ]
    assert len(receipt) == 1
    assert status["counts"]["hospital"] == len(crew.store.record(record)) - 1


def test_a_second_sync_changes_nothing(chain: Chain) -> None:
    document_stemi(chain)
    chain.sync("crew-1", "hub")
    counts = {n: node.store.count() for n, node in chain.nodes.items()}
    again = chain.sync("crew-1", "hub")
    assert again.pushed == 0 and again.pulled == 0
    assert {n: node.store.count() for n, node in chain.nodes.items()} == counts


def test_hospital_receives_only_what_is_addressed_to_it(chain: Chain) -> None:
    mine = document_stemi(chain, hospital="hospital-a")
    chain.nodes["crew-1"].open_record(user="P1", data={"callsign": "not for the hospital"})
    chain.sync("crew-1", "hub")
    chain.sync("hospital-a", "hub")
    records = {r.record for r in chain.nodes["hospital-a"].store.records()}
    assert records == {bytes(16), mine}


def test_hub_gone_crew_hands_over_directly_and_all_converges(chain: Chain) -> None:
    record = document_stemi(chain)
    # No hub: the crew syncs straight with the hospital.
    chain.sync("crew-1", "hospital-a")
    crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
    assert _ids(crew.store, record) < _ids(hospital.store, record)  # plus its receipt
    hospital.append(
        record=record,
        user="ED1",
        kind="note.added",
        data={"text": "Received in resus; cath lab informed"},
    )
    chain.sync("crew-1", "hospital-a")
    assert _ids(crew.store, record) == _ids(hospital.store, record)
    # The hub returns: everything converges through it.
    for a in ("crew-1", "hospital-a", "vault", "crew-1"):
        chain.sync(a, "hub")
    ids = _ids(crew.store, record)
    for name in ("hub", "hospital-a", "vault"):
        assert _ids(chain.nodes[name].store, record) == ids
    assert chain.nodes["vault"].state(record)["items"]["notes"][-1]["text"].startswith("Received")
