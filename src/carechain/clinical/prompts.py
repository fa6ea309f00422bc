"""Turn decision-support results into the prompts a crew app shows, most severe first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from carechain.clinical._json import as_dict
from carechain.clinical.fast import BeFastResult, format_minutes
from carechain.clinical.news2 import PARAMETER_LABELS, News2Result
from carechain.clinical.qsofa import QsofaResult
from carechain.clinical.sepsis import SepsisScreen
from carechain.clinical.stemi import StemiResult

Severity = Literal["info", "advice", "urgent", "emergency"]
_RANK: dict[Severity, int] = {"emergency": 0, "urgent": 1, "advice": 2, "info": 3}


@dataclass(frozen=True)
class Prompt:
    """One prompt: the rule that raised it, how severe it is, and what to show."""

    rule: str
    severity: Severity
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return the prompt as plain JSON types."""
        return as_dict(self)


def _labels(names: tuple[str, ...]) -> str:
    """Return parameter names as a crew reads them."""
    return ", ".join(PARAMETER_LABELS[name] for name in names)


def _news2_prompts(news2: News2Result) -> list[Prompt]:
    """Return the NEWS2 prompts (RCP NEWS2 2017 chart 2 clinical response)."""
    if not news2.applicable:
        # RCP NEWS2 2017: not validated under 16 or in pregnancy; say so, never score silently.
        return [
            Prompt(
                "news2.not-validated",
                "advice",
                f"NEWS2 not validated: {news2.not_validated_reason} (adult chart total "
                f"{news2.aggregate} not used) — use clinical judgement",
            )
        ]
    prompts: list[Prompt] = []
    label = f"NEWS2 {news2.aggregate}" + ("" if news2.complete else " (incomplete)")
    if news2.band == "high":
        text = f"{label} — high: {news2.response}, consider pre-alert"
        prompts.append(Prompt("news2.aggregate", "emergency", text))
    elif news2.band == "medium":
        prompts.append(Prompt("news2.aggregate", "urgent", f"{label} — medium: {news2.response}"))
    elif news2.band == "low-medium":
        text = (
            f"{label} with 3 in a single parameter "
            f"({_labels(news2.single_three_parameters)}) — low-medium: {news2.response}"
        )
        prompts.append(Prompt("news2.single-3", "urgent", text))
    else:
        prompts.append(Prompt("news2.aggregate", "info", f"{label} — low: {news2.response}"))
    if not news2.complete:
        text = f"NEWS2 incomplete: record {_labels(news2.missing)}"
        prompts.append(Prompt("news2.incomplete", "advice", text))
    return prompts


def _sepsis_prompts(sepsis: SepsisScreen) -> list[Prompt]:
    """Return the sepsis screen prompts (RCP NEWS2 2017 ≥5; Sepsis-3 qSOFA ≥2)."""
    triggers = []
    if sepsis.news2_trigger:
        triggers.append(f"NEWS2 {sepsis.news2_aggregate}")
    if sepsis.qsofa_trigger:
        triggers.append(f"qSOFA {sepsis.qsofa_score}")
    if sepsis.positive:
        text = (
            f"Sepsis screen positive: suspected infection with {' and '.join(triggers)} "
            "— follow the sepsis pathway, consider pre-alert"
        )
        return [Prompt("sepsis.screen", "emergency", text)]
    if sepsis.suspected_infection is None and triggers:
        text = f"{' and '.join(triggers)}: is infection suspected? Complete the sepsis screen"
        return [Prompt("sepsis.infection-unknown", "advice", text)]
    if sepsis.suspected_infection and None in (sepsis.news2_trigger, sepsis.qsofa_trigger):
        text = "Sepsis screen incomplete: infection suspected; complete NEWS2 and qSOFA"
        return [Prompt("sepsis.incomplete", "advice", text)]
    return []


def _befast_prompts(befast: BeFastResult) -> list[Prompt]:
    """Return the stroke prompts (BE-FAST; NICE NG128 treatment windows)."""
    minutes = befast.minutes_since_last_known_well
    since = "not recorded" if minutes is None else f"{format_minutes(minutes)} ago"
    if befast.pre_alert:
        text = f"BE-FAST positive, last known well {since} — stroke pre-alert"
        if minutes is None:
            text += "; tell the stroke unit onset is unknown"
        elif befast.thrombolysis_window:
            text += " (thrombolysis window)"
        return [Prompt("fast.pre-alert", "emergency", text)]
    if befast.positive:
        text = f"BE-FAST positive, last known well {since} — outside the 24 h window"
        return [Prompt("fast.positive", "urgent", text)]
    if befast.unknown_signs:
        text = f"BE-FAST negative so far; not tested: {', '.join(befast.unknown_signs)}"
        return [Prompt("fast.incomplete", "advice", text)]
    return []


def _stemi_prompts(stemi: StemiResult) -> list[Prompt]:
    """Return the STEMI prompt (Fourth Universal Definition of MI; ESC STEMI 2017)."""
    if stemi.territory is not None:
        text = f"STEMI ({stemi.territory}) on 12-lead — pre-alert PPCI centre"
        return [Prompt("stemi.st-elevation", "emergency", text)]
    if stemi.new_lbbb:
        text = "New LBBB on 12-lead (treat as STEMI) — discuss with PPCI centre"
        return [Prompt("stemi.new-lbbb", "emergency", text)]
    if stemi.interpreted_as_stemi:
        text = "STEMI on 12-lead (clinician interpretation) — pre-alert PPCI centre"
        return [Prompt("stemi.interpretation", "emergency", text)]
    return []


# National PEWS escalation level → prompt severity. The chart's high (rapid review within
# 15 minutes) and emergency (immediate) both call for a senior now: both are emergencies
# for a crew, as NEWS2's high band is.
_PEWS_SEVERITY: dict[str, Severity] = {
    "emergency": "emergency", "high": "emergency", "medium": "urgent", "low": "info",
    "none": "info",
}  # fmt: skip
_PEWS_NAMES = {"resp_rate": "respiratory rate", "respiratory_distress": "respiratory distress",
               "spo2": "SpO2", "oxygen": "oxygen support", "pulse": "heart rate",
               "systolic": "systolic BP", "capillary_refill": "capillary refill"}  # fmt: skip


def pews_prompts(pews: Mapping[str, Any], *, suspected_infection: bool | None) -> list[Prompt]:
    """Return a child's prompts from the fold's PEWS (`scores["pews"]`, National PEWS).

    The chart's "think sepsis" (temperature ≥38.0 or <36.0 °C, or known or suspected
    infection) is an advice prompt; NEWS2, qSOFA and the adult sepsis screen are not used
    under 16.
    """
    level = str(pews.get("band", "none"))
    label = f"PEWS {pews.get('aggregate')}" + ("" if pews.get("complete") else " (incomplete)")
    why = "".join(f"; {t}" for t in pews.get("triggers") or ())
    text = f"{label} — {level} ({pews.get('age_band_label')} chart{why}): {pews.get('response')}"
    prompts = [Prompt("pews.level", _PEWS_SEVERITY.get(level, "info"), text)]
    missing = [_PEWS_NAMES.get(str(m), str(m)) for m in pews.get("missing") or ()]
    if missing:
        prompts.append(Prompt("pews.incomplete", "advice",
                              f"PEWS incomplete: record {', '.join(missing)}"))  # fmt: skip
    if pews.get("think_sepsis") or suspected_infection:
        reason = "temperature" if pews.get("think_sepsis") else "infection suspected"
        prompts.append(Prompt("pews.think-sepsis", "advice",
                              f"Think sepsis ({reason}, National PEWS): assess the child "
                              "for sepsis"))  # fmt: skip
    return prompts


def decision_prompts(
    *,
    extra: Sequence[Prompt] = (),
    news2: News2Result | None = None,
    qsofa: QsofaResult | None = None,
    sepsis: SepsisScreen | None = None,
    befast: BeFastResult | None = None,
    stemi: StemiResult | None = None,
) -> list[Prompt]:
    """Return the prompts for the given results, most severe first."""
    prompts: list[Prompt] = list(extra)
    if news2 is not None:
        prompts += _news2_prompts(news2)
    if qsofa is not None and qsofa.positive:
        text = f"qSOFA {qsofa.score} — positive ({qsofa.describe_met()}): assess for sepsis"
        prompts.append(Prompt("qsofa.positive", "urgent", text))
    if sepsis is not None:
        prompts += _sepsis_prompts(sepsis)
    if befast is not None:
        prompts += _befast_prompts(befast)
    if stemi is not None:
        prompts += _stemi_prompts(stemi)
    return sorted(prompts, key=lambda prompt: _RANK[prompt.severity])
