"""A hospital holding two records of the same patient (one NHS number) from a crew: one
addressed to it, one diverted to another hospital after it was addressed here (held, but
not the caller's to read)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carechain.exports.fhir import resource_id
from carechain.node.audit import read_audit
from carechain.testing import Trust, api_token
from tests.web.hospital_support import AUDITOR, CASES, CLINICIAN, Ward, make_ward

NHS = "https://fhir.nhs.uk/Id/nhs-number"


@dataclass
class Held:
    """The hospital, its records and the callers' tokens."""

    ward: Ward
    addressed: bytes
    diverted: bytes
    clinician: str  # bearer token of the ED clinician
    auditor: str  # bearer token of an auditor (may not read records)

    def rid(self, record: bytes, name: str) -> str:
        return resource_id(record.hex(), name)

    def views(self) -> list[dict[str, Any]]:
        """Return the hospital's `record.view` audit events, oldest first."""
        return [e for e in read_audit(self.ward.hospital) if e["action"] == "record.view"]


@pytest.fixture
def held(tmp_path: Path, trust: Trust) -> Iterator[Held]:
    ward = make_ward(tmp_path, trust)
    addressed = ward.document(CASES["stemi"](), eta_minutes=10)
    diverted = ward.document(CASES["stemi"](), eta_minutes=10)
    ward.node("hospital-b", "hospital")
    ward.crew.append(record=diverted, user="P1", kind="disposition.recorded",
                     data={"hospital_node": "hospital-b"})
    ward.deliver()
    accounts = ward.site.accounts
    clinician = api_token(accounts, ward.hospital, staff_id=CLINICIAN)
    auditor = api_token(accounts, ward.hospital, staff_id=AUDITOR, name="audit script")
    yield Held(ward, addressed, diverted, clinician, auditor)
    ward.close()
