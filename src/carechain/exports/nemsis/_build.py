"""Build a NEMSIS 3.5.1 EMSDataSet from records' folded states.

Elements follow the order of `EMSDataSet_v3.xsd`. A value carechain does not hold is sent
as `xsi:nil` with `NV="7701003"` (Not Recorded); an element that cannot apply to a UK
record (a US state, county or ZIP code, a census tract) with `NV="7701001"` (Not
Applicable); an element that is optional in the XSD and empty is left out. The table of
every mapping is `docs/nemsis-mapping.md`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from carechain.exports.nemsis import _clinical as clinical
from carechain.exports.nemsis import _codes as c
from carechain.exports.nemsis._care import _medications, _procedures, _vitals
from carechain.exports.nemsis._doc import NS, XSI, _Doc, _dt

__all__ = ["Agency", "build_ems_dataset"]

SOFTWARE_VERSION = "0.1.0"
_TIMES = ("call_received", "mobile", "on_scene", "patient_contact", "left_scene",
          "at_hospital", "handover", "clear")


@dataclass(frozen=True)
class Agency:
    """The EMS agency the records belong to (the NEMSIS header's DemographicGroup)."""

    state_id: str = "carechain"  # dAgency.01, EMS Agency Unique State ID
    number: str = "carechain"  # dAgency.02 / eResponse.01
    name: str = "carechain ambulance service"  # eResponse.02
    state: str = "00"  # dAgency.04, two-digit ANSI code; a UK trust has none


def _age(patient: Mapping[str, Any], at: str | None) -> tuple[int | None, str | None]:
    if patient.get("date_of_birth") and at:
        born = date.fromisoformat(str(patient["date_of_birth"]))
        on = datetime.fromisoformat(at).date()
        years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return years, "2516009"
    if patient.get("estimated_age_years") is not None:
        return int(patient["estimated_age_years"]), "2516009"
    return None, None


def _crew(doc: _Doc, state: Mapping[str, Any]) -> list[str]:
    opened = state["sections"].get("record", {})
    signoff = state["sections"].get("signoff", {})
    signer = next((str(h["user"]) for h in state.get("history", [])
                   if h.get("kind") == "record.signed"), None)
    crew = list(opened.get("crew", []))
    if signer and signer not in crew:
        crew.append(signer)
    e = doc.sub("eCrew")
    for member in crew:
        group = e.sub("eCrew.CrewGroup")
        group.value("eCrew.01", member)
        level = c.CREW_LEVEL.get(str(signoff.get("clinician_role"))) if member == signer else None
        group.value("eCrew.02", level)
    return crew


def _report(header: _Doc, state: Mapping[str, Any], agency: Agency) -> None:
    sections = state["sections"]
    incident = sections.get("incident", {})
    patient = sections.get("patient", {})
    history = sections.get("history", {})
    impression = sections.get("impression", {})
    disposition = sections.get("disposition", {})
    opened = sections.get("record", {})
    record = str(state["record_id"])
    pcr = header.sub("PatientCareReport")
    pcr.parent.set("UUID", str(uuid.UUID(bytes=bytes.fromhex(record), version=4)))
    r = pcr.sub("eRecord")
    r.value("eRecord.01", record)
    soft = r.sub("eRecord.SoftwareApplicationGroup")
    soft.value("eRecord.02", "carechain")
    soft.value("eRecord.03", "carechain")
    soft.value("eRecord.04", SOFTWARE_VERSION)

    resp = pcr.sub("eResponse")
    ag = resp.sub("eResponse.AgencyGroup")
    ag.value("eResponse.01", agency.number)
    ag.value("eResponse.02", agency.name)
    resp.value("eResponse.03", incident.get("incident_number"))
    resp.value("eResponse.04", incident.get("incident_number") or record)
    resp.sub("eResponse.ServiceGroup").value("eResponse.05", "2205001")
    resp.value("eResponse.07", "2207015")
    for name in ("eResponse.08", "eResponse.09", "eResponse.10", "eResponse.11",
                 "eResponse.12"):
        resp.value(name, None)
    # Both are required and may not be empty: each falls back to the other, then the record.
    unit = opened.get("vehicle") or opened.get("callsign") or record[:8]
    resp.value("eResponse.13", unit)
    resp.value("eResponse.14", opened.get("callsign") or unit)
    category = incident.get("category")
    # Required and never empty: an uncategorised 999 response is taken as emergent.
    resp.value("eResponse.23", "2223005" if category in (3, 4) else "2223001")
    resp.value("eResponse.24", None)

    disp = pcr.sub("eDispatch")
    disp.value("eDispatch.01", c.DISPATCH_REASON.get(str(impression.get("category")), "2301051"))
    disp.value("eDispatch.02", None)

    crew = _crew(pcr, state)
    signoff = sections.get("signoff", {})
    level = c.CREW_LEVEL.get(str(signoff.get("clinician_role")))

    # eTimes.03 and eTimes.13 may not be empty: without a recorded call or clear time they
    # fall back to the first and last times the record holds (its entries' clock times).
    held = sorted(str(h["time"]) for h in state.get("history", []) if h.get("time"))
    recorded = [str(incident[k]) for k in _TIMES if incident.get(k)]
    first = incident.get("call_received") or (held[0] if held else None)
    last = incident.get("clear") or max(
        [*recorded, *held[-1:]], key=lambda t: datetime.fromisoformat(t), default=None)
    times = pcr.sub("eTimes")
    times.value("eTimes.01", _dt(incident.get("call_received")))
    times.optional("eTimes.02", _dt(incident.get("call_received")))
    times.value("eTimes.03", _dt(first))
    times.value("eTimes.05", _dt(incident.get("mobile")))
    times.value("eTimes.06", _dt(incident.get("on_scene")))
    times.value("eTimes.07", _dt(incident.get("patient_contact")))
    times.value("eTimes.09", _dt(incident.get("left_scene")))
    times.value("eTimes.11", _dt(incident.get("at_hospital")))
    times.value("eTimes.12", _dt(incident.get("handover")))
    times.value("eTimes.13", _dt(last))

    p = pcr.sub("ePatient")
    p.optional("ePatient.01", patient.get("nhs_number"))
    names = p.sub("ePatient.PatientNameGroup")
    names.value("ePatient.02", patient.get("family_name"))
    names.value("ePatient.03", patient.get("given_name"))
    p.value("ePatient.07", None, nv=c.NOT_APPLICABLE)
    p.value("ePatient.08", None, nv=c.NOT_APPLICABLE)
    p.value("ePatient.09", None, nv=c.NOT_APPLICABLE)
    p.value("ePatient.14", None)
    age, units = _age(patient, _dt(incident.get("patient_contact") or incident.get(
        "call_received")))
    ages = p.sub("ePatient.AgeGroup")
    ages.value("ePatient.15", age)
    ages.value("ePatient.16", units)
    p.optional("ePatient.17", patient.get("date_of_birth"))
    p.value("ePatient.25", c.SEX.get(str(patient.get("sex"))))

    pay = pcr.sub("ePayment")
    pay.value("ePayment.01", None, nv=c.NOT_APPLICABLE)
    pay.value("ePayment.50", None, nv=c.NOT_APPLICABLE)

    scene = pcr.sub("eScene")
    scene.value("eScene.01", None)
    scene.value("eScene.06", None)
    scene.value("eScene.07", None)
    scene.value("eScene.08", None, nv=c.NOT_APPLICABLE)
    scene.value("eScene.09", None)
    location = incident.get("location")
    if isinstance(location, Mapping):
        scene.value("eScene.11", f"{location['lat']},{location['lon']}")
    scene.optional("eScene.15", incident.get("address"))
    scene.value("eScene.17", None, nv=c.NOT_APPLICABLE)
    scene.value("eScene.18", None, nv=c.NOT_APPLICABLE)
    scene.value("eScene.19", None, nv=c.NOT_APPLICABLE)
    scene.value("eScene.21", None, nv=c.NOT_APPLICABLE)
    scene.value("eScene.22", "GB")

    sit = pcr.sub("eSituation")
    sit.value("eSituation.01", None)
    trauma = impression.get("category") == "trauma" or bool(history.get("trauma")) or any(
        sections.get(k) for k in ("mechanism", "trauma_triage")) or bool(
        state.get("items", {}).get("injuries"))
    sit.value("eSituation.02", "9922005" if trauma else "9922001")
    complaint = sit.sub("eSituation.PatientComplaintGroup")
    complaint.value("eSituation.03", "2803001" if history.get("presenting_complaint") else None)
    complaint.value("eSituation.04", history.get("presenting_complaint"))
    complaint.value("eSituation.05", None)
    complaint.value("eSituation.06", None)
    sit.value("eSituation.07", None)
    sit.value("eSituation.08", None)
    sit.value("eSituation.09", None)
    sit.value("eSituation.10", None)
    sit.value("eSituation.11", c.IMPRESSION_ICD10.get(str(impression.get("category"))))
    sit.value("eSituation.12", None)
    sit.value("eSituation.13", None)
    sit.sub("eSituation.WorkRelatedGroup").value("eSituation.14", None)
    sit.value("eSituation.18", _dt(history.get("time_last_known_well")))
    sit.value("eSituation.20", None, nv=c.NOT_APPLICABLE)

    clinical.injury(pcr, state, trauma)
    clinical.arrest(pcr, state)

    hist = pcr.sub("eHistory")
    hist.value("eHistory.01", None)
    allergies = [str(a["substance"]) for a in history.get("allergies") or []]
    if allergies:
        hist.value("eHistory.06", None)  # medication allergies are RxNorm/SNOMED coded
    elif history.get("no_known_allergies"):
        hist.value("eHistory.06", None, pn=c.NO_KNOWN_DRUG_ALLERGY)
    else:
        hist.value("eHistory.06", None)
    hist.value("eHistory.08", None)
    meds = hist.sub("eHistory.CurrentMedsGroup")
    meds.value("eHistory.12", None)
    hist.value("eHistory.17", None)
    pregnant = patient.get("pregnant")
    hist.optional("eHistory.18", None if pregnant is None else ("3118011" if pregnant
                                                                 else "3118001"))

    narrative = pcr.sub("eNarrative")
    narrative.value("eNarrative.01", _narrative(state))

    _vitals(pcr, state)
    exam = pcr.sub("eExam")
    exam.value("eExam.01", patient.get("weight_kg"))
    pcr.sub("eProtocols").sub("eProtocols.ProtocolGroup").value("eProtocols.01", None)
    _medications(pcr, state, level)
    _procedures(pcr, state, level)
    clinical.airway(pcr, state)

    dis = pcr.sub("eDisposition")
    conveyed = disposition.get("outcome") == "conveyed"
    dest = dis.sub("eDisposition.DestinationGroup")
    dest.value("eDisposition.01", disposition.get("hospital") if conveyed else None,
               nv=c.NOT_RECORDED if conveyed else c.NOT_APPLICABLE)
    dest.value("eDisposition.02", None, nv=c.NOT_APPLICABLE)
    for n in ("03", "04", "05", "06", "07"):
        dest.value(f"eDisposition.{n}", None, nv=c.NOT_APPLICABLE)
    dest.value("eDisposition.08", "GB" if conveyed else None, nv=c.NOT_APPLICABLE)
    dis.value("eDisposition.11", 1 if conveyed else None, nv=c.NOT_APPLICABLE)
    unit = dis.sub("eDisposition.IncidentDispositionGroup")
    said = clinical.disposition_codes(state, conveyed)
    unit.value("eDisposition.27", "4227001")
    unit.value("eDisposition.28", said["28"])
    unit.value("eDisposition.29", said["29"])
    unit.value("eDisposition.30", said["30"])
    for code in said["31"]:
        unit.value("eDisposition.31", code)
    for n in ("13", "14", "15"):
        dis.value(f"eDisposition.{n}", None, nv=c.NOT_RECORDED if conveyed
                  else c.NOT_APPLICABLE)
    dis.value("eDisposition.16", "4216005" if conveyed else None, nv=c.NOT_APPLICABLE)
    dis.value("eDisposition.17", "4217001" if conveyed and disposition.get("pre_alert")
              else ("4217005" if conveyed else None), nv=c.NOT_APPLICABLE)
    dis.value("eDisposition.18", None, nv=c.NOT_RECORDED if conveyed else c.NOT_APPLICABLE)
    dis.value("eDisposition.19", None)
    dis.value("eDisposition.20", None, nv=c.NOT_RECORDED if conveyed else c.NOT_APPLICABLE)
    dis.value("eDisposition.21", "4221003" if conveyed else None, nv=c.NOT_APPLICABLE)
    dis.value("eDisposition.22", None, nv=c.NOT_APPLICABLE)
    dis.value("eDisposition.23", None, nv=c.NOT_APPLICABLE)
    team = dis.sub("eDisposition.HospitalTeamActivationGroup")
    alert = disposition.get("pre_alert")
    team.value("eDisposition.24", c.PRE_ALERT.get(str(disposition.get("pre_alert_category")))
               if alert else ("4224001" if conveyed else None), nv=c.NOT_APPLICABLE)
    team.value("eDisposition.25", None, nv=c.NOT_RECORDED if alert else c.NOT_APPLICABLE)
    for code in said["26"]:
        dis.value("eDisposition.26", code)
    dis.value("eDisposition.32", None)

    out = pcr.sub("eOutcome")
    for n in ("01", "02"):
        out.value(f"eOutcome.{n}", None, nv=c.NOT_APPLICABLE)
    ed = out.sub("eOutcome.EmergencyDepartmentProceduresGroup")
    ed.value("eOutcome.09", None, nv=c.NOT_APPLICABLE)
    ed.value("eOutcome.19", None, nv=c.NOT_APPLICABLE)
    out.value("eOutcome.10", None, nv=c.NOT_APPLICABLE)
    out.value("eOutcome.11", None, nv=c.NOT_APPLICABLE)
    hosp = out.sub("eOutcome.HospitalProceduresGroup")
    hosp.value("eOutcome.12", None, nv=c.NOT_APPLICABLE)
    hosp.value("eOutcome.20", None, nv=c.NOT_APPLICABLE)
    for n in ("13", "16", "18"):
        out.value(f"eOutcome.{n}", None, nv=c.NOT_APPLICABLE)

    other = pcr.sub("eOther")
    for member in crew:
        g = other.sub("eOther.EMSCrewMemberGroup")
        g.value("eOther.04", member)
        g.value("eOther.05", None)
    signer = next((str(h["user"]) for h in state.get("history", [])
                   if h.get("kind") == "record.signed"), None)
    other.optional("eOther.08", signer)


def _narrative(state: Mapping[str, Any]) -> str | None:
    """Return the free text NEMSIS has no element for: complaint, history, care, NEWS2."""
    sections = state["sections"]
    history = sections.get("history", {})
    parts = []
    for key in ("presenting_complaint", "history_of_presenting_complaint",
                "mechanism_of_injury"):
        if history.get(key):
            parts.append(str(history[key]))
    impression = sections.get("impression", {})
    if impression.get("working_impression"):
        parts.append(f"Working impression: {impression['working_impression']}.")
    allergies = [str(a["substance"]) for a in history.get("allergies") or []]
    if allergies:
        parts.append("Allergies: " + ", ".join(allergies) + ".")
    for proc in state.get("items", {}).get("procedures", []):
        parts.append(f"Procedure: {proc.get('procedure')}"
                     + (f" ({proc['site']})" if proc.get("site") else "") + ".")
    news2 = state.get("scores", {}).get("news2")
    if isinstance(news2, Mapping):
        parts.append(f"NEWS2 {news2.get('aggregate')} ({news2.get('band')}).")
    parts += clinical.narrative(state)
    disposition = sections.get("disposition", {})
    if disposition.get("safety_netting"):
        parts.append(f"Safety netting: {disposition['safety_netting']}")
    return " ".join(parts) or None


def build_ems_dataset(states: Sequence[Mapping[str, Any]], agency: Agency | None = None
                      ) -> bytes:
    """Return one EMSDataSet document holding a PatientCareReport per record state."""
    agency = agency or Agency()
    namespaces: Any = {None: NS, "xsi": XSI}  # the default namespace has no prefix
    root = etree.Element(f"{{{NS}}}EMSDataSet", nsmap=namespaces)
    header = _Doc(etree.SubElement(root, f"{{{NS}}}Header"))
    demo = header.sub("DemographicGroup")
    demo.value("dAgency.01", agency.state_id)
    demo.value("dAgency.02", agency.number)
    demo.value("dAgency.04", agency.state)
    for state in states:
        _report(header, state, agency)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True)
    return out
