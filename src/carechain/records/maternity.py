"""The maternity summary of a folded record: the pregnancy, the latest labour assessment,
the blood loss, the births (each naming its baby's record), the records linked to this
one, and the newborn's Apgar scores.

Computed from the record's own entries, like the decision support, so every node shows
the same summary. Blood loss: each `blood_loss.estimated` is the loss so far in its stage,
so the latest estimate of each stage counts (never a sum of estimates of the same loss).
The prompts (hazards H-052 and H-054 in docs/hazard-log.md) name a postpartum loss of
500 ml or more (RCOG GTG 52) and a 5-minute Apgar score below 7 (AAP/ACOG 2015); both
rules are `carechain.clinical.obstetric`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.clinical.errors import ClinicalValueError
from carechain.clinical.obstetric import classify_postpartum_loss, score_apgar
from carechain.errors import FieldInvalid
from carechain.records._items import items_of, when

__all__ = ["check_written_on", "is_pregnant", "maternity_summary"]

_PPH_WORDS = {"minor": "minor", "moderate": "major (moderate)", "severe": "major (severe)"}


def _section(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    sections = state.get("sections", {})
    found = sections.get(name, {}) if isinstance(sections, Mapping) else {}
    return found if isinstance(found, Mapping) else {}


def is_pregnant(state: Mapping[str, Any]) -> bool | None:
    """Tell whether the record is of a pregnant (or just delivered) woman: a pregnancy, a
    labour or a birth recorded says so whatever the patient section's `pregnant` flag says."""
    if _section(state, "pregnancy") or items_of(state, "births") or items_of(state, "labour"):
        return True
    pregnant = _section(state, "patient").get("pregnant")
    return pregnant if isinstance(pregnant, bool) else None


def _blood_loss(state: Mapping[str, Any]) -> dict[str, Any]:
    latest: dict[str, Mapping[str, Any]] = {}
    for item in sorted(items_of(state, "blood_loss"), key=lambda i: when(i.get("estimated_at"))):
        latest[str(item.get("stage"))] = item
    stages = {stage: int(item.get("estimated_ml", 0)) for stage, item in latest.items()}
    postpartum = stages.get("postpartum")
    return {
        "stages": stages,
        "total_ml": sum(stages.values()) if stages else None,
        "pph": None if postpartum is None else classify_postpartum_loss(postpartum),
    }


def _apgar(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    scores = []
    for item in items_of(state, "apgar"):
        signs = {k: item.get(k) for k in ("appearance", "pulse", "grimace", "activity",
                                          "respiration")}
        try:
            result = score_apgar(item.get("minute", 0), signs)
        except ClinicalValueError:
            continue  # not a score the kind lets through
        scores.append({**result.to_dict(), "entry": item.get("entry"),
                       "scored_at": item.get("scored_at")})
    return sorted(scores, key=lambda s: (s["minute"], str(s.get("scored_at") or "")))


def _advice(rule: str, severity: str, text: str) -> dict[str, str]:
    return {"rule": rule, "severity": severity, "text": text}


def _prompts(loss: Mapping[str, Any], apgar: list[dict[str, Any]]) -> list[dict[str, str]]:
    prompts = []
    pph = loss.get("pph")
    if pph not in (None, "none"):
        ml = loss["stages"]["postpartum"]
        prompts.append(_advice(
            "maternity.pph", "emergency" if pph != "minor" else "urgent",
            f"Estimated blood loss {ml} ml since the birth: {_PPH_WORDS[pph]} postpartum "
            "haemorrhage (RCOG GTG 52: 500 ml or more; major over 1000 ml)"))
    if apgar:
        last = apgar[-1]
        if last["rescore"]:
            prompts.append(_advice(
                "apgar.rescore", "urgent",
                f"Apgar {last['total']} at {last['minute']} minutes: below 7 — score again "
                f"at {last['minute'] + 5} minutes (AAP/ACOG 2015)"))
    return prompts


def maternity_summary(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the record's maternity summary and prompts, or None when it holds nothing of
    a pregnancy, a birth or a newborn."""
    pregnancy = dict(_section(state, "pregnancy"))
    labour = sorted(items_of(state, "labour"), key=lambda i: when(i.get("assessed_at")))
    births = sorted(items_of(state, "births"), key=lambda i: when(i.get("born_at")))
    links = items_of(state, "links")
    apgar = _apgar(state)
    losses = items_of(state, "blood_loss")
    if not (pregnancy or labour or births or links or apgar or losses):
        return None
    loss = _blood_loss(state)
    return {
        "pregnancy": pregnancy,
        "labour": dict(labour[-1]) if labour else None,
        "blood_loss": loss if losses else None,
        "births": [dict(b) for b in births],
        "links": [{k: link.get(k) for k in ("relation", "record", "linked_at", "entry")}
                  for link in links],
        "apgar": apgar,
        "prompts": _prompts(loss, apgar),
    }


def check_written_on(kind: str, state: Mapping[str, Any]) -> None:
    """Refuse a newborn's Apgar score on a record that is a mother's (one with a birth or a
    baby linked): it belongs on the baby's own record (hazard H-053)."""
    if kind != "apgar.scored":
        return
    babies = [x for x in items_of(state, "links") if x.get("relation") == "baby"]
    if babies or items_of(state, "births"):
        raise FieldInvalid(
            "kind", "an Apgar score is the baby's: write it on the baby's own record, "
            "opened by the birth")
