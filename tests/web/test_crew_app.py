"""The crew app end to end over HTTP: a chest-pain case documented through every form and
pre-alerted to a hospital, the jobs list, the overview, audit, changed-fields-only saves,
conflicts, amendments and sign-off permissions."""

from __future__ import annotations

from pathlib import Path

from carechain.node.audit import read_audit
from carechain.testing import Trust, make_node
from tests.web.conftest import Site
from tests.web.test_crew_support import (
    DAY,
    TECH,
    Crew,
    add_hospital,
    history_of,
    tag_of,
    text_of,
    value_of,
)


def test_crew_pages_need_a_login(crew_site: Site) -> None:
    r = crew_site.client.get("/crew", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/crew"
    r = crew_site.client.get("/crew/api/status")
    assert r.status_code == 401


def test_a_new_record_is_in_todays_jobs(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    assert 'id="no-jobs"' in crew.client.get("/crew").text
    record = crew.open("RRV-412", "DA23 XKE")
    assert crew.state(record)["sections"]["record"]["callsign"] == "RRV-412"
    assert crew.state(record)["sections"]["record"]["crew"] == ["P100234"]
    page = crew.client.get("/crew").text
    assert f'data-record="{record}"' in page
    row = page.split(f'data-record="{record}"')[1].split("</tr>")[0]
    assert "RRV-412" in row and "unknown patient" in row and "not signed" in row
    assert "on this device only" in row


def test_jobs_are_newest_first(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    first, second = crew.open("RRV-1"), crew.open("RRV-2")
    page = crew.client.get("/crew").text
    assert page.index(second) < page.index(first)


def _chest_pain(crew: Crew, record: str) -> None:
    """Document a 67-year-old man with an inferior STEMI through every form."""
    crew.save(
        record,
        "incident",
        {
            "incident_number": "ECA-2611-0412",
            "category": "2",
            "dispatch_complaint": "Chest pain, 67M, clammy",
            "address": "14 Mill Lane, Colchester",
            "location-lat": "51.889",
            "location-lon": "0.903",
            "call_received": f"{DAY}T09:00",
            "mobile": f"{DAY}T09:01",
            "on_scene": f"{DAY}T09:11",
            "patient_contact": f"{DAY}T09:12",
        },
    )
    crew.save(
        record,
        "patient",
        {
            "given_name": "Arthur",
            "family_name": "Pemberton",
            "date_of_birth": "1959-03-14",
            "sex": "male",
            "nhs_number": "943 476 5919",
            "postcode": "co1 1aa",
            "gp_practice": "Mill Lane Surgery",
            "weight_kg": "82",
            "next_of_kin-name": "Margaret Pemberton",
            "next_of_kin-relationship": "wife",
        },
    )
    crew.save(
        record,
        "patient-history",
        {
            "presenting_complaint": "Central crushing chest pain radiating to the left arm",
            "history_of_presenting_complaint": "Onset at rest 40 minutes before the call",
            "past_medical_history": "hypertension\r\ntype 2 diabetes\r\n",
            "medications": "ramipril 5 mg\nmetformin 500 mg",
            "allergies-0-substance": "penicillin",
            "allergies-0-reaction": "rash",
            "allergies-0-severity": "moderate",
            "allergies-2-substance": "latex",
            "suspected_infection": "no",
            "trauma": "no",
            "consent": "given",
            "safeguarding-concerns": "no",
            "capacity-has_capacity": "yes",
            "time_last_known_well": f"{DAY}T08:20",
        },
    )
    crew.save(
        record,
        "primary-survey",
        {
            "catastrophic_haemorrhage-status": "none",
            "airway-status": "patent",
            "breathing-status": "normal",
            "circulation-status": "abnormal",
            "circulation-notes": "tachycardic, clammy",
            "disability-status": "normal",
            "exposure-status": "normal",
        },
    )
    crew.save(
        record, "secondary-survey", {"chest": "No chest wall tenderness", "befast-assessed": "on"}
    )
    crew.save(
        record,
        "observations",
        {
            "taken_at": f"{DAY}T09:14",
            "respiratory_rate": "22",
            "spo2": "95",
            "oxygen": "no",
            "systolic_bp": "104",
            "diastolic_bp": "68",
            "pulse": "112",
            "acvpu": "A",
            "gcs_eye": "4",
            "gcs_verbal": "5",
            "gcs_motor": "6",
            "temperature_c": "36.8",
            "blood_glucose_mmol_l": "9.1",
            "pain_score": "8",
            "ecg_rhythm": "sinus-tachycardia",
            "twelve_lead-st_elevation_leads": ["II", "III", "aVF"],
            "twelve_lead-interpretation": "ST elevation II, III, aVF",
        },
    )
    crew.save(
        record,
        "medications",
        {
            "drug": "aspirin",
            "dose": "300",
            "unit": "mg",
            "route": "PO",
            "given_at": f"{DAY}T09:16",
            "given_by": "P100234",
            "batch": "AS2291",
        },
    )
    crew.save(
        record,
        "medications",
        {
            "drug": "glyceryl trinitrate",
            "dose": "400",
            "unit": "mcg",
            "route": "SL",
            "given_at": f"{DAY}T09:17",
            "given_by": "P100234",
        },
    )
    crew.save(
        record,
        "procedures",
        {
            "procedure": "cannulation-iv",
            "site": "left antecubital fossa",
            "attempts": "1",
            "successful": "yes",
            "performed_at": f"{DAY}T09:18",
            "performed_by": "P100234",
        },
    )
    crew.save(
        record,
        "impression",
        {"working_impression": "Inferior STEMI", "category": "stemi", "trauma": "no"},
    )
    crew.save(
        record,
        "disposition",
        {
            "outcome": "conveyed",
            "hospital_node": "hospital-a",
            "pre_alert": "on",
            "pre_alert_category": "stemi",
            "eta": f"{DAY}T09:55",
            "requirements": "PPCI lab on arrival",
        },
    )
    crew.save(record, "notes", {"text": "Wife travelling separately."})


def test_a_chest_pain_stemi_case_through_every_form_pre_alerted_to_a_hospital(
    crew_site: Site, trust: Trust, tmp_path: Path
) -> None:
    hospital = add_hospital(tmp_path, trust, crew_site.node)
    crew = Crew(crew_site).login()
    record = crew.open()
    assert '<option value="hospital-a">' in crew.page(record, "disposition")
    _chest_pain(crew, record)

    state = crew.state(record)
    sections, items = state["sections"], state["items"]
    assert sections["incident"]["on_scene"] == f"{DAY}T09:11:00+00:00"
    assert sections["incident"]["location"] == {"lat": 51.889, "lon": 0.903}
    assert sections["patient"]["nhs_number"] == "9434765919"
    assert sections["patient"]["postcode"] == "CO1 1AA"
    assert sections["patient"]["next_of_kin"] == {
        "name": "Margaret Pemberton",
        "relationship": "wife",
    }
    assert sections["history"]["past_medical_history"] == ["hypertension", "type 2 diabetes"]
    assert sections["history"]["allergies"] == [
        {"substance": "penicillin", "reaction": "rash", "severity": "moderate"},
        {"substance": "latex"},
    ]
    assert sections["history"]["capacity"] == {"has_capacity": True}
    assert sections["primary_survey"]["circulation"] == {
        "status": "abnormal",
        "notes": "tachycardic, clammy",
    }
    assert sections["secondary_survey"]["befast"] == dict.fromkeys(
        ("balance", "eyes", "face", "arm", "speech"), False
    )
    [obs] = items["observations"]
    assert obs["pulse"] == 112 and obs["temperature_c"] == 36.8 and obs["oxygen"] is False
    assert obs["twelve_lead"]["st_elevation_leads"] == ["II", "III", "aVF"]
    assert [m["drug"] for m in items["medications"]] == ["aspirin", "glyceryl trinitrate"]
    assert items["procedures"][0]["successful"] is True
    assert sections["impression"]["category"] == "stemi"
    assert sections["disposition"]["hospital_node"] == "hospital-a"
    assert sections["disposition"]["hospital"] == "hospital-a"
    assert items["notes"][0]["text"] == "Wife travelling separately."
    # Decision support, from the fold: NEWS2 6 (RR 2, SpO2 1, BP 1, pulse 2) and a STEMI.
    assert state["scores"]["news2"]["aggregate"] == 6
    assert state["scores"]["stemi"]["territory"]
    rules = {p["rule"] for p in state["prompts"]}
    assert "stemi.st-elevation" in rules
    # Choosing the hospital granted the record to it, and the grant is audited.
    assert {"name": "hospital-a", "role": "hospital"}.items() <= next(
        r for r in state["recipients"] if r["name"] == "hospital-a"
    ).items()
    grants = [e for e in read_audit(crew.node) if e["action"] == "key.grant"]
    assert [(g["record"], g["detail"]["node"], g["detail"]["interface"]) for g in grants] == [
        (record, "hospital-a", "web")]

    overview = crew.page(record)
    assert text_of(overview, "patient-name") == "Arthur Pemberton"
    assert "Allergies: penicillin (rash), latex" in text_of(overview, "patient-allergies")
    assert 'data-rule="stemi.st-elevation"' in overview
    assert 'data-aggregate="6"' in overview

    handover = crew.page(record, "handover")
    text = text_of(handover, "handover-text")
    assert "pre-alert: STEMI" in text and "hospital-a" in text
    assert tag_of(handover, "handover-text").count('data-format="SBAR"') == 1
    assert "It goes to hospital-a with the next sync" in text_of(handover, "no-receipt")
    assert "pre-alert: STEMI" in text_of(crew.page(record, "disposition"), "handover-text")

    crew.post(
        f"/crew/records/{record}/signoff",
        {
            "clinician_name": "Sam Patel",
            "clinician_role": "paramedic",
            "registration": "pa 123456",
            "signed_at": f"{DAY}T10:20",
            "declaration": "on",
        },
    )
    signoff = crew.state(record)["sections"]["signoff"]
    assert signoff["registration"] == "PA123456" and signoff["declaration"] is True
    assert "Signed by Sam Patel" in text_of(crew.page(record, "handover"), "signed-status")
    row = crew.client.get("/crew").text.split(f'data-record="{record}"')[1].split("</tr>")[0]
    assert "Arthur Pemberton" in row and "ECA-2611-0412" in row and ">signed<" in row
    assert "medium" in row
    hospital.close()


def test_the_overview_shows_news2_parts_and_prompts(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(
        record,
        "observations",
        {
            "taken_at": f"{DAY}T09:14",
            "respiratory_rate": "25",
            "spo2": "91",
            "oxygen": "no",
            "systolic_bp": "120",
            "pulse": "95",
            "acvpu": "A",
            "temperature_c": "37.0",
        },
    )
    page = crew.page(record)
    assert 'data-aggregate="7"' in page and 'data-band="high"' in page
    assert "NEWS2 7 — high: emergency response, consider pre-alert" in text_of(page, "prompts")
    components = text_of(page, "news2-components")
    assert "respiration rate 3" in components and "SpO2 3" in components
    assert "pulse 1" in components and "systolic BP 0" in components
    assert "Pulse (/min): 95" in text_of(page, "latest-values")


def test_viewing_a_record_is_audited(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.page(record)
    crew.page(record, "history")
    views = [e for e in read_audit(crew.node) if e["action"] == "record.view"]
    assert [(v["record"], v["staff_id"], v["detail"]["what"]) for v in views] == [
        (record, "P100234", "overview"),
        (record, "P100234", "history"),
    ]


def test_a_single_valued_form_sends_only_what_changed(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    crew.save(
        record, "patient", {"given_name": "Arthur", "family_name": "Pemberton", "sex": "male"}
    )
    page = crew.page(record, "patient")
    assert value_of(page, "given_name") == "Arthur"
    assert 'value="male" selected' in page
    shown = value_of(page, "_shown")
    crew.save(
        record,
        "patient",
        {"_shown": shown, "given_name": "Arthur", "family_name": "Pemberton-Smith", "sex": "male"},
    )
    assert history_of(crew, record, "patient.recorded")[-1]["data"] == {
        "family_name": "Pemberton-Smith"
    }
    # Emptying a field clears it; saving with nothing changed stores nothing.
    shown = value_of(crew.page(record, "patient"), "_shown")
    crew.save(
        record,
        "patient",
        {"_shown": shown, "given_name": "", "family_name": "Pemberton-Smith", "sex": "male"},
    )
    assert history_of(crew, record, "patient.recorded")[-1]["data"] == {"given_name": None}
    before = crew.count()
    shown = value_of(crew.page(record, "patient"), "_shown")
    assert (
        crew.save(
            record, "patient", {"_shown": shown, "family_name": "Pemberton-Smith", "sex": "male"}
        )
        == "none"
    )
    assert crew.count() == before + 1  # only the audit of reading the page
    assert "Nothing changed" in crew.client.get(f"/crew/records/{record}/patient?saved=none").text
    # A field the post does not carry at all is left as it is (only unticked boxes are
    # absent from a browser's post).
    crew.save(record, "patient", {"sex": "female"})
    assert history_of(crew, record, "patient.recorded")[-1]["data"] == {"sex": "female"}
    assert crew.state(record)["sections"]["patient"]["family_name"] == "Pemberton-Smith"


def test_a_conflict_shows_both_values_and_who_wrote_them(
    crew_site: Site, trust: Trust, tmp_path: Path
) -> None:
    crew = Crew(crew_site).login()
    other = make_node(tmp_path / "crew-2", trust, name="crew-2")
    crew.node.ingest([s.entry for s in other.store.since(0, 100)])
    record = crew.open()
    rid = bytes.fromhex(record)
    crew.node.address_to(record=rid, user="P100234", node_name="crew-2")
    other.ingest([s.entry for s in crew.node.store.since(0, 1000)])
    # Both devices write the family name without seeing each other's entry.
    other.append(record=rid, user="P100999", kind="patient.recorded", data={"family_name": "Smyth"})
    crew.save(record, "patient", {"family_name": "Smithe"})
    crew.node.ingest([s.entry for s in other.store.since(0, 1000)])

    page = crew.page(record)
    conflict = text_of(page, "conflicts")
    assert "“Smithe” by P100234 on crew-1" in conflict
    assert "“Smyth” by P100999 on crew-2" in conflict
    form = crew.page(record, "patient")
    assert "Smyth" in text_of(form, "family_name-conflict")
    assert "family_name-conflict" in tag_of(form, "family_name")
    # Saving the field, even unchanged, settles the conflict.
    crew.save(
        record,
        "patient",
        {"_shown": value_of(form, "_shown"), "family_name": value_of(form, "family_name")},
    )
    assert crew.state(record)["conflicts"] == []
    assert 'id="conflicts"' not in crew.page(record)
    other.close()


def test_an_amendment_keeps_the_original_visible(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    entry = crew.save(
        record, "observations", {"taken_at": f"{DAY}T09:14", "pulse": "112", "spo2": "95"}
    )
    history = crew.page(record, "history")
    assert f'href="/crew/records/{record}/amend/{entry}"' in history
    form = crew.page(record, f"amend/{entry}")
    assert value_of(form, "pulse") == "112" and value_of(form, "taken_at") == f"{DAY}T09:14"
    r = crew.post(
        f"/crew/records/{record}/amend/{entry}",
        {"taken_at": f"{DAY}T09:14", "pulse": "104", "spo2": "95", "reason": "Misread the monitor"},
    )
    assert r.status_code == 303
    [obs] = crew.state(record)["items"]["observations"]
    assert obs["pulse"] == 104 and obs["entry"] == entry and "amended_by" in obs
    history = crew.page(record, "history")
    row = history.split(f'id="entry-{entry}"')[1].split("</tr>")[0]
    assert 'class="superseded"' in tag_of(history, f"entry-{entry}")
    assert "<del" in row and "Pulse (/min): 112" in row
    assert "Reason: Misread the monitor" in history
    assert 'data-testid="amend-link"' not in row  # amend the amendment, not the original
    [amendment] = history_of(crew, record, "entry.amended")
    assert amendment["data"]["supersedes"] == entry
    assert f'href="/crew/records/{record}/amend/{amendment["entry"]}"' in history


def test_a_single_valued_section_can_be_amended(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    entry = crew.save(record, "incident", {"incident_number": "ECA-1", "category": "2"})
    r = crew.post(
        f"/crew/records/{record}/amend/{entry}",
        {"incident_number": "ECA-2", "category": "2", "reason": "Wrong job number"},
    )
    assert r.status_code == 303
    assert crew.state(record)["sections"]["incident"]["incident_number"] == "ECA-2"


def test_a_technician_documents_but_cannot_sign(crew_site: Site) -> None:
    crew = Crew(crew_site).login(*TECH)
    record = crew.open()
    crew.save(record, "observations", {"taken_at": f"{DAY}T09:14", "pulse": "80"})
    page = crew.page(record, "handover")
    assert 'id="signoff-not-allowed"' in page and 'id="signoff-form"' not in page
    before = crew.count()
    r = crew.post(
        f"/crew/records/{record}/signoff",
        {
            "clinician_name": "Alex Brown",
            "clinician_role": "technician",
            "signed_at": f"{DAY}T10:20",
            "declaration": "on",
        },
    )
    assert r.status_code == 403 and crew.count() == before
    assert "signoff" not in crew.state(record)["sections"]


def test_an_unknown_record_or_section_is_not_found(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    assert crew.client.get("/crew/records/" + "ab" * 16).status_code == 404
    assert crew.client.get("/crew/records/nothex").status_code == 404
    assert crew.client.get(f"/crew/records/{record}/nowhere").status_code == 404
    assert crew.client.get(f"/crew/records/{record}/amend/{'00' * 32}").status_code == 404
