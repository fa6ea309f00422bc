"""Decision support computed from a folded record: never stored, always recomputed.

Reads the record's observation sets, patient and history sections and asks the pure
`carechain.clinical` package for NEWS2 (every set, and the trend), GCS, qSOFA, the sepsis
screen, BE-FAST and the STEMI flag, then the prompts the crew app shows. Times come from
the entries themselves, never from the wall clock, so every node computes the same result.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from carechain.clinical import (
    BeFastInput,
    News2Input,
    News2Result,
    TwelveLead,
    assess_befast,
    decision_prompts,
    flag_stemi,
    gcs_total,
    news2_trend,
    score_news2,
    score_qsofa,
    screen_sepsis,
)
from carechain.clinical.errors import ClinicalValueError

__all__ = ["decision_support"]


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _age_years(patient: dict[str, Any], at: datetime | None) -> int | None:
    if "date_of_birth" in patient and at is not None:
        born = date.fromisoformat(str(patient["date_of_birth"]))
        on = at.date()
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    estimated = patient.get("estimated_age_years")
    return int(estimated) if estimated is not None else None


def _news2_input(obs: dict[str, Any]) -> News2Input:
    temperature = obs.get("temperature_c")
    return News2Input(
        resp_rate=obs.get("respiratory_rate"),
        spo2=obs.get("spo2"),
        spo2_scale=2 if obs.get("spo2_scale") == 2 else 1,
        on_oxygen=obs.get("oxygen"),
        systolic=obs.get("systolic_bp"),
        pulse=obs.get("pulse"),
        consciousness=obs.get("acvpu"),
        temperature=None if temperature is None else Decimal(str(temperature)),
    )


def _latest(observations: list[dict[str, Any]], *fields: str) -> dict[str, Any] | None:
    found = [obs for obs in observations if all(obs.get(f) is not None for f in fields)]
    return found[-1] if found else None


def _last_time(state: dict[str, Any]) -> datetime | None:
    times = [_when(h.get("time")) for h in state.get("history", [])]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def decision_support(state: dict[str, Any]) -> dict[str, Any]:
    """Return {"scores": …, "prompts": […]} for a folded record."""
    sections = state.get("sections", {})
    patient = sections.get("patient", {})
    history = sections.get("history", {})
    observations: list[dict[str, Any]] = state.get("items", {}).get("observations", [])
    scores: dict[str, Any] = {}
    last_time = _last_time(state)
    latest_time = _when(observations[-1]["taken_at"]) if observations else last_time
    age = _age_years(patient, latest_time)
    pregnant = patient.get("pregnant")

    news2_results: list[tuple[datetime, News2Result]] = []
    for obs in observations:
        try:
            result = score_news2(_news2_input(obs), age_years=age, pregnant=pregnant)
        except ClinicalValueError:
            continue
        taken = _when(obs.get("taken_at"))
        if taken is not None:
            news2_results.append((taken, result))
    news2 = news2_results[-1][1] if news2_results else None
    if news2 is not None:
        scores["news2"] = news2.to_dict()
        scores["news2"]["taken_at"] = news2_results[-1][0].isoformat()
        scores["news2_trend"] = news2_trend(news2_results).to_dict()

    gcs_obs = _latest(observations, "gcs_eye", "gcs_verbal", "gcs_motor")
    gcs = None
    if gcs_obs is not None:
        gcs = gcs_total(gcs_obs["gcs_eye"], gcs_obs["gcs_verbal"], gcs_obs["gcs_motor"])
        scores["gcs"] = {
            "total": gcs,
            "eye": gcs_obs["gcs_eye"],
            "verbal": gcs_obs["gcs_verbal"],
            "motor": gcs_obs["gcs_motor"],
            "taken_at": gcs_obs["taken_at"],
        }

    qsofa = None
    if observations:
        last = observations[-1]
        acvpu = last.get("acvpu")
        qsofa = score_qsofa(
            last.get("respiratory_rate"),
            last.get("systolic_bp"),
            gcs_total=gcs if gcs_obs is last else None,
            altered_mentation=None if acvpu is None else acvpu != "A",
        )
        scores["qsofa"] = qsofa.to_dict()

    sepsis = None
    if news2 is not None or qsofa is not None or "suspected_infection" in history:
        sepsis = screen_sepsis(
            suspected_infection=history.get("suspected_infection"), news2=news2, qsofa=qsofa
        )
        scores["sepsis"] = sepsis.to_dict()

    befast = None
    signs = sections.get("secondary_survey", {}).get("befast")
    if signs and last_time is not None:
        try:
            befast = assess_befast(
                BeFastInput(
                    assessed_at=last_time,
                    last_known_well=_when(history.get("time_last_known_well")),
                    **{k: signs.get(k) for k in ("balance", "eyes", "face", "arm", "speech")},
                )
            )
        except ClinicalValueError as exc:  # e.g. last known well after the last entry
            scores["befast"] = {"error": f"{exc.field}: {exc.rule}"}
        else:
            scores["befast"] = befast.to_dict()

    stemi = None
    ecg_obs = _latest(observations, "twelve_lead")
    if ecg_obs is not None:
        lead = ecg_obs["twelve_lead"]
        stemi = flag_stemi(
            TwelveLead(
                st_elevation_leads=frozenset(lead.get("st_elevation_leads", [])),
                new_lbbb=bool(lead.get("new_lbbb", False)),
                interpretation=str(lead.get("interpretation", "")),
            )
        )
        scores["stemi"] = stemi.to_dict()

    prompts = decision_prompts(news2=news2, sepsis=sepsis, befast=befast, stemi=stemi, qsofa=qsofa)
    return {"scores": scores, "prompts": [p.to_dict() for p in prompts]}
