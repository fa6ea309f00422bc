"""The generated month documented on a real crew node and synced to a vault (this module
holds no tests): the vault holds the records exactly as it would after a month of syncs."""

from __future__ import annotations

from pathlib import Path

from carechain.node import Node
from carechain.testing import Trust, make_node
from carechain.trust import DIRECTORY_RECORD
from tests.quality.month import CREW, generated_month

__all__ = ["fill_vault"]


def _introduce(a: Node, b: Node) -> None:
    b.ingest([s.entry for s in a.store.record(DIRECTORY_RECORD)])
    a.ingest([s.entry for s in b.store.record(DIRECTORY_RECORD)])


def fill_vault(path: Path, trust: Trust, vault: Node, *,
               crew: Node | None = None) -> dict[str, str]:
    """Document every generated record on a crew node (a new one unless `crew` is given,
    which is left open), give the vault every entry; return record id (hex) → label."""
    given = crew
    crew = crew or make_node(path, trust, role="crew", name="crew-ambulance-412")
    try:
        _introduce(crew, vault)
        labels: dict[str, str] = {}
        for made in generated_month():
            record, _ = crew.open_record(user=CREW, data=made.case.opened)
            for kind, data in made.entries():
                crew.append(record=record, user=CREW, kind=kind, data=data)
            labels[record.hex()] = made.label
        results = vault.ingest([s.entry for s in crew.store.since(0, 1_000_000)])
        assert all(r.error is None for r in results), [r.error for r in results if r.error]
        return labels
    finally:
        if given is None:
            crew.close()
