"""The FHIR API served for real (uvicorn on 127.0.0.1) and called with fhirpy, a FHIR
client library: every interaction the CapabilityStatement lists, the resources valid FHIR
R4 (fhir.resources' R4B models, the document also against the project's UK Core checks),
refused access, and the audit entry each record read leaves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import AuthorizationError, ForbiddenError, ResourceNotFound

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.app import create_app
from carechain.exports.fhir.checks import check_document
from carechain.operations.door import accounts_key
from carechain.testing import ServedApp, Trust, api_token, make_node
from tests.fhirapi.conftest import NHS, Held
from tests.web.hospital_support import CLINICIAN


@pytest.fixture
def served(held: Held) -> Iterator[str]:
    app = ServedApp(create_app(held.ward.hospital, accounts=held.ward.site.accounts))
    yield f"{app.url}/fhir"
    app.stop()


def _client(url: str, token: str | None) -> SyncFHIRClient:
    return SyncFHIRClient(url, authorization=None if token is None else f"Bearer {token}",
                          requests_config={"timeout": 30})


def _plain(resource: Any) -> dict[str, Any]:
    return resource.serialize() if hasattr(resource, "serialize") else dict(resource)


def test_each_interaction_with_a_fhir_client(served: str, held: Held) -> None:
    fhir = _client(served, held.clinician)
    statement = fhir.execute("metadata", method="get")
    CapabilityStatement.model_validate(_plain(statement))

    patients = fhir.resources("Patient").search(identifier=f"{NHS}|9434765919").fetch()
    assert [p.id for p in patients] == [held.rid(held.addressed, "patient")]  # not the diverted
    patient = patients[0].serialize()
    Patient.model_validate(patient)
    assert patient["identifier"][0] == {**patient["identifier"][0], "system": NHS,
                                        "value": "9434765919"}
    read = fhir.reference("Patient", patients[0].id).to_resource().serialize()
    assert read == patient

    encounters = fhir.resources("Encounter").search(patient=f"Patient/{patients[0].id}").fetch()
    assert [e.id for e in encounters] == [held.rid(held.addressed, "encounter")]
    Encounter.model_validate(encounters[0].serialize())
    Encounter.model_validate(fhir.reference("Encounter", encounters[0].id).to_resource()
                             .serialize())

    search = fhir.resources("Observation").search(patient=patients[0].id)
    every = search.fetch()
    vitals = search.search(category="vital-signs").fetch()
    assert 0 < len(vitals) < len(every)
    for obs in every:
        Observation.model_validate(obs.serialize())
        assert obs["subject"]["reference"] == f"Patient/{patients[0].id}"
    assert {c["code"] for o in vitals for cat in o["category"] for c in cat["coding"]} == {
        "vital-signs"}
    times = sorted({str(o["effectiveDateTime"]) for o in vitals})
    assert len(times) > 1
    window = search.search(category="vital-signs", date__ge=times[1], date__le=times[-1])
    assert {str(o["effectiveDateTime"]) for o in window.fetch()} == set(times[1:])
    news2 = search.search(category="survey").fetch()
    assert any(c["code"] == "1104051000000101" for o in news2 for c in o["code"]["coding"])

    bundle = fhir.reference("Bundle", held.rid(held.addressed, "document")).to_resource()
    document = bundle.serialize()
    Bundle.model_validate(document)
    assert check_document(document) == []
    assert document["entry"][0]["resource"]["resourceType"] == "Composition"
    same = fhir.execute(f"Composition/{held.rid(held.addressed, 'composition')}/$document",
                        method="get")
    assert _plain(same) == document


def test_every_record_read_is_audited_as_the_client(served: str, held: Held) -> None:
    fhir = _client(served, held.clinician)
    before = len(held.views())
    patient = held.rid(held.addressed, "patient")
    fhir.resources("Patient").search(identifier="9434765919").fetch()
    fhir.resources("Observation").search(patient=patient, category="vital-signs").fetch()
    fhir.resources("Encounter").search(patient=patient).fetch()
    fhir.reference("Bundle", held.rid(held.addressed, "document")).to_resource()
    fhir.execute(f"Composition/{held.rid(held.addressed, 'composition')}/$document",
                 method="get")
    views = held.views()[before:]
    assert [v["detail"]["what"] for v in views] == [
        "fhir Patient search", "fhir Observation search", "fhir Encounter search",
        "fhir Bundle document", "fhir Composition document"]
    for view in views:
        assert view["record"] == held.addressed.hex() and view["outcome"] == "success"
        assert view["staff_id"] == CLINICIAN
        assert view["detail"]["interface"] == "fhir" and view["detail"]["why"] == "addressed"
        assert view["detail"]["actor"] == "client" and view["detail"]["client"]


def test_refused_access(served: str, held: Held) -> None:
    with pytest.raises(AuthorizationError) as anonymous:
        _client(served, None).resources("Patient").search(identifier="9434765919").fetch()
    assert '"login"' in str(anonymous.value)
    with pytest.raises(ForbiddenError):  # an auditor reads no clinical record
        _client(served, held.auditor).resources("Patient").search(identifier="9434765919").fetch()

    fhir = _client(served, held.clinician)
    before = len(held.views())
    with pytest.raises(ForbiddenError) as refused:  # diverted to another hospital
        fhir.reference("Bundle", held.rid(held.diverted, "document")).to_resource()
    assert "OperationOutcome" in str(refused.value) and "care relationship" in str(refused.value)
    with pytest.raises(ForbiddenError):
        fhir.resources("Observation").search(patient=held.rid(held.diverted, "patient")).fetch()
    views = held.views()[before:]
    assert [(v["record"], v["outcome"], v["detail"]["interface"]) for v in views] == [
        (held.diverted.hex(), "refused", "fhir")] * 2
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", "0f0f0f0f-0000-5000-8000-000000000000").to_resource()


def test_a_crew_device_serves_no_fhir_to_a_client(tmp_path: Path, trust: Trust) -> None:
    crew = make_node(tmp_path / "crew", trust, role="crew", name="crew-9")
    accounts = AccountStore(":memory:", accounts_key(crew), cost=FAST_FOR_TESTS)
    app = ServedApp(create_app(crew, accounts=accounts))
    try:
        fhir = _client(f"{app.url}/fhir", api_token(accounts, crew))
        with pytest.raises(ResourceNotFound) as missing:
            fhir.resources("Patient").search(identifier="9434765919").fetch()
        assert '"not-supported"' in str(missing.value)
    finally:
        app.stop()
        accounts.close()
        crew.close()
