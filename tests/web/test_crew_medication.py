"""The medication form against the trust formulary: breaches shown next to their fields, an
override with a reason recorded before the dose, and breaches that cannot be overridden."""

from __future__ import annotations

from typing import Any

from carechain.node.audit import audit_record
from tests.web.conftest import Site
from tests.web.test_crew_support import DAY, Crew, error_of, history_of, tag_of, text_of

DOSE = {
    "drug": "aspirin",
    "dose": "600",
    "unit": "mg",
    "route": "PO",
    "given_at": f"{DAY}T09:16",
    "given_by": "P100234",
}


def _give(crew: Crew, record: str, **changes: Any) -> Any:
    return crew.post(f"/crew/records/{record}/medications", {**DOSE, **changes})


def test_an_overdose_is_shown_then_given_with_a_recorded_override(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = _give(crew, record)
    assert r.status_code == 422 and crew.count() == before
    breaches = text_of(r.text, "dose-breaches")
    assert "600 mg is over the maximum single dose of 300 mg" in breaches
    assert 'data-rule="formulary.max-single-dose"' in r.text
    assert "dose-breaches" in tag_of(r.text, "dose")
    assert 'aria-invalid="true"' in tag_of(r.text, "dose")
    assert "Give an override reason" in error_of(r.text, "form")  # type: ignore[operator]
    assert 'id="override_reason"' in r.text
    assert 'value="600"' in r.text  # what was typed stays

    # Too short a reason is refused next to the reason, nothing stored.
    r = _give(crew, record, override_reason="because")
    assert r.status_code == 422 and crew.count() == before
    assert "at least 10" in error_of(r.text, "override_reason")  # type: ignore[operator]

    r = _give(crew, record, override_reason="Senior clinician advice by phone: loading dose")
    assert r.status_code == 303
    [override] = history_of(crew, record, "safety.override")
    [dose] = history_of(crew, record, "medication.administered")
    kinds = [h["kind"] for h in crew.state(record)["history"]]
    assert kinds.index("safety.override") < kinds.index("medication.administered")
    assert override["data"]["reason"] == "Senior clinician advice by phone: loading dose"
    assert override["data"]["breaches"][0]["rule"] == "formulary.max-single-dose"
    assert dose["data"]["dose"] == 600
    history = crew.page(record, "history")
    assert 'data-kind="safety.override"' in history
    assert "Senior clinician advice by phone" in text_of(
        crew.page(record, "medications"), "overrides"
    )


def test_an_unknown_drug_cannot_be_overridden(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = _give(crew, record, drug="unobtainium", dose="1")
    assert r.status_code == 422
    assert "unobtainium is not in the formulary" in text_of(r.text, "drug-breaches")
    assert "cannot be overridden" in text_of(r.text, "drug-breaches")
    assert 'id="override_reason"' not in r.text
    r = _give(
        crew,
        record,
        drug="unobtainium",
        dose="1",
        override_reason="I am sure about this one, honestly",
    )
    assert r.status_code == 422 and crew.count() == before
    assert not history_of(crew, record, "safety.override")


def test_a_route_or_unit_the_formulary_does_not_allow_is_refused(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = _give(crew, record, dose="300", route="IV")
    assert r.status_code == 422 and 'data-rule="formulary.route"' in r.text
    assert "aspirin may not be given IV" in text_of(r.text, "route-breaches")
    r = _give(crew, record, dose="300", unit="g")
    assert r.status_code == 422
    assert "re-enter the dose" in text_of(r.text, "unit-breaches")
    assert crew.count() == before


def test_a_recorded_allergy_is_a_breach_next_to_the_drug(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(
        record,
        "patient-history",
        {"allergies-0-substance": "aspirin", "allergies-0-reaction": "wheeze"},
    )
    before = crew.count()
    r = _give(crew, record, dose="300")
    assert r.status_code == 422 and crew.count() == before
    assert "allergy to aspirin recorded" in text_of(r.text, "drug-breaches")
    assert 'id="override_reason"' in r.text
    assert "Allergies: aspirin (wheeze)" in text_of(r.text, "patient-allergies")


def test_an_amended_dose_meets_the_formulary_too(crew_site: Site) -> None:
    """Correcting a dose to one over the maximum is refused next to the dose, nothing
    stored; with an override reason the override is recorded before the amendment."""
    crew = Crew(crew_site).login()
    record = crew.open()
    assert _give(crew, record, dose="300").status_code == 303
    [given] = history_of(crew, record, "medication.administered")
    before = crew.count()
    amend = {**DOSE, "reason": "Dose misrecorded"}
    r = crew.post(f"/crew/records/{record}/amend/{given['entry']}", amend)
    assert r.status_code == 422 and crew.count() == before
    assert "over the maximum single dose of 300 mg" in error_of(r.text, "dose")  # type: ignore[operator]
    assert "give an override reason" in error_of(r.text, "dose")  # type: ignore[operator]
    r = crew.post(f"/crew/records/{record}/amend/{given['entry']}",
                  {**amend, "override_reason": "Senior clinician advice: 600 mg was given"})
    assert r.status_code == 303
    [override] = history_of(crew, record, "safety.override")
    assert override["data"]["reason"] == "Senior clinician advice: 600 mg was given"
    [dose] = crew.state(record)["items"]["medications"]
    assert dose["dose"] == 600 and "amended_by" in dose


# --- a life-threatening allergy needs a second clinician (issue 10, item 3) ---------------

PENICILLIN = {**DOSE, "drug": "benzylpenicillin", "dose": "1200", "route": "IV"}
REASON = "Allergy recorded in error: GP summary lists none"


def _anaphylaxis(crew: Crew) -> str:
    record = crew.open()
    crew.save(
        record,
        "patient-history",
        {
            "allergies-0-substance": "penicillin",
            "allergies-0-reaction": "anaphylaxis",
            "allergies-0-severity": "life-threatening",
        },
    )
    return record


def _second_paramedic(crew_site: Site) -> None:
    crew_site.accounts.create_person(
        "P100999", "Jo Grey", "paramedic", "573920", node_role="crew",
        now_ms=crew_site.node.clock_ms(),
    )


def test_an_anaphylaxis_asks_for_a_second_clinician(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = _anaphylaxis(crew)
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/medications", PENICILLIN)
    assert r.status_code == 422 and crew.count() == before
    assert "(life-threatening: anaphylaxis)" in text_of(r.text, "drug-breaches")
    assert "second clinician" in error_of(r.text, "form")  # type: ignore[operator]
    assert 'id="override_reason"' in r.text
    # The confirmation's inputs belong to the medication form wherever they are shown.
    assert 'form="medications-form"' in tag_of(r.text, "confirm_staff_id")
    assert 'type="password"' in tag_of(r.text, "confirm_pin")
    # A reason alone, the old way, is refused and stores nothing.
    r = crew.post(f"/crew/records/{record}/medications", {**PENICILLIN, "override_reason": REASON})
    assert r.status_code == 422 and crew.count() == before
    assert not history_of(crew, record, "safety.override")


def test_a_second_clinician_confirms_and_the_override_says_who(crew_site: Site) -> None:
    _second_paramedic(crew_site)
    crew = Crew(crew_site).login()
    record = _anaphylaxis(crew)
    r = crew.post(
        f"/crew/records/{record}/medications",
        {**PENICILLIN, "override_reason": REASON, "confirm_staff_id": "P100999",
         "confirm_pin": "573920"},
    )
    assert r.status_code == 303, r.text
    [override] = history_of(crew, record, "safety.override")
    assert override["data"]["confirmed_by"] == {
        "staff_id": "P100999", "name": "Jo Grey", "role": "paramedic",
    }
    assert "573920" not in str(crew.state(record))


def test_a_wrong_pin_or_role_is_shown_next_to_its_input(crew_site: Site) -> None:
    _second_paramedic(crew_site)
    crew = Crew(crew_site).login()
    record = _anaphylaxis(crew)
    before = crew.count()
    r = crew.post(
        f"/crew/records/{record}/medications",
        {**PENICILLIN, "override_reason": REASON, "confirm_staff_id": "P100999",
         "confirm_pin": "000000"},
    )
    assert r.status_code == 422
    assert "do not match" in error_of(r.text, "confirm_pin")  # type: ignore[operator]
    assert 'aria-invalid="true"' in tag_of(r.text, "confirm_pin")
    assert 'value="000000"' not in r.text  # a PIN is never shown back
    assert not history_of(crew, record, "safety.override")
    audit = crew.node.state(audit_record(crew.node))["items"]["audit"]
    assert any(e["action"] == "login.failed" and e["staff_id"] == "P100999" for e in audit)
    r = crew.post(
        f"/crew/records/{record}/medications",
        {**PENICILLIN, "override_reason": REASON, "confirm_staff_id": "T200117",
         "confirm_pin": "739201"},
    )
    assert r.status_code == 422
    assert "not a technician" in error_of(r.text, "confirm_staff_id")  # type: ignore[operator]
    assert crew.count() > before  # audit entries only
    assert not history_of(crew, record, "safety.override")
