"""Every way a node receives entries applies the same checks and alerts (issue 11, items 1
and 2), shown with a hospital that is the record's only recipient besides its crew, so
nobody else would notice for it.

- an entry altered in the hub's store, followed `--live`: named in an alert, nothing of it
  stored, the cursor left before it, and the next round refused (the issue found no alert,
  the cursor moved on, and later rounds pulled nothing);
- an entry a hub leaves out is asked for by id: stored when the hub produces it with its
  proof, named (`entry-withheld`) when it cannot;
- the newest entry dropped from the hub's log is noticed by the hospital, once it has met
  the crew, on the live path too;
- a hub pushes nothing, so all it gives a node comes with proofs.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from carechain.entries import Entry, decode_entry
from carechain.node import Node, NodeHome
from carechain.node.verify import verify_node
from carechain.sync.auth import sign_request
from carechain.sync.client import PeerClient, PeerRefused, sync_with
from carechain.sync.heads import HubMisbehaved
from carechain.sync.wire import encode_message
from carechain.testing import Trust
from tests.sync.harness import Chain, document_stemi
from tests.sync.hostile import HubDb, TamperedAnswers, alerts, restart_node
from tests.sync.paths import follow_until, served


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="carechain-paths-") as d:
        yield Path(d)


@pytest.fixture
def chain(home: Path, trust: Trust) -> Iterator[Chain]:
    """A hub, a crew and a hospital, introduced; no vault, so the hospital is the only
    node besides the crew that a record addressed to it reaches."""
    c = Chain()
    c.add(home, trust, "hub", "hub")
    c.add(home, trust, "crew-1", "crew")
    c.add(home, trust, "hospital-a", "hospital")
    for name in ("hospital-a", "crew-1", "hospital-a"):
        c.sync(name, "hub")
    yield c
    c.close()


def _record(chain: Chain) -> tuple[bytes, list[Entry]]:
    record = document_stemi(chain)
    crew, hospital = chain.nodes["crew-1"], chain.nodes["hospital-a"]
    assert crew.recipients(record) == {crew.keys.box_key_id, hospital.keys.box_key_id}
    chain.sync("crew-1", "hub")
    return record, [s.entry for s in crew.store.record(record)]


def _db(home: Path, name: str = "hub") -> HubDb:
    return HubDb(NodeHome(home / name).store_file)


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def _cursor(node: Node, peer: Node) -> int:
    return int(node.store.get_meta(f"pull:{peer.keys.key_id.hex()}") or b"0")


# --- item 1: the live path checks, alerts, and holds its cursor --------------------------


@pytest.mark.parametrize("fix_id", [False, True], ids=["id-column-kept", "id-column-rewritten"])
def test_an_entry_altered_at_the_hub_is_named_on_the_live_path(
    chain: Chain, home: Path, fix_id: bool
) -> None:
    """The issue's reproduction: with the hospital stopped, the crew writes a record
    addressed to it; one byte near the end of the record's first clinical entry is altered
    in the hub's store and the hub restarted; the hospital then follows the hub live."""
    record, entries = _record(chain)
    victim = next(e for e in entries if e.header.cls == "clinical")
    with _db(home) as db:
        seq = db.row(victim.id).seq
        altered = db.set_signed(victim.id, _flip(victim.signed, len(victim.signed) - 8),
                                fix_id=fix_id)
    hub = restart_node(chain, home)
    hospital = chain.nodes["hospital-a"]
    with served(hub) as app:
        failed = follow_until(hospital, app.url, hub)
    assert isinstance(failed, HubMisbehaved), failed
    [alert] = alerts(hospital)
    expected = "forged-or-altered-entry" if fix_id else "entry-not-in-log"
    assert (alert.hub, alert.kind) == ("hub", expected)
    bad = hashlib.sha256(_flip(victim.signed, len(victim.signed) - 8)).hexdigest()
    assert bad in alert.detail and altered in (victim.id, bytes.fromhex(bad))
    assert hospital.store.record(record) == []  # nothing of the record on a bad word
    assert _cursor(hospital, hub) < seq  # the cursor did not move past the altered entry
    with pytest.raises(HubMisbehaved, match="blocked"):  # nor does the next round
        chain.sync("hospital-a", "hub")
    assert verify_node(hospital) == []


def test_an_honest_hub_on_the_live_path_proves_every_entry(chain: Chain) -> None:
    """Followed live, an honest hub's head is accepted as it grows, each entry with its
    proof; the record arrives whole and the cursor is where a pull round would leave it."""
    record, entries = _record(chain)
    hub, hospital = chain.nodes["hub"], chain.nodes["hospital-a"]
    with served(hub) as app:
        failed = follow_until(hospital, app.url, hub, lambda: len(
            hospital.store.record(record)) >= len(entries))
    assert failed is None
    assert {e.id for e in entries} <= {s.entry.id for s in hospital.store.record(record)}
    assert alerts(hospital) == []
    report = chain.sync("hospital-a", "hub")  # the live head was accepted: no alert now
    assert report.pulled == 0 and alerts(hospital) == []


# --- item 2: a gap is asked for, and named when the hub cannot fill it ---------------------


def _leave_out(victim: bytes) -> Any:
    def rewrite(_: Any, message: dict[str, Any]) -> dict[str, Any]:
        message["entries"] = [e for e in message["entries"] if _id(e[1]) != victim]
        return message
    return rewrite


def _id(wire: bytes) -> bytes:
    return decode_entry(wire).id


def _hostile(chain: Chain, rewrites: dict[str, Any]) -> httpx.Client:
    transport = TamperedAnswers(chain.clients["hub"], rewrites)
    return httpx.Client(transport=transport, base_url=chain.clients["hub"].base_url)


def test_an_entry_left_out_of_a_page_is_asked_for_and_stored(chain: Chain) -> None:
    """A page that leaves out an entry its successors name: the hospital asks the hub for
    it by id, checks its proof and stores the record whole, without a false alarm."""
    record, entries = _record(chain)
    victim = entries[len(entries) // 2]
    hospital = chain.nodes["hospital-a"]
    with _hostile(chain, {"/sync/v1/pull": _leave_out(victim.id)}) as hostile:
        report = sync_with(hospital, hostile)
    assert hospital.store.get(victim.id) is not None
    assert {e.id for e in entries} <= {s.entry.id for s in hospital.store.record(record)}
    assert report.pulled >= len(entries) and alerts(hospital) == []


def test_an_entry_the_hub_will_not_produce_is_named(chain: Chain) -> None:
    record, entries = _record(chain)
    victim = entries[len(entries) // 2]
    hospital = chain.nodes["hospital-a"]
    rewrites = {"/sync/v1/pull": _leave_out(victim.id),
                "/sync/v1/entries": lambda _, m: {**m, "entries": []}}
    with _hostile(chain, rewrites) as hostile, pytest.raises(HubMisbehaved):
        sync_with(hospital, hostile)
    [alert] = alerts(hospital)
    assert (alert.hub, alert.kind) == ("hub", "entry-withheld")
    assert f"parent {victim.hex} is not known here" in alert.detail
    assert hospital.store.record(record) == [] or verify_node(hospital) == []
    assert hospital.store.get(victim.id) is None


def test_an_entry_dropped_from_the_log_is_named_on_the_live_path(
    chain: Chain, home: Path
) -> None:
    """A middle entry deleted from the hub's log (renumbered, restarted): the hospital
    following live finds the hole, asks for the entry, and names the hub that cannot
    produce it. (Before, the live path refused the next entry quietly and moved on.)"""
    _, entries = _record(chain)
    victim = entries[len(entries) // 2]
    with _db(home) as db:
        seq = db.delete(victim.id)
    hub = restart_node(chain, home)
    hospital = chain.nodes["hospital-a"]
    with served(hub) as app:
        failed = follow_until(hospital, app.url, hub)
    assert isinstance(failed, HubMisbehaved), failed
    [alert] = alerts(hospital)
    assert (alert.hub, alert.kind) == ("hub", "entry-withheld")
    assert victim.hex in alert.detail
    assert _cursor(hospital, hub) < seq
    assert verify_node(hospital) == []


def test_the_newest_entry_dropped_is_noticed_by_the_hospital_after_meeting_the_crew(
    chain: Chain, home: Path
) -> None:
    """Deleting a record's newest entry from the hub's log leaves a log that extends what
    the hospital saw: alone, it cannot tell. Once the crew has handed over directly (P1),
    the hospital holds the crew's larger head of the hub, and holds the hub to it on the
    live path as on a pull round. (Before, only the crew noticed: the live path checked
    no head at all.)"""
    record, entries = _record(chain)
    newest = entries[-1]
    hospital = chain.nodes["hospital-a"]
    with _db(home) as db:
        db.delete(newest.id)
    hub = restart_node(chain, home)
    with served(hub) as app:
        assert follow_until(hospital, app.url, hub, lambda: len(
            hospital.store.record(record)) >= len(entries) - 1) is None
        assert alerts(hospital) == []  # a consistent, shorter log: nothing to see alone
        with pytest.raises(HubMisbehaved):
            chain.sync("crew-1", "hub")  # the crew saw the entry in the log: a rollback
        chain.sync("crew-1", "hospital-a")  # the direct handover still works
        assert hospital.store.get(newest.id) is not None
        failed = follow_until(hospital, app.url, hub)
    assert isinstance(failed, HubMisbehaved), failed
    [alert] = alerts(hospital)
    assert alert.hub == "hub" and alert.kind in ("fork-seen-in-gossip", "LogRolledBack")


# --- a hub pushes nothing -----------------------------------------------------------------


def test_a_hub_pushes_nothing(chain: Chain, home: Path, trust: Trust) -> None:
    """A node takes from a hub only what comes with proofs (pull, live): it refuses a
    hub's push and stream, and a hub's own rounds push nothing."""
    hub, hospital = chain.nodes["hub"], chain.nodes["hospital-a"]
    record, entries = _record(chain)
    with pytest.raises(PeerRefused) as refused:
        PeerClient(hub, chain.clients["hospital-a"]).call(
            "POST", "/sync/v1/push", body={"entries": [e.to_wire() for e in entries]}
        )
    assert refused.value.extra["status"] == 403
    assert hospital.store.record(record) == []
    assert sync_with(hub, chain.clients["hospital-a"]).pushed == 0
    assert hospital.store.record(record) == []

    async def stream() -> None:
        with served(hospital) as app:
            query = "known=0"
            headers = sign_request(hub.keys, "GET", "/sync/v1/stream", query, b"",
                                   hub.clock_ms())
            uri = app.url.replace("http", "ws") + f"/sync/v1/stream?{query}"
            async with connect(uri, additional_headers=headers) as ws:
                await ws.send(encode_message({"n": 1, "entries": [entries[0].to_wire()]}))
                await ws.recv()

    with pytest.raises(InvalidStatus) as closed:  # refused at the opening
        asyncio.run(stream())
    assert closed.value.response.status_code == 403
    assert hospital.store.record(record) == []
