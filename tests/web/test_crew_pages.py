"""Every crew page is built the same accessible way: one h1, a label for every field, the
status bar and the script, stable ids for the browser tests."""

from __future__ import annotations

import re

from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew

PAGES = (
    "",
    "/incident",
    "/patient",
    "/patient-history",
    "/primary-survey",
    "/secondary-survey",
    "/observations",
    "/medications",
    "/procedures",
    "/impression",
    "/disposition",
    "/notes",
    "/handover",
    "/history",
)
FORMS = {
    "/incident": "incident-form",
    "/patient": "patient-form",
    "/patient-history": "patient-history-form",
    "/primary-survey": "primary-survey-form",
    "/secondary-survey": "secondary-survey-form",
    "/observations": "observations-form",
    "/medications": "medications-form",
    "/procedures": "procedures-form",
    "/impression": "impression-form",
    "/disposition": "disposition-form",
    "/notes": "notes-form",
    "/handover": "signoff-form",
}


def _check(page: str) -> None:
    assert page.count("<h1") == 1
    assert 'id="status-bar"' in page and "/static/crew.js" in page and "/static/crew.css" in page
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if 'type="hidden"' in tag:
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        assert found, f"a field without an id: {tag}"
        assert f'for="{found.group(1)}"' in page, f"no label for #{found.group(1)}"
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids must be unique"
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, re.S):
        if 'method="post"' in form:
            assert 'name="csrf"' in form


def test_every_crew_page_is_accessible_and_has_its_form(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    _check(crew.client.get("/crew").text)
    record = crew.open()
    entry = crew.save(record, "observations", {"taken_at": f"{DAY}T09:14", "pulse": "80"})
    for path in PAGES:
        page = crew.page(record, path.lstrip("/"))
        _check(page)
        assert 'id="patient-banner"' in page and 'id="count-device"' in page
        if path in FORMS:
            assert f'id="{FORMS[path]}"' in page, path
            assert f'id="{FORMS[path].replace("-form", "-submit")}"' in page, path
    _check(crew.page(record, f"amend/{entry}"))


def test_an_error_page_is_accessible_too(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    r = crew.post(
        f"/crew/records/{record}/patient-history",
        {
            "allergies-0-substance": "latex",
            "no_known_allergies": "on",
            "safeguarding-concerns": "yes",
        },
    )
    assert r.status_code == 422
    _check(r.text)
