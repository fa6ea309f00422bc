"""Bad input in every crew form: the server's rule next to the field, 422, nothing stored;
and every POST refused without its CSRF token."""

from __future__ import annotations

from typing import Any

import pytest

from carechain.node.audit import read_audit
from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew, error_of, errors_in, rule_of, tag_of

T = f"{DAY}T09:14"

# (page, form data, the field the error belongs to, words of the rule shown)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "incident",
        {"call_received": f"{DAY}T10:00", "on_scene": f"{DAY}T09:00"},
        "on_scene",
        "is before call_received",
    ),
    ("incident", {"category": "7"}, "category", "must be between 1 and 4 (ARP category)"),
    (
        "incident",
        {"location-lat": "95", "location-lon": "1"},
        "location-lat",
        "must be between -90 and 90 degrees",
    ),
    ("incident", {"location-lat": "51.5"}, "location-lon", "is required"),
    ("incident", {"mobile": "yesterday"}, "mobile", "must be an ISO 8601 date-time"),
    (
        "patient",
        {"nhs_number": "1234567890"},
        "nhs_number",
        rule_of("patient.recorded", {"nhs_number": "1234567890"})[1],
    ),
    ("patient", {"date_of_birth": "2999-01-01"}, "date_of_birth", "must not be in the future"),
    ("patient", {"postcode": "nowhere"}, "postcode", "must be a UK postcode"),
    ("patient", {"next_of_kin-phone": "call me"}, "next_of_kin-phone", "must be a phone number"),
    ("patient", {"weight_kg": "500"}, "weight_kg", "must be between 0.3 and 350 kg"),
    (
        "patient-history",
        {"safeguarding-concerns": "yes"},
        "safeguarding-details",
        "is required when concerns is true",
    ),
    (
        "patient-history",
        {"capacity-has_capacity": "no"},
        "capacity-assessment",
        "is required when has_capacity is false",
    ),
    ("patient-history", {"allergies-1-reaction": "rash"}, "allergies-1-substance", "is required"),
    (
        "patient-history",
        {"allergies-0-substance": "latex", "no_known_allergies": "on"},
        "no_known_allergies",
        "cannot be true while allergies are recorded",
    ),
    (
        "patient-history",
        {"time_last_known_well": "2999-01-01T09:00"},
        "time_last_known_well",
        "must not be after the time now",
    ),
    ("primary-survey", {"airway-status": "flapping"}, "airway-status", "must be one of: patent"),
    ("secondary-survey", {"head": "x" * 4001}, "head", "must be at most 4000 characters"),
    ("observations", {"taken_at": T, "pulse": "400"}, "pulse", "must be between 20 and 300 /min"),
    (
        "observations",
        {"taken_at": T, "respiratory_rate": "fast"},
        "respiratory_rate",
        "must be a whole number",
    ),
    (
        "observations",
        {"taken_at": T, "temperature_c": "37.25"},
        "temperature_c",
        "must have at most one decimal place",
    ),
    (
        "observations",
        {"taken_at": T, "diastolic_bp": "80"},
        "diastolic_bp",
        "needs systolic_bp in the same entry",
    ),
    (
        "observations",
        {"taken_at": T, "gcs_eye": "4"},
        "gcs_verbal",
        "GCS needs all three of gcs_eye, gcs_verbal, gcs_motor, or none",
    ),
    (
        "observations",
        {"taken_at": T, "spo2": "88", "spo2_scale": "2"},
        "spo2_scale",
        'scale 2 is only used when spo2_target "88-92"',
    ),
    ("observations", {"taken_at": T}, "form", "record at least one measurement"),
    ("observations", {"pulse": "80"}, "taken_at", "is required"),
    (
        "medications",
        {
            "drug": "aspirin",
            "dose": "-1",
            "unit": "mg",
            "route": "PO",
            "given_at": T,
            "given_by": "P100234",
        },
        "dose",
        "must be greater than 0",
    ),
    (
        "medications",
        {"drug": "aspirin", "dose": "300", "route": "PO", "given_at": T, "given_by": "P100234"},
        "unit",
        "is required",
    ),
    (
        "medications",
        {
            "drug": "aspirin",
            "dose": "300",
            "unit": "mg",
            "route": "PO",
            "given_at": T,
            "given_by": "P 1",
        },
        "given_by",
        "must be a staff id",
    ),
    (
        "procedures",
        {"procedure": "other", "performed_at": T, "performed_by": "P100234"},
        "details",
        'is required when procedure is "other"',
    ),
    (
        "procedures",
        {"procedure": "splinting", "attempts": "11", "performed_at": T, "performed_by": "P100234"},
        "attempts",
        "must be between 1 and 10",
    ),
    ("impression", {"category": "bogus"}, "category", "must be one of: cardiac-chest-pain"),
    (
        "disposition",
        {"outcome": "not-conveyed", "decision_by": "P100234"},
        "safety_netting",
        "is required when outcome is not-conveyed",
    ),
    (
        "disposition",
        {"outcome": "conveyed", "pre_alert": "on"},
        "pre_alert_category",
        "is required when pre_alert is true",
    ),
    (
        "disposition",
        {"outcome": "conveyed", "hospital_node": "nowhere"},
        "hospital_node",
        "no hospital, vault or crew node named 'nowhere'",
    ),
    (
        "disposition",
        {
            "outcome": "not-conveyed",
            "hospital": "Colchester General",
            "safety_netting": "Call 999 if worse",
            "decision_by": "P100234",
        },
        "hospital",
        "is only recorded when outcome is conveyed",
    ),
    ("notes", {"text": "   "}, "text", "is required"),
]


def _is_refused(crew: Crew, page: str, field: str, rule: str, before: int) -> None:
    assert crew.count() == before, "nothing may be stored"
    shown = error_of(page, field)
    assert shown is not None, f"no error next to {field}: {errors_in(page)}"
    assert rule in shown, (rule, shown)
    if field != "form":
        tag = tag_of(page, field)
        if not tag.startswith("<fieldset"):
            assert 'aria-invalid="true"' in tag, tag
        assert f"{field}-error" in tag, tag
    assert page.count("<h1") == 1


@pytest.mark.parametrize(
    ("slug", "data", "field", "rule"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD]
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    crew_site: Site, slug: str, data: dict[str, Any], field: str, rule: str
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/{slug}", data)
    assert r.status_code == 422, r.text
    _is_refused(crew, r.text, field, rule, before)
    # What was typed is still there to correct.
    for key, value in data.items():
        if isinstance(value, str) and value.strip() and key != "head":
            assert value.replace('"', "&#34;") in r.text or "selected" in r.text


def test_a_patient_who_is_no_longer_unknown_needs_a_name(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(record, "patient", {"unknown_patient": "on"})
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/patient", {"sex": "female"})  # box now unticked
    assert r.status_code == 422
    _is_refused(crew, r.text, "family_name", "needs a given_name or family_name", before)


def test_a_bad_new_record_is_refused_on_the_jobs_page(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    before = crew.count()
    r = crew.post("/crew/records", {"callsign": "R" * 201, "vehicle": "DA23 XKE"})
    assert r.status_code == 422
    _is_refused(crew, r.text, "callsign", "must be at most 200 characters", before)


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        (
            {
                "clinician_name": "Sam Patel",
                "clinician_role": "paramedic",
                "signed_at": T,
                "declaration": "on",
            },
            "registration",
            "is required for a paramedic",
        ),
        (
            {
                "clinician_name": "Sam Patel",
                "clinician_role": "paramedic",
                "registration": "X1",
                "signed_at": T,
                "declaration": "on",
            },
            "registration",
            "must be an HCPC paramedic",
        ),
        (
            {
                "clinician_name": "Sam Patel",
                "clinician_role": "paramedic",
                "registration": "PA123456",
                "signed_at": T,
            },
            "declaration",
            "must be true",
        ),
        (
            {
                "clinician_role": "paramedic",
                "registration": "PA123456",
                "signed_at": T,
                "declaration": "on",
            },
            "clinician_name",
            "is required",
        ),
    ],
)
def test_a_bad_sign_off_is_refused(
    crew_site: Site, data: dict[str, Any], field: str, rule: str
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/signoff", data)
    assert r.status_code == 422
    _is_refused(crew, r.text, field, rule, before)


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"taken_at": T, "pulse": "104", "reason": ""}, "reason", "an amendment needs a reason"),
        (
            {"taken_at": T, "pulse": "400", "reason": "misread"},
            "pulse",
            "must be between 20 and 300 /min",
        ),
    ],
)
def test_a_bad_amendment_is_refused(
    crew_site: Site, data: dict[str, Any], field: str, rule: str
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    entry = crew.save(record, "observations", {"taken_at": T, "pulse": "112"})
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/amend/{entry}", data)
    assert r.status_code == 422
    _is_refused(crew, r.text, field, rule, before)


def _posts(record: str, entry: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("/crew/records", {"callsign": "RRV-1"}),
        (f"/crew/records/{record}/observations", {"taken_at": T, "pulse": "80"}),
        (f"/crew/records/{record}/patient", {"given_name": "Arthur"}),
        (
            f"/crew/records/{record}/signoff",
            {
                "clinician_name": "Sam Patel",
                "clinician_role": "paramedic",
                "registration": "PA123456",
                "signed_at": T,
                "declaration": "on",
            },
        ),
        (
            f"/crew/records/{record}/amend/{entry}",
            {"taken_at": T, "pulse": "90", "reason": "misread"},
        ),
        ("/crew/api/news2-preview", {"respiratory_rate": "25"}),
    ]


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_every_post_needs_the_csrf_token(crew_site: Site, token: str) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    entry = crew.save(record, "observations", {"taken_at": T, "pulse": "112"})
    before = crew.count()
    for path, data in _posts(record, entry):
        body = {**data, "csrf": token} if token else data
        r = crew.post(path, body, csrf=False)
        assert r.status_code == 403, path
        assert r.json()["type"].endswith("/csrf-rejected")
    assert crew.count() == before


def test_a_browser_sees_a_page_when_refused(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    r = crew.client.post(
        f"/crew/records/{record}/notes", data={"text": "x"}, headers={"Accept": "text/html"}
    )
    assert r.status_code == 403 and "<h1>Not allowed</h1>" in r.text


def test_an_administrator_reads_no_clinical_record(crew_site: Site) -> None:
    import pyotp

    _, uri = crew_site.accounts.create_person(
        "A300001",
        "Ada Admin",
        "admin",
        "582047",
        node_role="crew",
        now_ms=crew_site.node.clock_ms(),
    )
    crew = Crew(crew_site).login()  # a paramedic opens a record first
    record = crew.open()
    crew.client.post("/logout", data={"csrf": crew.token})
    assert uri is not None
    crew.site.login("A300001", "582047", pyotp.TOTP(pyotp.parse_uri(uri).secret).now())
    assert crew.client.get("/crew").status_code == 403
    assert crew.client.get(f"/crew/records/{record}").status_code == 403
    assert not [e for e in read_audit(crew.node) if e["action"] == "record.view"]
