"""The care sections of a NEMSIS patient care report: vital signs, medications and
procedures (eVitals, eMedications, eProcedures)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from carechain.exports.nemsis import _codes as c
from carechain.exports.nemsis._clinical import more_procedures
from carechain.exports.nemsis._doc import _Doc, _dt

MMOL_TO_MG_DL = Decimal("18.016")  # glucose, mmol/L -> mg/dL (NEMSIS eVitals.18)


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
    done = sorted([*state.get("items", {}).get("procedures", []), *more_procedures(state)],
                  key=lambda p: str(p.get("performed_at")))
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
        g.optional("eProcedures.04", proc.get("size"))
        g.value("eProcedures.05", proc.get("attempts"))
        ok = proc.get("successful")
        g.value("eProcedures.06", None if ok is None else (c.YES if ok else c.NO))
        g.value("eProcedures.07", None)
        g.value("eProcedures.08", None)
        g.optional("eProcedures.09", proc.get("performed_by"))
        g.value("eProcedures.10", c.CAREGIVER_LEVEL.get(level or ""))
