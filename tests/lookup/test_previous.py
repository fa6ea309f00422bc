"""Previous calls: a crew sees this trust's earlier records of its patient, matched and
granted by the records vault, through the hub, end-to-end encrypted; access-checked,
break-glass where no relationship exists, every access audited."""

from __future__ import annotations

from typing import Any

from carechain.lookup.previous import PreviousCalls
from carechain.node.audit import read_audit
from tests.lookup.conftest import NHS, OTHER_NHS, Chain, Crew

PATIENT = {"family_name": "Okafor", "given_name": "Grace", "nhs_number": NHS, "sex": "female",
           "date_of_birth": "1951-02-03"}


def _earlier_call(chain: Chain) -> str:
    one = chain.crews[0]
    rid = one.open_record(PATIENT)
    one.post(f"/records/{rid}/entries", {"kind": "history.recorded", "data": {
        "presenting_complaint": "Fall at home",
        "allergies": [{"substance": "penicillin", "reaction": "rash", "severity": "mild"}],
        "past_medical_history": ["atrial fibrillation"]}})
    one.post(f"/records/{rid}/entries", {"kind": "impression.recorded", "data": {
        "working_impression": "Mechanical fall, no injury"}})
    chain.sync(one.node)
    return rid


def _vault_answers(chain: Chain, crew: Crew) -> int:
    chain.sync(crew.node, chain.vault)
    answered = PreviousCalls(chain.vault).run()
    chain.sync(chain.vault, crew.node)
    return answered


def _audit(node: Any, action: str) -> list[dict[str, Any]]:
    return [e for e in read_audit(node) if e["action"] == action]


def test_the_crew_sees_the_patients_previous_call(chain: Chain) -> None:
    earlier = _earlier_call(chain)
    two = chain.crews[1]
    now = two.open_record(PATIENT)
    assert two.get(f"/records/{now}/previous-calls")["requests"] == []
    two.post(f"/records/{now}/previous-calls", {})
    waiting = two.get(f"/records/{now}/previous-calls")["requests"]
    assert [r["state"] for r in waiting] == ["waiting"]  # the vault has not answered yet

    assert _vault_answers(chain, two) == 1
    (request,) = two.get(f"/records/{now}/previous-calls")["requests"]
    assert request["state"] == "relationship" and request["not_here_yet"] == []
    (shown,) = request["records"]
    assert shown["record_id"] == earlier
    assert shown["allergies"][0]["substance"] == "penicillin"
    assert shown["impression"] == "Mechanical fall, no injury"
    # The previous call is read here, never written, and is no job of this crew's.
    two.post(f"/records/{earlier}/entries", {"kind": "note.added", "data": {"text": "x"}},
             expect=403)
    assert [r["record_id"] for r in two.get("/records")] == [now]
    views = [e for e in _audit(two.node, "record.view") if e["record"] == earlier]
    assert views and views[-1]["detail"]["why"] == "previous-call"
    grants = _audit(chain.vault, "key.grant")
    assert [(g["record"], g["detail"]["node"]) for g in grants] == [(earlier, "crew-2")]
    assert _audit(two.node, "previous_calls.request")
    # Answered once: a second run finds nothing new.
    assert PreviousCalls(chain.vault).run() == 0


def test_the_hub_relays_only_ciphertext(chain: Chain) -> None:
    _earlier_call(chain)
    two = chain.crews[1]
    now = two.open_record(PATIENT)
    two.post(f"/records/{now}/previous-calls", {})
    _vault_answers(chain, two)
    assert chain.hub.store.count() > 20
    for path in chain.hub_dir.rglob("*"):  # the database, its WAL, the keys
        if path.is_file():
            data = path.read_bytes()
            assert NHS.encode() not in data and b"penicillin" not in data, path


def test_another_patients_calls_need_break_glass(chain: Chain) -> None:
    earlier = _earlier_call(chain)
    two = chain.crews[1]
    now = two.open_record({**PATIENT, "nhs_number": OTHER_NHS})
    refused = two.post(f"/records/{now}/previous-calls", {"nhs_number": NHS}, expect=422)
    assert refused["field"] == "reason"
    two.post(f"/records/{now}/previous-calls",
             {"nhs_number": NHS, "reason": "Patient unconscious, wife gave his NHS card"})
    _vault_answers(chain, two)
    (request,) = two.get(f"/records/{now}/previous-calls")["requests"]
    assert request["state"] == "break_glass" and request["break_glass"]
    assert [r["record_id"] for r in request["records"]] == [earlier]
    (crew_glass,) = _audit(two.node, "break_glass")
    assert crew_glass["detail"]["what"] == "previous-calls"
    (vault_glass,) = _audit(chain.vault, "break_glass")
    assert vault_glass["record"] == earlier
    assert vault_glass["detail"]["reason"].startswith("Patient unconscious")


def test_a_technician_cannot_break_the_glass(chain: Chain) -> None:
    _earlier_call(chain)
    two = chain.crews[1]
    now = two.open_record({**PATIENT, "nhs_number": OTHER_NHS})
    from carechain.testing import api_token

    tech = {"Authorization": "Bearer " + api_token(two.accounts, two.node, staff_id="T200117",
                                                   role="technician")}
    r = two.client.post(f"/records/{now}/previous-calls",
                        json={"nhs_number": NHS, "reason": "Relative gave the number"},
                        headers=tech)
    assert r.status_code == 403, r.text


def test_a_request_without_relationship_or_reason_is_refused_by_the_vault(chain: Chain) -> None:
    _earlier_call(chain)
    two = chain.crews[1]
    now = two.open_record({**PATIENT, "nhs_number": OTHER_NHS})
    # A tampered device writes the request past the operation's checks: the vault decides.
    two.node.append(record=bytes.fromhex(now), user="P100234",
                    kind="previous_calls.requested", data={"nhs_number": NHS})
    _vault_answers(chain, two)
    (request,) = two.get(f"/records/{now}/previous-calls")["requests"]
    assert request["state"] == "refused" and request["records"] == []
    assert "break-glass" in request["rule"]
    assert _audit(chain.vault, "key.grant") == []


def test_the_request_and_answer_kinds_are_not_written_by_append(chain: Chain) -> None:
    two = chain.crews[1]
    now = two.open_record(PATIENT)
    for kind, data in (("previous_calls.requested", {"nhs_number": NHS}),
                       ("previous_calls.answered", {"request": "ab" * 32,
                                                    "access": "relationship"})):
        r = two.post(f"/records/{now}/entries", {"kind": kind, "data": data}, expect=422)
        assert r["field"] == "kind"


def test_no_number_no_request(chain: Chain) -> None:
    two = chain.crews[1]
    now = two.open_record({"family_name": "Okafor"})
    assert two.post(f"/records/{now}/previous-calls", {}, expect=422)["field"] == "nhs_number"


def test_an_amended_number_no_longer_matches(chain: Chain) -> None:
    earlier = _earlier_call(chain)
    one = chain.crews[0]
    state = one.get(f"/records/{earlier}")
    assert state["sections"]["patient"]["nhs_number"] == NHS
    history = one.get(f"/records/{earlier}/history")
    patient_entry = next(h["entry"] for h in history if h.get("kind") == "patient.recorded")
    one.post(f"/records/{earlier}/amendments", {"supersedes": patient_entry,
             "reason": "wrong patient's number", "data": {**PATIENT, "nhs_number": OTHER_NHS}})
    chain.sync(one.node)
    two = chain.crews[1]
    now = two.open_record(PATIENT)
    two.post(f"/records/{now}/previous-calls", {})
    _vault_answers(chain, two)
    (request,) = two.get(f"/records/{now}/previous-calls")["requests"]
    assert request["state"] == "relationship" and request["records"] == []
