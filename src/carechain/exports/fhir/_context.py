"""The state of one export: the record, how references are written, what each entry made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carechain.exports.fhir._codes import STAFF_SYSTEM
from carechain.exports.fhir._common import Ref, Resource, resource_id

__all__ = ["Context"]


@dataclass
class Context:
    """One record being turned into resources."""

    state: dict[str, Any]
    ref: Ref
    # entry id (hex) -> resources it produced, as (type, id)
    produced: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # amendment entry id (hex) -> (corrected, superseded) resources
    revised: dict[str, list[tuple[tuple[str, str], tuple[str, str]]]] = field(
        default_factory=dict
    )
    # (observation entry, field) -> the Observation holding that measurement
    measured: dict[tuple[str, str], str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)  # staff id -> Practitioner id
    # Composition section -> its narrative, one line per thing said (the newer sections)
    lines: dict[str, list[str]] = field(default_factory=dict)

    @property
    def record(self) -> str:
        """Return the record id (hex)."""
        return str(self.state["record_id"])

    def rid(self, name: str) -> str:
        """Return the stable id of a resource of this record."""
        return resource_id(self.record, name)

    def reference(self, resource_type: str, rid: str, display: str | None = None) -> Resource:
        """Return a Reference."""
        out: Resource = {"reference": self.ref(resource_type, rid)}
        if display:
            out["display"] = display
        return out

    def patient(self) -> Resource:
        """Return the Reference to the record's Patient."""
        return self.reference("Patient", self.rid("patient"))

    def encounter(self) -> Resource:
        """Return the Reference to the record's Encounter."""
        return self.reference("Encounter", self.rid("encounter"))

    def practitioner(self, staff_id: str) -> Resource:
        """Return a Reference to the Practitioner with this staff id (made on first use)."""
        rid = self.staff.setdefault(staff_id, self.rid(f"staff:{staff_id}"))
        return {**self.reference("Practitioner", rid, staff_id),
                "identifier": {"system": STAFF_SYSTEM, "value": staff_id}}

    def say(self, section: str, line: str) -> None:
        """Add a line to a section's narrative."""
        self.lines.setdefault(section, []).append(line)

    def made(self, entry: str | None, resource: Resource) -> Resource:
        """Note that an entry produced a resource, and return it."""
        if entry:
            self.produced.setdefault(entry, []).append((resource["resourceType"], resource["id"]))
        return resource
