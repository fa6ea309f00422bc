"""The quality indicators console on a vault holding the generated month (issue 17, item 8):
the clinical lead sees the known counts and the records that miss; the CSV and the FHIR
MeasureReport carry the same; every view and export is audited; no one else may see it."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.measurereport import MeasureReport

from carechain.node.audit import read_audit
from carechain.testing import Trust, api_token
from tests.quality.month import EXPECTED, IN_MONTH, MONTH
from tests.quality.vault_support import fill_vault
from tests.web.conftest import Site
from tests.web.test_admin_support import (
    ADMIN,
    ADMIN_PASSWORD,
    AUDITOR,
    AUDITOR_PASSWORD,
    LEAD,
    LEAD_PASSWORD,
    close,
    console_site,
)


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, str]]]:
    from carechain.testing import make_trust

    path = tmp_path_factory.mktemp("quality")
    trust = make_trust(path / "trust")
    site = console_site(path / "vault", trust, role="vault", name="vault-records")
    labels = fill_vault(path / "crew", trust, site.node)
    site.login(LEAD, LEAD_PASSWORD)
    yield site, labels
    close(site)


def _section(page: str, indicator: str) -> str:
    found = re.search(rf'<section class="card indicator" id="indicator-{indicator}".*?</section>',
                      page, re.S)
    assert found, indicator
    return found.group(0)


def test_the_clinical_lead_lands_on_the_indicators(vault: tuple[Site, dict[str, str]]) -> None:
    site, _ = vault
    r = site.client.get("/", follow_redirects=False)
    assert r.headers["location"] == "/quality"


@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_the_console_shows_the_known_counts_and_the_records_that_miss(
        vault: tuple[Site, dict[str, str]], indicator: str) -> None:
    site, labels = vault
    page = site.client.get("/quality", params={"month": MONTH})
    assert page.status_code == 200
    assert f'data-records="{IN_MONTH}"' in page.text
    section = _section(page.text, indicator)
    denominator, numerator, missing = EXPECTED[indicator]
    assert f'data-denominator="{denominator}" data-numerator="{numerator}"' in section
    shown = set(re.findall(r'<tr data-record="([0-9a-f]{32})">', section))
    assert {labels[r] for r in shown} == missing


def test_the_page_names_the_undated_record_and_what_cannot_be_computed(
        vault: tuple[Site, dict[str, str]]) -> None:
    site, labels = vault
    page = site.client.get("/quality", params={"month": MONTH}).text
    undated = next(r for r, label in labels.items() if label == "undated")
    assert undated in re.search(r'id="undated".*?</div>', page, re.S).group(0)  # type: ignore[union-attr]
    for indicator in ("stemi-call-to-angiography", "survival-30-days", "sepsis", "falls"):
        assert f'data-testid="not-computable-{indicator}"' in page
    assert "<svg" in page and 'role="img"' in page
    assert "67% (2/3)" not in page  # a chart value is its own: spot-check one real one
    assert "40% (2/5)" in page  # STEMI bundle, 2 of 5


def test_csv_export_carries_counts_and_misses(vault: tuple[Site, dict[str, str]]) -> None:
    site, labels = vault
    r = site.client.get("/quality/indicators.csv", params={"month": MONTH})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    summary = {row["indicator"]: row for row in rows if row["kind"] in ("proportion", "time")}
    for indicator, (denominator, numerator, missing) in EXPECTED.items():
        assert (int(summary[indicator]["denominator"]),
                int(summary[indicator]["numerator"])) == (denominator, numerator)
        missed = {labels[row["record"]] for row in rows
                  if row["kind"] == "missed" and row["indicator"] == indicator}
        assert missed == missing
    assert summary["stroke-call-to-hospital"]["mean_minutes"] == "53.3"
    assert summary["stroke-call-to-hospital"]["centile90_minutes"] == "70.0"
    survival = next(row for row in rows if row["indicator"] == "survival-30-days")
    assert survival["note"].startswith("not computable") and survival["denominator"] == ""


def test_fhir_measure_report_is_valid_and_holds_the_counts(
        vault: tuple[Site, dict[str, str]]) -> None:
    site, _ = vault
    r = site.client.get("/quality/measure-report.json", params={"month": MONTH})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    data = json.loads(r.text)
    report = MeasureReport.model_validate(data)
    assert report.status == "complete" and report.type == "summary"
    assert str(report.period.start) == "2026-11-01" and str(report.period.end) == "2026-11-30"
    groups = {g["code"]["coding"][0]["code"]: g for g in data["group"]}
    for indicator, (denominator, numerator, _) in EXPECTED.items():
        key = indicator if indicator in groups else f"{indicator}-mean"
        counts = {p["code"]["coding"][0]["code"]: p["count"] for p in groups[key]["population"]}
        assert (counts["denominator"], counts["numerator"]) == (denominator, numerator)
    assert groups["stemi-care-bundle"]["measureScore"]["value"] == 0.4
    assert groups["stroke-call-to-hospital-centile90"]["measureScore"]["value"] == 70.0
    assert "population" not in groups["survival-30-days"]  # never a zero
    assert "measureScore" not in groups["survival-30-days"]


def test_views_and_exports_are_audited(vault: tuple[Site, dict[str, str]]) -> None:
    site, labels = vault
    before = len(read_audit(site.node))
    site.client.get("/quality", params={"month": MONTH})
    site.client.get("/quality/indicators.csv", params={"month": MONTH})
    events = [e for e in read_audit(site.node)[before:] if e.get("staff_id") == LEAD]
    listed = [e["detail"] for e in events if e["action"] == "record.list"]
    assert [(d["what"], d["month"], d["records"], d.get("format")) for d in listed] == [
        ("quality-indicators", MONTH, IN_MONTH, None),
        ("quality-indicators", MONTH, IN_MONTH, "quality-csv")]
    exported = {labels[e["record"]] for e in events if e["action"] == "record.export"}
    named = set().union(*(missing for _, _, missing in EXPECTED.values())) | {"undated"}
    assert exported == named  # every record the CSV names, and no other


@pytest.mark.parametrize("month", ["2026-13", "november", "2026-11-01"])
def test_a_bad_month_is_refused_next_to_its_field(vault: tuple[Site, dict[str, str]],
                                                  month: str) -> None:
    site, _ = vault
    page = site.client.get("/quality", params={"month": month})
    assert page.status_code == 422
    assert 'id="f-month-error"' in page.text and "YYYY-MM" in page.text
    assert 'data-records=' not in page.text
    export = site.client.get("/quality/indicators.csv", params={"month": month},
                             headers={"Accept": "application/json"})
    assert export.status_code == 422 and export.json()["field"] == "month"


def test_an_admin_and_an_auditor_may_not_see_the_indicators(tmp_path: Path,
                                                            trust: Trust) -> None:
    site = console_site(tmp_path / "vault", trust, role="vault", name="vault-records")
    try:
        site.login(ADMIN, ADMIN_PASSWORD, pyotp.TOTP(site.totp[ADMIN]).now())
        for path in ("/quality", "/quality/indicators.csv", "/quality/measure-report.json"):
            assert site.client.get(path, headers={"Accept": "application/json"}).status_code == 403
        site.client.post("/logout", data={"csrf": site.csrf("/admin")})
        site.login(AUDITOR, AUDITOR_PASSWORD)
        assert site.client.get("/quality").status_code == 403
    finally:
        close(site)


def test_the_json_api_gives_a_bearer_token_the_same_month(
        vault: tuple[Site, dict[str, str]]) -> None:
    site, labels = vault
    token = api_token(site.accounts, site.node, staff_id="CL3002", role="clinical_lead")
    client = TestClient(site.client.app, base_url="http://127.0.0.1")
    try:
        r = client.get(f"/quality-indicators/{MONTH}",
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["records"] == IN_MONTH and [labels[u] for u in body["undated"]] == [
            "undated"]
        found = {i["id"]: i for i in body["indicators"]}
        for indicator, (denominator, numerator, missing) in EXPECTED.items():
            assert (found[indicator]["denominator"], found[indicator]["numerator"]) == (
                denominator, numerator)
            assert {labels[m["record"]] for m in found[indicator]["misses"]} == missing
        assert "denominator" not in found["survival-30-days"]
        assert found["survival-30-days"]["reason"]
        bad = client.get("/quality-indicators/2026-13",
                         headers={"Authorization": f"Bearer {token}"})
        assert bad.status_code == 422 and bad.json()["field"] == "month"
        anonymous = client.get(f"/quality-indicators/{MONTH}", follow_redirects=False,
                               headers={"Accept": "application/json"})
        assert anonymous.status_code == 401
        auditor = api_token(site.accounts, site.node, staff_id=AUDITOR)
        assert client.get(f"/quality-indicators/{MONTH}",
                          headers={"Authorization": f"Bearer {auditor}"}).status_code == 403
    finally:
        client.close()


def test_a_record_that_changes_is_judged_again(tmp_path: Path, trust: Trust) -> None:
    """The vault keeps each record's judgement while the record is unchanged; an entry that
    arrives later (the missing GTN and morphine, written in after) counts at the next view."""
    from carechain.operations import Actor
    from carechain.operations import quality as ops
    from carechain.testing import make_node
    from tests.quality.month import CREW

    site = console_site(tmp_path / "vault", trust, role="vault", name="vault-records")
    crew = make_node(tmp_path / "crew", trust, role="crew", name="crew-ambulance-412")
    try:
        labels = fill_vault(tmp_path / "crew", trust, site.node, crew=crew)
        lead = Actor("person", LEAD, "clinical_lead", "web", LEAD)
        door = site.client.app.state.web.door  # type: ignore[attr-defined]

        def stemi() -> tuple[int, set[str]]:
            with door.unit() as uow:
                result = ops.indicators(door, lead, uow, month=MONTH).result(
                    "stemi-care-bundle")
            return result.numerator, {labels[m.record] for m in result.misses}

        assert stemi() == (2, EXPECTED["stemi-care-bundle"][2])
        record = bytes.fromhex(next(r for r, label in labels.items()
                                    if label == "stemi-no-gtn-no-analgesia"))
        for kind, data in (
                ("medication.administered", {"drug": "GTN", "dose": 400, "unit": "mcg",
                                             "route": "SL", "given_at": "2026-11-05T09:14:00Z",
                                             "given_by": CREW}),
                ("medication.administered", {"drug": "morphine", "dose": 5, "unit": "mg",
                                             "route": "IV", "given_at": "2026-11-05T09:15:00Z",
                                             "given_by": CREW})):
            crew.append(record=record, user=CREW, kind=kind, data=data)
        site.node.ingest([s.entry for s in crew.store.record(record)])
        assert stemi() == (3, EXPECTED["stemi-care-bundle"][2] - {"stemi-no-gtn-no-analgesia"})
    finally:
        crew.close()
        close(site)
