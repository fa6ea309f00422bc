"""Staff ids do not travel in clear (issue 11, item 7): the header carries the acting
person's id sealed under the record's key, so a hub sees neither who treated whom nor
whether two entries were written by the same person; the record's readers still see it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.entries import open_user
from carechain.errors import Undecryptable
from carechain.node import NodeHome
from carechain.testing import Trust
from tests.sync.harness import Chain, standard_chain
from tests.sync.hostile import find_plaintext, start_node, stop_node

STAFF = ("QX-4471-PARAMEDIC", "QX-9902-TECHNICIAN")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as d:
        yield Path(d)


@pytest.fixture
def chain(home: Path, trust: Trust) -> Iterator[Chain]:
    c = standard_chain(home, trust)
    yield c
    c.close()


def test_the_hub_holds_no_staff_id_and_the_readers_see_each(chain: Chain, home: Path) -> None:
    crew = chain.nodes["crew-1"]
    record, _ = crew.open_record(user=STAFF[0], data={"callsign": "RRV-412"})
    for n, user in enumerate([STAFF[0], STAFF[1], STAFF[0]]):
        crew.append(record=record, user=user, kind="note.added", data={"text": f"note {n}"})
    crew.address_to(record=record, user=STAFF[1], node_name="hospital-a")
    for name in ("crew-1", "hospital-a", "vault", "crew-1"):
        chain.sync(name, "hub")

    # The readers: the fold, and so the history and the apps, show who wrote what.
    for name in ("crew-1", "hospital-a", "vault"):
        history = chain.nodes[name].state(record)["history"]
        mine = [h["user"] for h in history if h["kind"] != "receipt.recorded"]
        assert mine == [STAFF[0], STAFF[0], STAFF[0], STAFF[1], STAFF[0], STAFF[1]], name

    # The hub: headers that name nobody, and unlinkable to one another.
    hub = chain.nodes["hub"]
    stored = [s.entry for s in hub.store.record(record)]
    sealed = [e.header.sealed_user for e in stored]
    assert len(set(sealed)) == len(sealed)  # the same person, a different value each time
    assert len({len(u) for u in sealed if u}) == 1  # one padded length for short ids
    with pytest.raises(Undecryptable):
        open_user(stored[1], bytes(32))
    assert all(user.encode() not in e.signed for e in stored for user in STAFF)
    files = [p for p in (home / "hub").rglob("*") if p.is_file()]
    assert NodeHome(home / "hub").store_file in files
    assert find_plaintext(files, STAFF) == []
    stop_node(chain)  # and once the WAL is folded into the database file
    assert find_plaintext([p for p in (home / "hub").rglob("*") if p.is_file()], STAFF) == []
    start_node(chain, home)
