"""Records holding every newer kind, for the export suites: trauma with airway and access,
a refusal with capacity, referral, safeguarding and a drawn signature, and attachments
with a 12-lead ECG. Times are `+N` minutes from the call, as in the demo cases."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from PIL import Image

from carechain.demo import Case

CREW = "P100234"
PHOTO = bytes(range(256)) * 8  # the bytes of a "photo" (what they are does not matter here)
ECG_FILE = b"DICM" + bytes(2044)
ECG_STATEMENTS = ["Sinus rhythm", "ST elevation consider acute inferior infarct",
                  "** ** ACUTE MI / STEMI ** **"]


def signature_png() -> str:
    """Return a small drawn signature as the data URL the crew app stores."""
    image = Image.new("L", (60, 20), 255)
    for x in range(5, 55):
        image.putpixel((x, 10 + (x % 7) - 3), 0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def trauma_case() -> Case:
    """A motorcyclist: mechanism, positive triage, three injuries, a tourniquet, a pelvic
    binder and a splint, an ETT with capnography, ventilation and a failed then good IV."""
    return Case(
        name="trauma kinds",
        opened={"callsign": "A-201", "crew": [CREW]},
        steps=(
            ("incident.recorded", {"call_received": "+0", "on_scene": "+8",
                                   "patient_contact": "+9"}),
            ("patient.recorded", {"given_name": "Sam", "family_name": "Rider",
                                  "estimated_age_years": 24, "sex": "male"}),
            ("trauma.mechanism", {"mechanism": "rtc", "rtc_type": "motorcyclist",
                                  "speed_mph": 40, "ejected": True, "occurred_at": "+0"}),
            ("trauma.triage", {"positive_criteria": ["suspected-pelvic-fracture",
                                                     "high-energy-rtc"],
                               "mtc_pre_alert": True, "destination": "major-trauma-centre",
                               "destination_name": "Royal London", "decided_at": "+14",
                               "decided_by": CREW}),
            ("injury.marked", {"view": "front", "region": "left-leg", "x": 0.42, "y": 0.7,
                               "type": "deformity", "severity": "severe", "marked_at": "+10",
                               "marked_by": CREW}),
            ("injury.marked", {"view": "front", "region": "pelvis", "type": "pain",
                               "severity": "moderate", "marked_at": "+10"}),
            ("injury.marked", {"view": "back", "region": "right-arm", "type": "laceration",
                               "note": "arterial bleed", "marked_at": "+10"}),
            ("haemorrhage.controlled", {"method": "tourniquet", "region": "right-arm",
                                        "applied_at": "+11", "applied_by": CREW,
                                        "effective": True}),
            ("immobilisation.applied", {"device": "pelvic-binder", "applied_at": "+12",
                                        "applied_by": CREW}),
            ("immobilisation.applied", {"device": "traction-splint", "region": "left-leg",
                                        "applied_at": "+13", "applied_by": CREW}),
            ("airway.managed", {"device": "ett", "size": 8, "attempts": 2, "successful": True,
                                "confirmation": "waveform-capnography", "etco2": 38,
                                "etco2_unit": "mmHg", "performed_at": "+15",
                                "performed_by": CREW}),
            ("breathing.supported", {"method": "ventilator", "rate": 12,
                                     "tidal_volume_ml": 500, "peep_cmh2o": 5,
                                     "started_at": "+16", "performed_by": CREW}),
            ("access.attempted", {"route": "IV", "site": "left antecubital fossa",
                                  "gauge": 18, "attempts": 1, "successful": False,
                                  "performed_at": "+12", "performed_by": CREW}),
            ("access.attempted", {"route": "IV", "site": "right antecubital fossa",
                                  "gauge": 16, "attempts": 2, "successful": True,
                                  "performed_at": "+13", "performed_by": CREW}),
            ("impression.recorded", {"category": "trauma"}),
            ("disposition.recorded", {"outcome": "conveyed", "hospital": "Royal London"}),
        ),
    )


def refusal_case() -> Case:
    """A fall at home: capacity assessed, conveyance refused and signed, a GP referral and
    an adult safeguarding concern referred."""
    return Case(
        name="refusal kinds",
        opened={"callsign": "A-305", "crew": [CREW]},
        steps=(
            ("incident.recorded", {"call_received": "+0", "on_scene": "+20",
                                   "patient_contact": "+21"}),
            ("patient.recorded", {"given_name": "Edith", "family_name": "Moss",
                                  "estimated_age_years": 84, "sex": "female"}),
            ("capacity.assessed", {"decision": "Whether to go to hospital", "impairment": False,
                                   "conclusion": "has-capacity", "assessed_at": "+30",
                                   "assessed_by": CREW}),
            ("refusal.recorded", {"refused": ["conveyance", "cannulation"],
                                  "capacity": "has-capacity",
                                  "risks_explained": "Possible hip fracture missed",
                                  "worsening_advice": "Call 999 if pain worsens",
                                  "left_with": "family", "left_with_name": "Daughter, Jane",
                                  "recorded_at": "+32", "recorded_by": CREW}),
            ("signature.captured", {"signer": "patient", "name": "Edith Moss",
                                    "signed_for": "refusal", "format": "png",
                                    "image": signature_png(), "signed_at": "+33"}),
            ("referral.made", {"service": "gp", "reference": "GP-77812",
                               "notes": "Review within 24 hours", "made_at": "+35",
                               "made_by": CREW}),
            ("safeguarding.raised", {"concern_for": "adult", "concern": "Lives alone, "
                                     "self-neglect", "referral_sent": True,
                                     "reference": "SG-2291", "raised_at": "+36",
                                     "raised_by": CREW}),
            ("disposition.recorded", {"outcome": "not-conveyed",
                                      "safety_netting": "Call 999 if worse",
                                      "decision_by": CREW}),
        ),
    )


def _attachment(ident: str, data: bytes, **meta: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("attachment.chunk", {"attachment": ident, "index": 0,
                              "content": base64.b64encode(data).decode()}),
        ("attachment.added", {"attachment": ident, "size": len(data), "chunks": 1,
                              "sha256": hashlib.sha256(data).hexdigest(), **meta}),
    ]


PHOTO_ID, ECG_ID = "a" * 32, "e" * 32


def documents_steps() -> list[tuple[str, dict[str, Any]]]:
    """Return a wound photo and a 12-lead ECG as entries (times as `+N`)."""
    return [
        *_attachment(PHOTO_ID, PHOTO, category="wound", content_type="image/jpeg",
                     filename="wound.jpg", taken_at="+12", caption="Right forearm"),
        *_attachment(ECG_ID, ECG_FILE, category="ecg", content_type="application/dicom",
                     filename="ecg.dcm", taken_at="+14"),
        ("ecg.recorded", {"attachment": ECG_ID, "format": "dicom", "sample_rate_hz": 500,
                          "leads": [{"lead": name, "samples": 5000, "uv_per_unit": 4.88}
                                    for name in ("I", "II", "III")],
                          "interpretation": ECG_STATEMENTS, "taken_at": "+14"}),
    ]


def documents_case() -> Case:
    """The trauma case with a wound photo and a 12-lead ECG."""
    case = trauma_case()
    return Case("documents kinds", case.opened, case.steps + tuple(documents_steps()))
