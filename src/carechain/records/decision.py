"""Decision support computed from a folded record: never stored, always recomputed.

Reads the record's observation sets, patient and history sections and asks the pure
`carechain.clinical` package for NEWS2 (each parameter from its latest value within the
window, and the trend), GCS, qSOFA, the sepsis screen, BE-FAST and the STEMI flag, then the
prompts the crew app shows. For a child under 16 it also scores the National PEWS
(`scores["pews"]`), which every surface shows in place of NEWS2 (not validated under 16),
says which chart applies (`scores["child"]`, even before any observation) and gives the
child's working weight (`scores["weight"]`: measured, else estimated by age).
Times come from the entries themselves, never from the wall
clock, so every node computes the same result.

Observations arrive ordered by `taken_at` to the second, ties in recording order (the
fold), so `observations[-1]` is the latest set; every reader of the headline NEWS2 (crew
record, hospital board, handover, exports) reads `scores["news2"]` and none rescores.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from carechain.clinical import (
    BeFastInput,
    News2Input,
    News2Series,
    News2Set,
    QsofaResult,
    TwelveLead,
    assess_befast,
    decision_prompts,
    flag_stemi,
    gcs_total,
    news2_series,
    pews_prompts,
    score_qsofa,
    screen_sepsis,
)
from carechain.clinical.errors import ClinicalValueError
from carechain.clinical.pews import PewsInput, PewsSet, pews_age_band, pews_applies, pews_series
from carechain.clinical.weight import age_in_months, working_weight
from carechain.records.maternity import is_pregnant

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


def _pews_input(obs: dict[str, Any]) -> PewsInput:
    flow, temperature = obs.get("oxygen_flow_l_min"), obs.get("temperature_c")
    return PewsInput(
        resp_rate=obs.get("respiratory_rate"),
        respiratory_distress=obs.get("respiratory_distress"),
        spo2=obs.get("spo2"),
        on_oxygen=obs.get("oxygen"),
        oxygen_flow_l_min=None if flow is None else Decimal(str(flow)),
        oxygen_device=obs.get("oxygen_device"),
        pulse=obs.get("pulse"),
        systolic=obs.get("systolic_bp"),
        capillary_refill_s=obs.get("capillary_refill_s"),
        consciousness=obs.get("acvpu"),
        temperature=None if temperature is None else Decimal(str(temperature)),
    )


def _pews(observations: list[dict[str, Any]], age: int) -> dict[str, Any] | None:
    """Return the headline PEWS over the record's sets, each parameter carried forward."""
    sets: list[PewsSet] = []
    for obs in observations:
        taken = _when(obs.get("taken_at"))
        if taken is None:
            continue
        try:
            values = _pews_input(obs)
        except ClinicalValueError:
            continue  # the kind refuses values the chart cannot score
        sets.append(PewsSet(taken, values, str(obs.get("entry", ""))))
    return pews_series(sets, age_years=age)


def _child(patient: dict[str, Any], at: datetime | None, scores: dict[str, Any],
           observations: list[dict[str, Any]], age: int | None) -> None:
    """Add a child's PEWS and working weight to `scores` (nothing for an adult)."""
    if not pews_applies(age):
        return
    assert age is not None  # pews_applies says so
    scores["child"] = {"age_years": age, **pews_age_band(age)}
    pews = _pews(observations, age)
    if pews is not None:
        scores["pews"] = pews
    months = None
    if "date_of_birth" in patient and at is not None:
        months = age_in_months(date.fromisoformat(str(patient["date_of_birth"])), at.date())
    try:
        weight = working_weight(
            measured_kg=patient.get("weight_kg"), age_years=age, age_months=months
        )
    except ClinicalValueError:
        weight = None
    if weight is not None:
        scores["weight"] = weight.to_dict()


def _series(
    observations: list[dict[str, Any]], age: int | None, pregnant: bool | None
) -> News2Series | None:
    """Return NEWS2 over the record's sets, each parameter carried forward in the window."""
    sets: list[News2Set] = []
    for obs in observations:
        taken = _when(obs.get("taken_at"))
        if taken is None:
            continue
        try:
            values = _news2_input(obs)
        except ClinicalValueError:
            continue  # not an observation the chart can score; the kind refuses such values
        sets.append(News2Set(taken, values, str(obs.get("entry", ""))))
    return news2_series(sets, age_years=age, pregnant=pregnant)


def _qsofa(
    series: News2Series | None, gcs_obs: dict[str, Any] | None, gcs: int | None
) -> QsofaResult:
    """Score qSOFA from the same carried-forward values as the headline NEWS2."""
    values = {} if series is None else series.parameters
    rr, systolic, acvpu = (values.get(k) for k in ("resp_rate", "systolic", "consciousness"))
    # A GCS counts while it is as recent as the window the NEWS2 values are held for.
    recent_gcs = None
    if series is not None and gcs_obs is not None:
        taken = _when(gcs_obs.get("taken_at"))
        window = timedelta(minutes=series.window_minutes)
        if taken is not None and taken >= series.taken_at - window:
            recent_gcs = gcs
    elif gcs_obs is not None:
        recent_gcs = gcs
    return score_qsofa(
        None if rr is None else int(rr.value),
        None if systolic is None else int(systolic.value),
        gcs_total=recent_gcs,
        altered_mentation=None if acvpu is None else acvpu.value != "A",
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
    # A pregnancy, labour or birth recorded counts, whatever the patient's flag says: NEWS2
    # is not validated in pregnancy (RCP 2017), and is never scored silently for her.
    pregnant = is_pregnant(state)

    series = _series(observations, age, pregnant)
    news2 = None if series is None else series.latest
    if series is not None:
        scores["news2"] = series.to_dict()
        scores["news2_trend"] = series.trend.to_dict()
    child = pews_applies(age)
    _child(patient, latest_time or last_time, scores, observations, age)

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

    # qSOFA, the sepsis screen and the NEWS2 prompts are adult tools (Sepsis-3; RCP NEWS2
    # not validated under 16): a child is prompted from PEWS and its "think sepsis".
    qsofa = None
    if observations and not child:
        qsofa = _qsofa(series, gcs_obs, gcs)
        scores["qsofa"] = qsofa.to_dict()

    sepsis = None
    if not child and (news2 is not None or qsofa is not None or "suspected_infection" in history):
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

    extra = []
    if "pews" in scores:
        extra = pews_prompts(scores["pews"], suspected_infection=history.get("suspected_infection"))
    prompts = decision_prompts(
        extra=extra,
        news2=None if child else news2,
        sepsis=sepsis,
        befast=befast,
        stemi=stemi,
        qsofa=qsofa,
    )
    return {"scores": scores, "prompts": [p.to_dict() for p in prompts]}
