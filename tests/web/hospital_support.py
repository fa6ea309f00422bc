"""A hospital site, a crew node in the same trust, and the cases they exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from carechain.demo.cases import Case, chest_pain_stemi, motorcyclist_femur
from carechain.node import Node
from carechain.sync.policy import allow_for
from carechain.testing import Trust, make_node
from tests.web.conftest import Site, make_site

__all__ = [
    "AUDITOR",
    "CASES",
    "CLINICIAN",
    "PASSWORD",
    "Ward",
    "make_ward",
]

PASSWORD = "Wren-kettle-orbit-58"
AUDITOR_PASSWORD = "Plum-harbour-lantern-31"
CLINICIAN = "ED4411"
AUDITOR = "AU7001"


@dataclass
class Ward:
    """A hospital site (hospital-a) and a crew node, introduced to each other."""

    site: Site
    crew: Node
    path: Path
    trust: Trust
    extra: list[Node] = field(default_factory=list)

    @property
    def hospital(self) -> Node:
        return self.site.node

    def login(self, staff_id: str = CLINICIAN) -> None:
        self.site.login(staff_id, PASSWORD if staff_id == CLINICIAN else AUDITOR_PASSWORD)

    def node(self, name: str, role: str) -> Node:
        """Add another node of the trust, known to the crew and the hospital."""
        node = make_node(self.path / name, self.trust, role=role, name=name)
        self.extra.append(node)
        directory = [s.entry for s in node.store.since(0, 100)]
        self.crew.ingest(directory)
        self.hospital.ingest(directory)
        node.ingest([s.entry for s in self.crew.store.since(0, 100)])
        return node

    def document(self, case: Case, *, eta_minutes: int | None = None,
                 hospital_node: str | None = "hospital-a", crew: Node | None = None) -> bytes:
        """Write a case on the crew node; return its record id."""
        author = crew or self.crew
        base = datetime.now(UTC) - timedelta(minutes=30)
        record, _ = author.open_record(user="P100234", data=case.opened)
        for kind, data in case.at(base):
            if kind == "disposition.recorded":
                data = {**data}
                if hospital_node is not None:
                    data["hospital_node"] = hospital_node
                if eta_minutes is not None:
                    data["eta"] = (datetime.now(UTC) + timedelta(minutes=eta_minutes)).isoformat()
            author.append(record=record, user="P100234", kind=kind, data=data)
        return record

    def frame(self, record: bytes, **values: Any) -> None:
        """Write one monitor frame on the crew node."""
        at = values.pop("at", datetime.now(UTC).isoformat())
        self.crew.append(record=record, user="P100234", kind="vitals.frame",
                         data={"at": at, "source": "corpuls3", **values})

    def deliver(self, source: Node | None = None) -> None:
        """Hand the hospital what it may hold of a node's log, as sync would."""
        entries = [s.entry for s in (source or self.crew).store.since(0, 100_000)]
        node = self.hospital
        node.ingest(entries, allow=allow_for(node.store, node.info.role, node.keys.box_key_id))

    def close(self) -> None:
        self.site.client.close()
        self.site.accounts.close()
        self.site.node.close()
        self.crew.close()
        for node in self.extra:
            node.close()


def make_ward(tmp_path: Path, trust: Trust) -> Ward:
    site = make_site(tmp_path / "h", trust, "hospital", "hospital-a", [
        (CLINICIAN, "Dr Jo Lee", "ed_clinician", PASSWORD),
        (AUDITOR, "Avery Quinn", "auditor", AUDITOR_PASSWORD),
    ])
    crew = make_node(tmp_path / "crew", trust, role="crew", name="crew-1")
    crew.ingest([s.entry for s in site.node.store.since(0, 100)])
    site.node.ingest([s.entry for s in crew.store.since(0, 100)])
    return Ward(site, crew, tmp_path, trust)


CASES = {"stemi": chest_pain_stemi, "trauma": motorcyclist_femur}
