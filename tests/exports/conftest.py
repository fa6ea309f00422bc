"""Fixtures for the export suites: demo cases as states, and a crew → hospital pair."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from carechain.demo import CASES, Case
from carechain.entries import HLC
from carechain.node import Node
from carechain.records import build_state, kinds
from carechain.records.fold import FoldEntry
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

BASE = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
HOSPITAL = "hospital-essex"


def case_state(case: Case, *, record: bytes = bytes([7] * 16),
               extra: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Fold a case into a state with fixed ids and times (no node): golden-file stable."""
    steps = [("record.opened", case.opened), *case.at(BASE), *(extra or [])]
    entries, parents = [], ()
    for i, (kind, data) in enumerate(steps):
        eid = hashlib.sha256(f"{case.name}:{i}".encode()).digest()
        body = data if kind == "entry.amended" else kinds.validate_body(kind, data)
        entries.append(FoldEntry(eid, HLC(int(BASE.timestamp() * 1000) + i * 60_000), parents,
                                 "clinical", "P100234", "crew-ambulance-412",
                                 {"kind": kind, "v": 1, "data": body}))
        parents = (eid,)
    return build_state(record, entries)


@pytest.fixture(params=sorted(CASES))
def demo_case(request: pytest.FixtureRequest) -> tuple[str, Case]:
    """Each scripted demo case, by name."""
    return request.param, CASES[request.param]()


@dataclass
class Pair:
    """A crew node and the hospital its records are addressed to, in one trust."""

    crew: Node
    hospital: Node
    other: Node  # a hospital the record is not addressed to


def _introduce(*nodes: Node) -> None:
    for a in nodes:
        for b in nodes:
            if a is not b:
                b.ingest([s.entry for s in a.store.record(DIRECTORY_RECORD)])


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """Return a crew, a hospital and another hospital, each knowing the others."""
    trust = make_trust(tmp_path / "trust")
    crew = make_node(tmp_path / "crew", trust, role="crew", name="crew-ambulance-412")
    hospital = make_node(tmp_path / "hospital", trust, role="hospital", name=HOSPITAL)
    other = make_node(tmp_path / "other", trust, role="hospital", name="hospital-other")
    _introduce(crew, hospital, other)
    yield Pair(crew, hospital, other)
    for n in (crew, hospital, other):
        n.close()


def play(node: Node, case: Case, *, to: str | None = HOSPITAL) -> bytes:
    """Document a case on a node, addressed to a hospital; return the record id."""
    record, _ = node.open_record(user="P100234", data=case.opened)
    for kind, data in case.at(BASE):
        if kind == "disposition.recorded" and to:
            data = {**data, "hospital_node": to}
        node.append(record=record, user="P100234", kind=kind, data=data)
    return record
