"""A rebuilt hub that reorders, drops or alters anything is refused by every node at its
next sync: the heads they kept from the lost hub are not proven by it (the hostile-hub
helpers edit the rebuilt store with the append-only triggers dropped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.entries import decode_signed
from carechain.node import NodeHome
from carechain.sync.heads import HubMisbehaved
from carechain.testing import Trust
from tests.recovery.support import hub_ids, rebuild, serve_hub, wipe_hub
from tests.sync.harness import document_stemi, standard_chain
from tests.sync.hostile import HubDb, alerts, rewrite_signed

NODES = ("crew-1", "hospital-a", "vault")


def _tamper(store_file: Path, victim: bytes, how: str) -> None:
    with HubDb(store_file) as db:
        row = db.row(victim)
        if how == "drop":
            db.delete(victim)
        elif how == "reorder":
            db.delete(victim)
            db.insert(decode_signed(row.signed, row.signature))  # moved to the end
        else:
            altered = rewrite_signed(row.signed, hlc=[1, 0])  # an earlier time
            db.set_signed(victim, altered, fix_id=True)


@pytest.mark.parametrize("how", ["drop", "reorder", "alter"])
def test_a_rebuilt_hub_that_changes_the_history_is_refused(
    tmp_path: Path, trust: Trust, how: str
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = document_stemi(chain)
        for name in NODES:
            chain.sync(name, "hub")
        ids = hub_ids(chain.nodes["hub"])
        victim = chain.nodes["crew-1"].store.record(record)[1].entry.id
        assert victim in ids[:-1]  # not the last leaf: moving it changes the order
        wipe_hub(chain, tmp_path)
        assert rebuild(tmp_path, list(NODES)).complete
        _tamper(NodeHome(tmp_path / "hub").store_file, victim, how)
        serve_hub(chain, tmp_path)
        for name in NODES:
            with pytest.raises(HubMisbehaved):
                chain.sync(name, "hub")
            assert alerts(chain.nodes[name]), name
            assert chain.nodes[name].store.get(victim) is not None  # its own copy is safe
    finally:
        chain.close()


def test_an_entry_altered_in_a_survivors_store_is_taken_from_another(
    tmp_path: Path, trust: Trust
) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = document_stemi(chain)
        for name in NODES:
            chain.sync(name, "hub")
        ids = hub_ids(chain.nodes["hub"])
        victim = chain.nodes["crew-1"].store.record(record)[2].entry
        with HubDb(NodeHome(tmp_path / "vault").store_file) as db:
            signed = bytearray(db.row(victim.id).signed)
            signed[-8] ^= 0x01  # the vault's copy no longer is the entry
            db.set_signed(victim.id, bytes(signed))
        wipe_hub(chain, tmp_path)
        alone = rebuild(tmp_path, ["vault"])  # nobody else holds it: named, never stored
        assert not alone.complete
        assert alone.missing[0].first == ids.index(victim.id) + 1
        assert victim.id.hex() in alone.missing[0].ids
        hub_store = NodeHome(tmp_path / "hub").store_file
        for suffix in ("", "-wal", "-shm"):  # start again from an empty log
            Path(f"{hub_store}{suffix}").unlink(missing_ok=True)
        report = rebuild(tmp_path, ["vault", "crew-1"])  # the crew's copy is the entry
        assert report.complete, report.summary()
        hub = serve_hub(chain, tmp_path)
        assert hub_ids(hub) == ids
        stored = hub.store.get(victim.id)
        assert stored is not None and stored.entry.signed == victim.signed
    finally:
        chain.close()
