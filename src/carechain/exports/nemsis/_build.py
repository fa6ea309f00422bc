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
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from lxml import etree

from carechain.exports.nemsis import _codes as c
from carechain.exports.nemsis.validate import DATA

__all__ = ["Agency", "build_ems_dataset"]

NS = "http://www.nemsis.org"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOFTWARE_VERSION = "0.1.0"
MMOL_TO_MG_DL = Decimal("18.016")  # glucose, mmol/L -> mg/dL (NEMSIS eVitals.18)
_TIMES = ("call_received", "mobile", "on_scene", "patient_contact", "left_scene",
          "at_hospital", "handover", "clear")


@dataclass(frozen=True)
class Agency:
    """The EMS agency the records belong to (the NEMSIS header's DemographicGroup)."""

    state_id: str = "carechain"  # dAgency.01, EMS Agency Unique State ID
    number: str = "carechain"  # dAgency.02 / eResponse.01
    name: str = "carechain ambulance service"  # eResponse.02
    state: str = "00"  # dAgency.04, two-digit ANSI code; a UK trust has none


@cache
def _nillable() -> frozenset[str]:
    """Return the names of the elements the XSDs let be nil (with an NV or PN)."""
    found = set()
    for xsd in (DATA / "xsd").glob("*.xsd"):
        for el in etree.parse(str(xsd)).iter("{http://www.w3.org/2001/XMLSchema}element"):
            if el.get("name") and el.get("nillable") == "true":
                found.add(str(el.get("name")))
    return frozenset(found)


class _Doc:
    """A small writer over lxml: elements in the NEMSIS namespace, nil with NV or PN."""

    def __init__(self, parent: etree._Element) -> None:
        self.parent = parent

    def sub(self, name: str) -> _Doc:
        return _Doc(etree.SubElement(self.parent, f"{{{NS}}}{name}"))

    def value(self, name: str, value: Any, *, nv: str = c.NOT_RECORDED,
              pn: str | None = None, **attrs: str) -> None:
        """Write a value, or a nil element with the NV (or PN) that says why it is absent."""
        if (value is None or value == "") and name not in _nillable():
            return  # optional and not nillable: absent says "not recorded"
        el = etree.SubElement(self.parent, f"{{{NS}}}{name}")
        if value is None or value == "":
            el.set(f"{{{XSI}}}nil", "true")
            el.set("PN" if pn else "NV", pn or nv)
            return
        el.text = str(value)
        for k, v in attrs.items():
            el.set(k, v)

    def optional(self, name: str, value: Any) -> None:
        """Write an element only when there is a value."""
        if value is not None and value != "":
            self.value(name, value)


def _dt(value: Any) -> str | None:
    """Return an xs:dateTime NEMSIS accepts (seconds, an explicit offset), or None."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment.replace(microsecond=0).isoformat()


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


def _vitals(doc: _Doc, state: Mapping[str, Any]) -> None:
    e = doc.sub("eVitals")
    stemi = state.get("scores", {}).get("stemi", {})
    # The XSD needs one group: with no observations it is one of Not Recorded values.
    for obs in state.get("items", {}).get("observations", []) or [{}]:
        g = e.sub("eVitals.VitalGroup")
        g.value("eVitals.01", _dt(obs.get("taken_at")))
        g.value("eVitals.02", c.NO if obs else None)
        rhythm = g.sub("eVitals.CardiacRhythmGroup")
        code = c.RHYTHMS.get(str(obs.get("ecg_rhythm")))
        rhythm.value("eVitals.03", code)
        if obs.get("twelve_lead") and stemi.get("flagged"):
            for territory in stemi.get("territories", []):
                if territory in c.STEMI_TERRITORY:
                    rhythm.value("eVitals.03", c.STEMI_TERRITORY[territory])
        twelve = bool(obs.get("twelve_lead"))
        rhythm.value("eVitals.04", "3304007" if twelve else None)
        rhythm.value("eVitals.05", "3305003" if code or twelve else None)
        bp = e_bp = g.sub("eVitals.BloodPressureGroup")
        bp.value("eVitals.06", obs.get("systolic_bp"))
        e_bp.value("eVitals.07", obs.get("diastolic_bp"))
        hr = g.sub("eVitals.HeartRateGroup")
        hr.value("eVitals.10", obs.get("pulse"))
        g.value("eVitals.12", obs.get("spo2"))
        g.value("eVitals.14", obs.get("respiratory_rate"))
        g.value("eVitals.16", None)
        glucose = obs.get("blood_glucose_mmol_l")
        g.value("eVitals.18", None if glucose is None else int(
            (Decimal(str(glucose)) * MMOL_TO_MG_DL).quantize(Decimal(1), ROUND_HALF_UP)))
        gcs = g.sub("eVitals.GlasgowScoreGroup")
        parts = [obs.get(f"gcs_{p}") for p in ("eye", "verbal", "motor")]
        for name, part in zip(("eVitals.19", "eVitals.20", "eVitals.21"), parts, strict=True):
            gcs.value(name, part)
        gcs.value("eVitals.22", None)
        gcs.value("eVitals.23", sum(parts) if all(p is not None for p in parts) else None)
        if obs.get("temperature_c") is not None:
            temp = g.sub("eVitals.TemperatureGroup")
            temp.value("eVitals.24", obs["temperature_c"])
        g.value("eVitals.26", c.AVPU.get(str(obs.get("acvpu"))))
        pain = g.sub("eVitals.PainScaleGroup")
        pain.value("eVitals.27", obs.get("pain_score"))
        if obs.get("pain_score") is not None:
            pain.value("eVitals.28", "3328003")  # numeric (0-10)
        stroke = g.sub("eVitals.StrokeScaleGroup")
        stroke.value("eVitals.29", None)
        stroke.value("eVitals.30", None)
        g.value("eVitals.31", None)


def _medications(doc: _Doc, state: Mapping[str, Any], level: str | None) -> None:
    e = doc.sub("eMedications")
    given = state.get("items", {}).get("medications", [])
    for med in given or [None]:
        g = e.sub("eMedications.MedicationGroup")
        if med is None:
            for name in ("eMedications.01", "eMedications.02", "eMedications.03",
                         "eMedications.04"):
                g.value(name, None, nv=c.NOT_APPLICABLE)
            dose = g.sub("eMedications.DosageGroup")
            dose.value("eMedications.05", None, nv=c.NOT_APPLICABLE)
            dose.value("eMedications.06", None, nv=c.NOT_APPLICABLE)
            for name in ("eMedications.07", "eMedications.08", "eMedications.10"):
                g.value(name, None, nv=c.NOT_APPLICABLE)
            continue
        g.value("eMedications.01", _dt(med.get("given_at")))
        g.value("eMedications.02", c.NO)
        code = c.RXNORM.get(str(med.get("drug")).casefold())
        if code:
            g.value("eMedications.03", code, CodeType=c.MEDICATION_CODE_RXNORM)
        else:
            g.value("eMedications.03", None)
        g.value("eMedications.04", c.ROUTES.get(str(med.get("route"))))
        dose = g.sub("eMedications.DosageGroup")
        dose.value("eMedications.05", med.get("dose"))
        dose.value("eMedications.06", c.DOSE_UNITS.get(str(med.get("unit"))))
        g.value("eMedications.07", None)
        g.value("eMedications.08", None)
        g.optional("eMedications.09", med.get("given_by"))
        g.value("eMedications.10", c.CAREGIVER_LEVEL.get(level or ""))


def _procedures(doc: _Doc, state: Mapping[str, Any], level: str | None) -> None:
    e = doc.sub("eProcedures")
    done = state.get("items", {}).get("procedures", [])
    for proc in done or [None]:
        g = e.sub("eProcedures.ProcedureGroup")
        if proc is None:
            for name in ("eProcedures.01", "eProcedures.02", "eProcedures.03",
                         "eProcedures.05", "eProcedures.06", "eProcedures.07",
                         "eProcedures.08", "eProcedures.10"):
                g.value(name, None, nv=c.NOT_APPLICABLE)
            continue
        g.value("eProcedures.01", _dt(proc.get("performed_at")))
        g.value("eProcedures.02", c.NO)
        g.value("eProcedures.03", c.PROCEDURES.get(str(proc.get("procedure"))))
        g.value("eProcedures.05", proc.get("attempts"))
        ok = proc.get("successful")
        g.value("eProcedures.06", None if ok is None else (c.YES if ok else c.NO))
        g.value("eProcedures.07", None)
        g.value("eProcedures.08", None)
        g.optional("eProcedures.09", proc.get("performed_by"))
        g.value("eProcedures.10", c.CAREGIVER_LEVEL.get(level or ""))


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
    trauma = impression.get("category") == "trauma" or bool(history.get("trauma"))
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

    inj = pcr.sub("eInjury")
    for name in ("eInjury.01", "eInjury.02", "eInjury.03", "eInjury.04"):
        inj.value(name, None, nv=c.NOT_RECORDED if trauma else c.NOT_APPLICABLE)

    arrest = pcr.sub("eArrest")
    cardiac_arrest = impression.get("category") == "cardiac-arrest"
    arrest.value("eArrest.01", "3001005" if cardiac_arrest else "3001001")
    for n in ("02", "03", "04", "07", "09", "11", "12", "14", "16", "17", "18", "20",
              "21", "22"):
        arrest.value(f"eArrest.{n}", None,
                     nv=c.NOT_RECORDED if cardiac_arrest else c.NOT_APPLICABLE)

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
    unit.value("eDisposition.27", "4227001")
    unit.value("eDisposition.28", "4228001")
    unit.value("eDisposition.29", "4229001")
    unit.value("eDisposition.30", "4230001" if conveyed else (
        "4230013" if disposition.get("outcome") == "not-conveyed" else None))
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
