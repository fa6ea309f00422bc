"""The FHIR API through the test client: what it says it serves, and every error an
`OperationOutcome` naming what is wrong (no token, no permission, an unknown resource type,
a bad parameter, an id with no record)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.api.fhir import router
from carechain.api.fhir.params import parse_date
from carechain.app import create_app
from carechain.errors import PROBLEM_BASE, SearchParameterInvalid
from carechain.node.audit import read_audit
from carechain.operations.door import accounts_key
from carechain.operations.fhir import ObservationQuery
from carechain.sync.policy import allow_for
from carechain.testing import Trust, api_token, make_node
from tests.fhirapi.conftest import Held


@pytest.fixture
def client(held: Held) -> Iterator[TestClient]:
    with TestClient(create_app(held.ward.hospital, accounts=held.ward.site.accounts)) as c:
        c.headers["Authorization"] = f"Bearer {held.clinician}"
        yield c


def _outcome(r: Any, status: int, issue: str, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = r.json()
    OperationOutcome.model_validate(body)
    first = body["issue"][0]
    assert first["severity"] == "error" and first["code"] == issue
    assert first["details"]["coding"][0] == {"system": PROBLEM_BASE.rstrip("/"), "code": code}
    return first


def test_the_capability_statement_lists_exactly_what_is_served(client: TestClient) -> None:
    r = client.get("/fhir/metadata", headers={"Authorization": ""})  # open to anyone
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    statement = r.json()
    CapabilityStatement.model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1" and statement["format"] == ["json"]
    listed = set()
    for res in statement["rest"][0]["resource"]:
        for i in res.get("interaction", []):
            listed.add(("GET", f"/fhir/{res['type']}" + (
                "/{resource_id}" if i["code"] == "read" else "")))
        for op in res.get("operation", []):
            listed.add(("GET", f"/fhir/{res['type']}/{{resource_id}}/${op['name']}"))
    served = {(m, r.path) for r in router.routes for m in getattr(r, "methods", ())}
    assert listed == served - {("GET", "/fhir/metadata")}
    params = {(res["type"], p["name"]) for res in statement["rest"][0]["resource"]
              for p in res.get("searchParam", [])}
    assert params == {("Patient", "identifier"), ("Encounter", "patient"),
                      ("Observation", "patient"), ("Observation", "category"),
                      ("Observation", "date")}


def test_no_token_and_a_bad_token_answer_login(client: TestClient) -> None:
    r = client.get("/fhir/Patient?identifier=9434765919", headers={"Authorization": ""})
    _outcome(r, 401, "login", "not-authenticated")
    assert "Bearer" in r.headers["www-authenticate"]
    r = client.get("/fhir/Patient?identifier=9434765919",
                   headers={"Authorization": "Bearer cct_nothing"})
    _outcome(r, 401, "login", "not-authenticated")


def test_a_role_that_reads_no_records_is_forbidden_before_its_parameters(
    client: TestClient, held: Held
) -> None:
    auditor = {"Authorization": f"Bearer {held.auditor}"}
    for path in ("/fhir/Patient?identifier=9434765919", "/fhir/Observation?colour=red",
                 f"/fhir/Bundle/{held.rid(held.addressed, 'document')}"):
        _outcome(client.get(path, headers=auditor), 403, "forbidden", "forbidden")


def test_an_unknown_resource_type_is_not_supported(client: TestClient) -> None:
    first = _outcome(client.get("/fhir/MedicationRequest?patient=x"), 404, "not-supported",
                     "not-found")
    assert "MedicationRequest" in first["diagnostics"]
    _outcome(client.delete("/fhir/Patient/abc"), 405, "not-supported", "method-not-allowed")


@pytest.mark.parametrize(("path", "names"), [
    ("/fhir/Observation", "patient"),
    ("/fhir/Observation?patient=abc&colour=red", "colour"),
    ("/fhir/Observation?patient=abc&date=yesterday", "date"),
    ("/fhir/Observation?patient=abc&date=ge2024-02-30", "date"),
    ("/fhir/Observation?patient=Patient/a%20b", "patient"),
    ("/fhir/Observation?patient=a&patient=b", "patient"),
    ("/fhir/Encounter?subject=abc", "subject"),
    ("/fhir/Patient", "identifier"),
    ("/fhir/Patient?identifier=", "identifier"),
    ("/fhir/Patient/not%20an%20id", "id"),
])
def test_a_bad_parameter_is_named(client: TestClient, path: str, names: str) -> None:
    first = _outcome(client.get(path), 400, "invalid", SearchParameterInvalid.code)
    assert first["expression"] == [names]
    assert first["diagnostics"].startswith(f"{names}: ")


def test_an_id_with_no_record_is_not_found(client: TestClient, held: Held) -> None:
    _outcome(client.get("/fhir/Bundle/0f0f0f0f-0000-5000-8000-000000000000"), 404,
             "not-found", "not-found")
    _outcome(client.get(f"/fhir/Bundle/{held.rid(held.addressed, 'patient')}"), 404,
             "not-found", "not-found")  # a Patient's id is no Bundle's
    r = client.get("/fhir/Observation?patient=0f0f0f0f-0000-5000-8000-000000000000")
    assert r.status_code == 200 and r.json()["total"] == 0 and "entry" not in r.json()
    Bundle.model_validate(r.json())


def test_a_searchset_is_a_valid_bundle_of_absolute_urls(client: TestClient, held: Held) -> None:
    patient = held.rid(held.addressed, "patient")
    r = client.get(f"/fhir/Observation?patient={patient}&category=vital-signs")
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    bundle = r.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == len(bundle["entry"]) > 0
    assert bundle["link"] == [{"relation": "self", "url": str(r.url)}]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"http://testserver/fhir/Observation/{resource['id']}"
        assert entry["search"] == {"mode": "match"}


@pytest.mark.parametrize("role", ["crew", "hub"])
def test_crew_and_hub_nodes_serve_no_fhir(tmp_path: Path, trust: Trust, role: str) -> None:
    node = make_node(tmp_path / role, trust, role=role, name=f"{role}-1")
    accounts = AccountStore(":memory:", accounts_key(node), cost=FAST_FOR_TESTS)
    try:
        staff = "P100234" if role == "crew" else "A1"
        if role == "hub":
            accounts.create_person(staff, staff, "auditor", "violet tractor harbour 42",
                                   node_role="hub", now_ms=node.clock_ms())
        token = api_token(accounts, node, staff_id=staff)
        with TestClient(create_app(node, accounts=accounts)) as c:
            for path in ("/fhir/metadata", "/fhir/Patient?identifier=9434765919"):
                r = c.get(path, headers={"Authorization": f"Bearer {token}"})
                _outcome(r, 404, "not-supported", "not-found")
    finally:
        accounts.close()
        node.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_date_prefixes_cover_the_precision_given() -> None:
    day = parse_date("2024-05-01")
    assert (day.prefix, day.start, day.end) == ("eq", _at("2024-05-01T00:00+00:00"),
                                                 _at("2024-05-02T00:00+00:00"))
    assert parse_date("2024-12").end == _at("2025-01-01T00:00+00:00")
    assert parse_date("2024").end == _at("2025-01-01T00:00+00:00")
    minute = parse_date("le2024-05-01T13:14+01:00")
    assert minute.prefix == "le" and minute.end == _at("2024-05-01T12:15+00:00")
    assert minute.holds(_at("2024-05-01T12:14:59+00:00"))
    assert not minute.holds(_at("2024-05-01T12:15:00+00:00"))
    assert parse_date("gt2024-05-01").holds(_at("2024-05-02T00:00+00:00"))
    assert not parse_date("gt2024-05-01").holds(_at("2024-05-01T23:59+00:00"))
    assert parse_date("lt2024-05-01").holds(_at("2024-04-30T23:59+00:00"))
    assert parse_date("ne2024-05-01").holds(_at("2024-05-02T01:00+00:00"))
    tenth = parse_date("2024-05-01T13:14:05.5Z")
    assert (tenth.start.microsecond, tenth.end.microsecond) == (500_000, 600_000)
    exact = parse_date("le2024-05-01T13:51:20.500933+00:00")
    assert exact.holds(_at("2024-05-01T13:51:20.500933+00:00"))
    assert not exact.holds(_at("2024-05-01T13:51:20.500934+00:00"))
    assert parse_date("2024-05-01T13:14:05").start.tzinfo == UTC


def test_an_observation_query_matches_category_groups_and_every_date() -> None:
    obs = {"status": "final", "effectiveDateTime": "2024-05-01T13:14:00+00:00",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                     "observation-category", "code": "vital-signs"}]}]}
    query = ObservationQuery
    assert query("p", (("vital-signs",),)).matches(obs)
    assert query("p", (("survey", "vital-signs"),)).matches(obs)
    assert not query("p", (("survey",), ("vital-signs",))).matches(obs)
    assert query("p", (("http://terminology.hl7.org/CodeSystem/observation-category"
                        "|vital-signs",),)).matches(obs)
    assert not query("p", (("urn:other|vital-signs",),)).matches(obs)
    dates = (parse_date("ge2024-05-01T13:00Z"), parse_date("le2024-05-01T13:14Z"))
    assert query("p", dates=dates).matches(obs)
    assert not query("p", dates=(parse_date("lt2024-05-01T13:14Z"),)).matches(obs)
    assert not query("p").matches({**obs, "status": "entered-in-error"})


def test_a_record_that_gains_an_entry_is_served_anew(client: TestClient, held: Held) -> None:
    path = f"/fhir/Observation?patient={held.rid(held.addressed, 'patient')}&category=vital-signs"
    before = client.get(path).json()["total"]
    document = client.get(f"/fhir/Bundle/{held.rid(held.addressed, 'document')}").json()
    taken = datetime.now(UTC).replace(microsecond=0).isoformat()
    held.ward.crew.append(record=held.addressed, user="P100234", kind="observation.recorded",
                          data={"taken_at": taken, "pulse": 96})
    held.ward.deliver()
    after = client.get(path).json()
    assert after["total"] == before + 1
    assert any(o["resource"].get("effectiveDateTime") == taken for o in after["entry"])
    again = client.get(f"/fhir/Bundle/{held.rid(held.addressed, 'document')}").json()
    assert len(again["entry"]) > len(document["entry"])


def test_a_vault_serves_its_organisations_records_to_a_clinical_lead(held: Held) -> None:

    ward = held.ward
    vault = ward.node("vault-1", "vault")
    ward.crew.address_to(record=held.addressed, user="P100234", node_name="vault-1")
    vault.ingest([s.entry for s in ward.crew.store.since(0, 100_000)],
                 allow=allow_for(vault.store, "vault", vault.keys.box_key_id))
    accounts = AccountStore(":memory:", accounts_key(vault), cost=FAST_FOR_TESTS)
    try:
        token = api_token(accounts, vault, staff_id="L400001")  # a clinical lead
        with TestClient(create_app(vault, accounts=accounts)) as c:
            c.headers["Authorization"] = f"Bearer {token}"
            r = c.get(f"/fhir/Bundle/{held.rid(held.addressed, 'document')}")
            assert r.status_code == 200 and r.json()["type"] == "document"
            found = c.get("/fhir/Patient?identifier=9434765919").json()
            assert [e["resource"]["id"] for e in found["entry"]] == [
                held.rid(held.addressed, "patient")]  # the diverted record never came here
        views = [e for e in read_audit(vault) if e["action"] == "record.view"]
        assert [(v["detail"]["why"], v["detail"]["interface"]) for v in views] == [
            ("organisation", "fhir")] * 2
    finally:
        accounts.close()
