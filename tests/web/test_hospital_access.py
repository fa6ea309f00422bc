"""Who may open a record on the hospital node: records addressed here, or break-glass with
a reason, and every attempt in the audit log (DESIGN P6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.node.audit import read_audit
from carechain.testing import Trust
from tests.web.hospital_support import AUDITOR, CASES, CLINICIAN, Ward, make_ward

REASON = "Patient self-presented to resus, unresponsive; need the ambulance history"


@pytest.fixture
def ward(tmp_path: Path, trust: Trust) -> Iterator[Ward]:
    made = make_ward(tmp_path, trust)
    yield made
    made.close()


def _shared_by_the_vault(ward: Ward) -> bytes:
    """A record the crew sent elsewhere, which the trust's vault then shared with us."""
    ward.node("hospital-b", "hospital")
    vault = ward.node("vault", "vault")
    record = ward.document(CASES["stemi"](), eta_minutes=10, hospital_node="hospital-b")
    vault.ingest([s.entry for s in ward.crew.store.since(0, 100_000)])
    hospital = ward.hospital
    vault.grant(record=record, user="vault",
                recipients={hospital.keys.box_key_id: hospital.keys.box_public})
    ward.deliver(vault)
    assert hospital.keys.box_key_id in hospital.recipients(record)  # readable, not addressed
    return record


def _actions(ward: Ward) -> list[tuple[str, str | None, str]]:
    return [(e["action"], e.get("record"), e["outcome"]) for e in read_audit(ward.hospital)
            if e["action"] != "login"]


def test_a_record_not_addressed_here_is_refused_with_an_offer_of_break_glass(ward: Ward) -> None:
    record = _shared_by_the_vault(ward)
    ward.login()
    r = ward.site.client.get(f"/hospital/records/{record.hex()}")
    assert r.status_code == 403
    assert 'data-testid="record-forbidden"' in r.text and 'id="break-glass-form"' in r.text
    assert "Arthur" not in r.text and "Pemberton" not in r.text
    assert ward.site.client.get(f"/hospital/records/{record.hex()}/events?lifetime=0") \
        .status_code == 403
    assert _actions(ward) == [("record.view", record.hex(), "refused")]


def test_break_glass_with_a_reason_opens_the_record_and_is_audited(ward: Ward) -> None:
    record = _shared_by_the_vault(ward)
    ward.login()
    path = f"/hospital/records/{record.hex()}"
    csrf = ward.site.csrf(path)
    r = ward.site.client.post(f"{path}/break-glass", data={"csrf": csrf, "reason": REASON},
                              follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == path

    page = ward.site.client.get(path)
    assert page.status_code == 200
    assert 'id="break-glass-banner"' in page.text
    assert f"Break-glass access:</strong> <span id=\"break-glass-reason\">{REASON}" in page.text
    assert "Arthur Pemberton" in page.text
    assert 'id="accept-handover"' not in page.text  # break-glass reads; it does not accept
    assert ward.site.client.post(f"{path}/accept", data={"csrf": csrf}).status_code == 403

    events = read_audit(ward.hospital)
    glass = [e for e in events if e["action"] == "break_glass"]
    assert len(glass) == 1
    assert glass[0]["staff_id"] == CLINICIAN and glass[0]["record"] == record.hex()
    assert glass[0]["detail"]["reason"] == REASON
    views = [e for e in events if e["action"] == "record.view" and e["outcome"] == "success"]
    assert views[-1]["detail"].items() >= {"access": "break_glass", "why": "break-glass",
                                            "interface": "web"}.items()
    assert ward.site.accounts.has_break_glass(CLINICIAN, record.hex(),
                                              now_ms=ward.hospital.clock_ms())


def test_the_break_glass_reason_survives_a_restart_of_the_web_app(ward: Ward) -> None:
    record = _shared_by_the_vault(ward)
    ward.login()
    path = f"/hospital/records/{record.hex()}"
    ward.site.client.post(f"{path}/break-glass",
                          data={"csrf": ward.site.csrf(path), "reason": REASON})
    del ward.site.client.app.state.hospital_glass  # type: ignore[attr-defined]
    assert REASON in ward.site.client.get(path).text


def test_a_short_reason_is_refused_next_to_the_field_and_nothing_is_stored(ward: Ward) -> None:
    record = _shared_by_the_vault(ward)
    ward.login()
    path = f"/hospital/records/{record.hex()}"
    csrf = ward.site.csrf(path)
    before = ward.hospital.store.count()
    r = ward.site.client.post(f"{path}/break-glass", data={"csrf": csrf, "reason": "  need it "})
    assert r.status_code == 422
    assert 'id="reason-error"' in r.text and "at least 10 characters" in r.text
    assert 'aria-describedby="reason-hint reason-error"' in r.text
    assert ">need it </textarea>" in r.text or "need it" in r.text
    assert ward.hospital.store.count() == before
    assert not ward.site.accounts.has_break_glass(CLINICIAN, record.hex(),
                                                  now_ms=ward.hospital.clock_ms())
    assert ward.site.client.get(path).status_code == 403


def test_break_glass_without_the_csrf_token_is_refused(ward: Ward) -> None:
    record = _shared_by_the_vault(ward)
    ward.login()
    before = ward.hospital.store.count()
    r = ward.site.client.post(f"/hospital/records/{record.hex()}/break-glass",
                              data={"reason": REASON})
    assert r.status_code == 403
    assert ward.hospital.store.count() == before
    assert not ward.site.accounts.has_break_glass(CLINICIAN, record.hex(),
                                                  now_ms=ward.hospital.clock_ms())


def test_a_diverted_patient_is_no_longer_addressed_here(ward: Ward) -> None:
    ward.node("hospital-b", "hospital")
    record = ward.document(CASES["stemi"](), eta_minutes=10)
    ward.crew.append(record=record, user="P100234", kind="disposition.recorded",
                     data={"hospital": "Other ED", "hospital_node": "hospital-b"})
    ward.deliver()
    ward.login()
    assert ward.site.client.get(f"/hospital/records/{record.hex()}").status_code == 403
    assert ward.site.client.get("/hospital/api/incoming").json()["incoming"] == []


def test_a_typed_in_record_id_is_refused_and_break_glass_finds_nothing(ward: Ward) -> None:
    ward.login()
    unknown = "0123456789abcdef0123456789abcdef"
    r = ward.site.client.get(f"/hospital/records/{unknown}")
    assert r.status_code == 403 and 'id="break-glass-form"' in r.text
    csrf = ward.site.csrf("/hospital")
    r = ward.site.client.post(f"/hospital/records/{unknown}/break-glass",
                              data={"csrf": csrf, "reason": REASON})
    assert r.url.path == f"/hospital/records/{unknown}"  # followed to the record:
    assert r.status_code == 404 and "no readable copy" in r.text  # nothing readable here
    actions = [e["action"] for e in read_audit(ward.hospital) if e["action"] != "record.list"]
    assert actions[-2:] == ["record.view", "break_glass"]  # the board's view is listed too
    assert ward.site.client.get("/hospital/records/not-a-record").status_code == 404


def test_the_nodes_own_audit_record_is_not_a_patient(ward: Ward) -> None:
    from carechain.node.audit import audit_record

    ward.login()  # writes the first audit entry
    r = ward.site.client.get(f"/hospital/records/{audit_record(ward.hospital).hex()}")
    assert r.status_code == 404


def test_an_auditor_cannot_open_patient_records(ward: Ward) -> None:
    record = ward.document(CASES["stemi"](), eta_minutes=10)
    ward.deliver()
    ward.login(AUDITOR)
    r = ward.site.client.get(f"/hospital/records/{record.hex()}",
                             headers={"Accept": "text/html"})
    assert r.status_code == 403
    assert not [e for e in read_audit(ward.hospital) if e["action"] == "record.view"]
