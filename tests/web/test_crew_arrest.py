"""The crew app's cardiac-arrest timeline over HTTP: one tap per event timed by the device,
drugs through the medication path and its formulary check, the ending's criteria, and the
airway and access forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.web.conftest import Site
from tests.web.test_crew_support import Crew, errors_in, history_of, text_of


def _at(seconds_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).replace(microsecond=0).isoformat()


def _tap(crew: Crew, record: str, **data: str) -> int:
    r = crew.post(f"/crew/records/{record}/arrest/timeline", data)
    return r.status_code


def test_each_tap_is_one_event_at_the_device_time(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    assert "No arrest recorded yet" in crew.page(record, "arrest/timeline")
    assert _tap(crew, record, event="cpr-started", at=_at(120)) == 303
    assert _tap(crew, record, event="rhythm-check", rhythm="vf", at=_at(100)) == 303
    assert _tap(crew, record, event="shock", energy_j="150", at=_at(90)) == 303
    assert _tap(crew, record, event="rosc") == 303  # no device time sent: the node's clock
    events = [h["data"] for h in history_of(crew, record, "arrest.event")]
    assert [e["event"] for e in events] == ["cpr-started", "rhythm-check", "shock", "rosc"]
    assert events[0]["at"] == _at(120) or events[0]["at"] == _at(121)
    assert events[2]["energy_j"] == 150 and events[2]["by"] == "P100234"
    assert abs(datetime.fromisoformat(events[3]["at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    page = crew.page(record, "arrest/timeline")
    rows = text_of(page, "arrest-timeline")
    assert rows.index("CPR started") < rows.index("rhythm check (VF)") < rows.index("shock 150 J")
    assert rows.index("shock 150 J") < rows.index("ROSC")
    assert text_of(page, "arrest-outcome") == "ROSC · 1 shock"
    assert "witnessed" in text_of(page, "utstein-missing")


def test_a_shock_without_energy_and_an_ending_without_criteria_are_refused(
    crew_site: Site,
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/arrest/timeline", {"event": "shock", "energy_j": ""})
    assert r.status_code == 422 and crew.count() == before
    assert "energy_j is required for a shock" in text_of(r.text, "arrest-error")
    r = crew.post(f"/crew/records/{record}/arrest/timeline", {"event": "life-extinct"})
    assert r.status_code == 422 and crew.count() == before
    assert "criteria is required for life-extinct" in text_of(r.text, "arrest-error")
    ended = {
        "event": "life-extinct",
        "criteria": ["asystole-after-20-minutes-als", "no-reversible-causes"],
        "decision_by": "P100234",
    }
    assert crew.post(f"/crew/records/{record}/arrest/timeline", ended).status_code == 303
    assert text_of(crew.page(record, "arrest/timeline"), "arrest-outcome") == "Life extinct"


def test_drugs_go_through_the_medication_path_and_its_formulary_check(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    assert _tap(crew, record, event="cpr-started", at=_at(300)) == 303
    r = crew.post(f"/crew/records/{record}/arrest/drug", {"drug": "adrenaline-1mg", "route": "IO"})
    assert r.status_code == 303
    [dose] = history_of(crew, record, "medication.administered")
    assert (dose["data"]["drug"], dose["data"]["dose"], dose["data"]["route"]) == (
        "adrenaline",
        1,
        "IO",
    )
    # A second adrenaline a minute later breaks the formulary's interval: nothing stored.
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/arrest/drug", {"drug": "adrenaline-1mg"})
    assert r.status_code == 422 and crew.count() == before
    assert "medication form" in text_of(r.text, "arrest-error")
    assert "adrenaline 1 mg IO" in text_of(crew.page(record, "arrest/timeline"), "arrest-timeline")


def test_the_airway_and_access_forms_write_structured_entries(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    tube = {
        "device": "ett",
        "size": "7.5",
        "attempts": "1",
        "successful": "yes",
        "confirmation": "auscultation",
        "performed_at": when,
        "performed_by": "P100234",
    }
    r = crew.post(f"/crew/records/{record}/airway", tube)
    assert r.status_code == 422
    assert errors_in(r.text)["confirmation"] == "must be waveform-capnography when a ett is placed"
    crew.save(
        record,
        "airway",
        {**tube, "confirmation": "waveform-capnography", "etco2": "4.8", "etco2_unit": "kPa"},
    )
    crew.save(
        record,
        "access",
        {
            "route": "IO",
            "site": "right proximal humerus",
            "gauge": "15",
            "attempts": "1",
            "successful": "yes",
            "performed_at": when,
            "performed_by": "P100234",
        },
    )
    crew.save(record, "arrest", {"witnessed": "bystander", "bystander_cpr": "yes"})
    state = crew.state(record)
    assert state["items"]["airways"][0]["etco2"] == 4.8
    assert state["items"]["vascular_access"][0]["gauge"] == 15
    assert state["arrest"]["utstein"]["witnessed"] == "bystander"
    assert "airway: tracheal tube (ETT)" in text_of(
        crew.page(record, "arrest/timeline"), "arrest-timeline"
    )


def test_a_shock_at_the_wrong_time_is_amended_from_the_history(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    assert _tap(crew, record, event="cpr-started", at=_at(600)) == 303
    assert _tap(crew, record, event="shock", energy_j="200", at=_at(30)) == 303
    [shock] = [h for h in history_of(crew, record, "arrest.event") if h["data"]["event"] == "shock"]
    history = crew.page(record, "history")
    assert f'href="/crew/records/{record}/amend/{shock["entry"]}"' in history
    corrected = (datetime.now(UTC) - timedelta(minutes=8)).strftime("%Y-%m-%dT%H:%M")
    r = crew.post(
        f"/crew/records/{record}/amend/{shock['entry']}",
        {
            "event": "shock",
            "at": corrected,
            "by": "P100234",
            "energy_j": "150",
            "reason": "Tapped after the shock was given",
        },
    )
    assert r.status_code == 303, errors_in(r.text)
    timeline = crew.state(record)["arrest"]["timeline"]
    assert [t["event"] for t in timeline] == ["cpr-started", "shock"]
    assert timeline[1]["at"][:16] == corrected  # stored in UTC, as the form reads it
    assert timeline[1]["energy_j"] == 150
