"""A rebuild notes its progress and its result in the hub's own store (`recovery:rebuild`),
where the serving hub's admin console reads them (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carechain.node import Node
from carechain.node.progress import REBUILD_KEY, read_status
from carechain.recovery import SurvivorsDisagree, open_survivor, rebuild_hub
from carechain.testing import Trust
from tests.recovery.support import hub_ids, wipe_hub
from tests.sync.harness import document_stemi, standard_chain
from tests.sync.hostile import HUB_SECRET


def test_a_rebuild_notes_it_is_running_then_its_result(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        document_stemi(chain)
        chain.sync("crew-1", "hub")
        chain.sync("vault", "hub")
        size = len(hub_ids(chain.nodes["hub"]))
        wipe_hub(chain, tmp_path)
        node = Node.open(tmp_path / "hub", HUB_SECRET)
        vault = open_survivor(tmp_path / "vault", root_public=node.directory.root_public,
                              hub_key=node.keys.sign_public)
        seen: list[dict[str, object] | None] = []
        try:
            report = rebuild_hub(node, [vault], batch=3,
                                 progress=lambda d, t: seen.append(read_status(node.store,
                                                                               REBUILD_KEY)))
        finally:
            vault.close()
            node.close()
        assert report.complete
        assert seen and all(s is not None and s["state"] == "running" for s in seen)
        assert all(s is not None and s["total"] == size for s in seen)
        hub = Node.open(tmp_path / "hub", HUB_SECRET)  # what the serving hub reads
        try:
            done = read_status(hub.store, REBUILD_KEY)
        finally:
            hub.close()
        assert done is not None
        assert done["state"] == "complete" and done["done"] == done["total"] == size
        assert done["placed"] == report.placed and done["lost"] == 0 and not done["error"]
        assert done["heads_proven"] == done["heads"] == len(report.heads) > 0
        assert done["updated_ms"] >= done["started_ms"]
    finally:
        chain.close()



def test_a_rebuild_that_stops_on_an_error_says_so(tmp_path: Path, trust: Trust) -> None:
    chain = standard_chain(tmp_path, trust)
    try:
        record = document_stemi(chain)
        chain.sync("crew-1", "hub")
        chain.sync("vault", "hub")
        wipe_hub(chain, tmp_path)
        node = Node.open(tmp_path / "hub", HUB_SECRET)
        # The hub's store holds an entry at a place the survivors say held another.
        node.store.append([chain.nodes["crew-1"].store.record(record)[0].entry])
        vault = open_survivor(tmp_path / "vault", root_public=node.directory.root_public,
                              hub_key=node.keys.sign_public)
        try:
            with pytest.raises(SurvivorsDisagree):
                rebuild_hub(node, [vault])
            status = read_status(node.store, REBUILD_KEY)
        finally:
            vault.close()
            node.close()
        assert status is not None and status["state"] == "failed"
        assert "position 1" in str(status["error"])
    finally:
        chain.close()
