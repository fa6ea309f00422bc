"""What the patient page shows, built from a record's folded state: the banner, the
handover, prompts, treatments, observation sets and the charts' data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from carechain.handover import maternity_card
from carechain.web.hospital.board import Patient, display_zone, local_time
from carechain.web.shared.files import CATEGORIES
from carechain.web.shared.headline import headline_view
from carechain.web.shared.vitals import chart_view

__all__ = ["patient_view"]

_PROCEDURES = {
    "airway-opa": "OPA", "airway-npa": "NPA", "airway-igel": "i-gel", "airway-ett": "ETT",
    "cannulation-iv": "IV cannulation", "cannulation-io": "IO access", "cpr": "CPR",
}


def _nhs(value: object) -> str | None:
    text = str(value) if value else ""
    return f"{text[:3]} {text[3:6]} {text[6:]}" if len(text) == 10 else (text or None)


def _when(value: object) -> dict[str, str | None]:
    return {"iso": str(value) if value else None, "time": local_time(value),
            "date": local_time(value, "%d %b %Y %H:%M")}


def _listed_allergies(history: dict[str, Any]) -> list[str]:
    listed = []
    for allergy in history.get("allergies") or []:
        if isinstance(allergy, dict) and allergy.get("substance"):
            about = [str(allergy[k]) for k in ("reaction", "severity") if allergy.get(k)]
            listed.append(str(allergy["substance"]) + (f" ({', '.join(about)})" if about else ""))
    return listed


def _allergies(history: dict[str, Any]) -> str:
    listed = _listed_allergies(history)
    if listed:
        return ", ".join(listed)
    return "none known (NKDA)" if history.get("no_known_allergies") is True else "not recorded"


def _medications(items: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for med in items.get("medications", []):
        dose = med.get("dose")
        shown = f"{dose:g}" if isinstance(dose, float) else str(dose)
        out.append({"drug": med.get("drug"), "dose": f"{shown} {med.get('unit', '')}".strip(),
                    "route": med.get("route"), "by": med.get("given_by"),
                    "at": _when(med.get("given_at")), "override": med.get("override_reason")})
    return sorted(out, key=lambda m: str(m["at"]["iso"]))


def _procedures(items: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for proc in items.get("procedures", []):
        code = str(proc.get("procedure", ""))
        name = proc.get("details") or _PROCEDURES.get(code, code.replace("-", " "))
        result = {True: "successful", False: "unsuccessful"}.get(proc.get("successful"), "")
        out.append({"procedure": name, "site": proc.get("site"), "result": result,
                    "attempts": proc.get("attempts"), "by": proc.get("performed_by"),
                    "at": _when(proc.get("performed_at"))})
    return sorted(out, key=lambda p: str(p["at"]["iso"]))


def _observations(items: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for obs in items.get("observations", []):
        gcs = [obs.get(k) for k in ("gcs_eye", "gcs_verbal", "gcs_motor")]
        bp = (f"{obs['systolic_bp']}/{obs.get('diastolic_bp', '–')}"
              if obs.get("systolic_bp") is not None else None)
        oxygen = {True: "oxygen", False: "air"}.get(obs.get("oxygen"))
        if obs.get("oxygen") is True and obs.get("oxygen_flow_l_min") is not None:
            oxygen = f"O₂ {obs['oxygen_flow_l_min']:g} L/min"
        out.append({
            "at": _when(obs.get("taken_at")), "rr": obs.get("respiratory_rate"),
            "spo2": obs.get("spo2"), "oxygen": oxygen, "bp": bp, "pulse": obs.get("pulse"),
            "acvpu": obs.get("acvpu"),
            "gcs": sum(g for g in gcs if isinstance(g, int)) if all(
                isinstance(g, int) for g in gcs) else None,
            "temp": obs.get("temperature_c"), "glucose": obs.get("blood_glucose_mmol_l"),
            "pain": obs.get("pain_score"),
            "rhythm": str(obs["ecg_rhythm"]).replace("-", " ") if obs.get("ecg_rhythm") else None,
        })
    return sorted(out, key=lambda o: str(o["at"]["iso"]))


def patient_view(state: dict[str, Any], patient: Patient, now: datetime) -> dict[str, Any]:
    """Return the values the patient page renders (and the chart data it embeds)."""
    sections = state.get("sections", {})
    items = state.get("items", {})
    person = sections.get("patient", {})
    name = " ".join(str(person[k]) for k in ("given_name", "family_name") if person.get(k))
    if not name:
        name = "Unknown patient" if person.get("unknown_patient") else "Name not recorded"
    summary = Patient(patient.record, patient.addressed, state, patient.last_ms).summary(now)
    vitals = chart_view(state, uk_time=True)
    news2 = headline_view(state.get("scores"), now, zone=display_zone(), zone_name="")
    return {
        "name": name,
        "summary": summary,
        "nhs_number": _nhs(person.get("nhs_number")),
        "date_of_birth": person.get("date_of_birth"),
        "allergies": _allergies(sections.get("history", {})),
        # Only a listed allergy is a warning: "none known" in warning red reads as one.
        "allergy_alert": bool(_listed_allergies(sections.get("history", {}))),
        "complaint": sections.get("history", {}).get("presenting_complaint"),
        "prompts": state.get("prompts", []),
        "medications": _medications(items),
        "procedures": _procedures(items),
        "observations": _observations(items),
        "attachments": [{**a, "label": CATEGORIES.get(a.get("category", ""), "Attachment")}
                        for a in sorted(items.get("attachments", []),
                                        key=lambda a: str(a.get("recorded_at", "")),
                                        reverse=True)],
        "ecgs": sorted(items.get("ecgs", []), key=lambda e: str(e.get("recorded_at", "")),
                       reverse=True),
        "conflicts": state.get("conflicts", []),
        "charts": vitals["charts"],
        "chart_data": vitals["chart_data"],
        "zone": vitals["zone"],
        "news2": news2,
        # A child's working weight: measured, else estimated by age (and then said so).
        "weight": state.get("scores", {}).get("weight"),
        "maternity": maternity_card(state, now.astimezone(display_zone())),
    }
