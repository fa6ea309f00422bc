"""A node's head keeper: an answer may carry an older head than one accepted meanwhile
(the stream and a sync round are answered in either order); it is taken only if the hub
proves it a prefix of the accepted one, and otherwise names a rollback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.hub import TransparencyLog
from carechain.node import Node
from carechain.sync.heads import HeadKeeper, HubMisbehaved
from carechain.testing import Trust, make_node
from carechain.transparency import SignedTreeHead
from carechain.trust import DIRECTORY_RECORD


@pytest.fixture
def heads(
    tmp_path: Path, trust: Trust
) -> Iterator[tuple[Node, TransparencyLog, list[SignedTreeHead]]]:
    """A crew that knows the hub, and two heads of the hub's log: a smaller, then a larger."""
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    crew = make_node(tmp_path / "crew", trust)
    crew.ingest([s.entry for s in hub.store.record(DIRECTORY_RECORD)])
    hub.ingest([s.entry for s in crew.store.record(DIRECTORY_RECORD)])
    log = TransparencyLog(hub.store, hub.keys, hub.wall)
    record, _ = crew.open_record(user="P1", data={"callsign": "RRV-1"})
    signed = []
    for n in range(2):
        crew.append(record=record, user="P1", kind="note.added", data={"text": f"note {n}"})
        hub.ingest([s.entry for s in crew.store.record(record)])
        signed.append(log.head())
    assert signed[0].size < signed[1].size
    yield crew, log, signed
    crew.close()
    hub.close()


def test_an_older_head_is_taken_when_proven_a_prefix(
    heads: tuple[Node, TransparencyLog, list[SignedTreeHead]],
) -> None:
    crew, log, (small, large) = heads
    keeper = HeadKeeper(crew.store, crew.directory)
    keeper.offer(large, log.consistency)
    keeper.offer(small, log.consistency)
    assert keeper.alerts() == [] and keeper.accepted(large.head.log_id) == large


def test_an_older_head_the_hub_cannot_prove_is_a_rollback(
    heads: tuple[Node, TransparencyLog, list[SignedTreeHead]],
) -> None:
    crew, log, (small, large) = heads
    keeper = HeadKeeper(crew.store, crew.directory)
    keeper.offer(large, log.consistency)
    with pytest.raises(HubMisbehaved):
        keeper.offer(small, lambda first, second: [])
    [alert] = keeper.alerts()
    assert alert.kind == "LogRolledBack"
    assert f"from {large.size} to {small.size}" in alert.detail and "cannot" in alert.detail
    assert keeper.accepted(large.head.log_id) == large
