"""The crew app's capacity, refusal, referral, safeguarding and signature forms over HTTP,
each written through carechain.operations as a structured entry."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from tests.web.conftest import Site
from tests.web.test_crew_support import Crew, errors_in

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()


def test_capacity_refusal_referral_safeguarding_and_signature_forms(crew_site: Site) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    capacity = {
        "decision": "whether to go to hospital",
        "impairment": "yes",
        "impairment_notes": "mild dementia",
        "understand": "yes",
        "retain": "no",
        "retain_notes": "could not repeat the risks back",
        "weigh": "yes",
        "communicate": "yes",
        "conclusion": "has-capacity",
        "assessed_at": when,
        "assessed_by": "P100234",
    }
    before = crew.count()
    r = crew.post(f"/crew/records/{record}/capacity", capacity)
    assert r.status_code == 422 and crew.count() == before
    assert errors_in(r.text)["conclusion"] == (
        "must be lacks-capacity: stage 1 is yes and the patient cannot retain"
    )
    crew.save(record, "capacity", {**capacity, "retain": "yes", "retain_notes": ""})
    refusal = {
        "refused": ["conveyance", "cannulation"],
        "capacity": "has-capacity",
        "worsening_advice": "call 999 if worse",
        "left_with": "family",
        "left_with_name": "daughter",
        "recorded_at": when,
        "recorded_by": "P100234",
    }
    r = crew.post(f"/crew/records/{record}/refusal", refusal)
    assert r.status_code == 422
    assert errors_in(r.text)["risks_explained"] == (
        "is required when a patient with capacity refuses"
    )
    crew.save(record, "refusal", {**refusal, "risks_explained": "missed fracture"})
    signature = {"signer": "patient", "name": "Mary Smith", "signed_for": "refusal",
                 "format": "png", "image": "", "signed_at": when}
    r = crew.post(f"/crew/records/{record}/signature", signature)
    assert r.status_code == 422 and errors_in(r.text)["image"] == "is required"
    crew.save(record, "signature", {**signature, "image": PNG})
    crew.save(record, "referral", {"service": "gp", "reference": "GP-1", "made_at": when,
                                   "made_by": "P100234"})
    crew.save(record, "safeguarding", {"concern_for": "adult", "concern": "self-neglect",
                                       "referral_sent": "yes", "reference": "SG-9",
                                       "raised_at": when, "raised_by": "P100234"})
    state = crew.state(record)
    assert state["items"]["refusals"][0]["refused"] == ["conveyance", "cannulation"]
    assert state["items"]["signatures"][0]["image"] == PNG
    assert state["consent"] == {"capacity": "has-capacity",
                                "capacity_decision": "whether to go to hospital",
                                "prompts": []}
    page = crew.page(record, "signature")
    # The signature is shown as its picture, once, never as text in the item's summary.
    assert f'src="{PNG}"' in page and page.count("data:image/png") == 1
    assert 'class="signature-pad"' in page


def test_a_refusal_without_capacity_or_signature_is_prompted_on_the_record(
    crew_site: Site,
) -> None:
    crew = Crew(crew_site).login()
    record = crew.open()
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    crew.save(record, "refusal", {"refused": ["conveyance"], "capacity": "has-capacity",
                                  "risks_explained": "missed fracture",
                                  "worsening_advice": "call 999 if worse",
                                  "left_with": "alone", "recorded_at": when,
                                  "recorded_by": "P100234"})
    page = crew.page(record)
    assert 'data-rule="consent.capacity-not-assessed"' in page
    assert 'data-rule="consent.refusal-not-signed"' in page
    assert "A refusal is recorded without a capacity assessment." in page
