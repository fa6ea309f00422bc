"""Issue 10 item 7: nothing is created until there is something to record; every broken
rule of a form is shown at once; a form too large gets a page in the app's own style."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from carechain.errors import FieldInvalid
from carechain.records import kinds
from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew, errors_in


def test_one_tap_on_new_record_creates_nothing(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    before = crew.count()
    r = crew.post("/crew/records", {"callsign": "", "vehicle": ""})
    assert r.status_code == 422
    assert "Enter the call sign" in errors_in(r.text)["callsign"]
    assert crew.count() == before  # no grant, no record.opened: nothing at all
    assert 'data-testid="job-row"' not in crew_site.client.get("/crew").text


def test_the_new_record_form_asks_for_the_incident_in_the_same_form(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    page = crew_site.client.get("/crew").text
    for field in ("callsign", "vehicle", "incident_number", "dispatch_complaint"):
        assert f'id="{field}"' in page
    r = crew.post("/crew/records", {"callsign": "RRV-412", "vehicle": "DA23 XKE",
                                    "incident_number": "ECA-2611-0412",
                                    "dispatch_complaint": "chest pain"})
    assert r.status_code == 303
    record = r.headers["location"].rsplit("/", 1)[1]
    sections = crew.state(record)["sections"]
    assert sections["record"]["callsign"] == "RRV-412"
    assert sections["incident"] == {"incident_number": "ECA-2611-0412",
                                    "dispatch_complaint": "chest pain"}


def test_a_new_record_shows_every_error_at_once(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    before = crew.count()
    r = crew.post("/crew/records", {"callsign": "", "incident_number": "I" * 201})
    assert r.status_code == 422
    found = errors_in(r.text)
    assert set(found) == {"callsign", "incident_number"}, found
    assert crew.count() == before


def _every_rule(real: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """validate_body as the shared contract has it: `extra["errors"]` lists every rule."""

    def validate(kind: str, data: Any) -> Any:
        try:
            return real(kind, data)
        except FieldInvalid as exc:
            if "errors" not in exc.extra and isinstance(data, dict):
                listed = []
                for key, value in data.items():
                    try:
                        real(kind, {"taken_at": data.get("taken_at"), key: value})
                    except FieldInvalid as one:
                        listed.append({"field": one.field, "rule": one.rule})
                exc.extra["errors"] = listed
            raise

    return validate


def test_every_out_of_range_vital_is_shown_at_once(crew_site: Site,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinds, "validate_body", _every_rule(kinds.validate_body))
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/observations", {
        "taken_at": f"{DAY}T09:14", "pulse": "-5", "spo2": "140", "respiratory_rate": "20"})
    assert r.status_code == 422
    found = errors_in(r.text)
    assert {"pulse", "spo2"} <= set(found), found
    assert "respiratory_rate" not in found
    assert crew.count() == before


def test_without_the_list_the_single_error_is_shown_as_before(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    r = crew.post(f"/crew/records/{record}/observations", {
        "taken_at": f"{DAY}T09:14", "pulse": "-5", "respiratory_rate": "20"})
    assert r.status_code == 422
    assert list(errors_in(r.text)) == ["pulse"]


def test_a_note_over_64_kb_gets_a_page_in_the_apps_style(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    body = {"csrf": crew.token, "text": "x" * (65 * 1024)}
    r = crew_site.client.post(f"/crew/records/{record}/notes", data=body,
                              headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Too long to save</h1>" in r.text and "/static/app.css" in r.text
    assert "nothing was saved" in r.text and crew.count() == before
    api = crew_site.client.post(f"/crew/records/{record}/notes", data=body,
                                headers={"Accept": "application/json"})
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"
