"""The handover's words for a patient who declined care: the capacity conclusion, what
was refused, who the patient was left with, the referrals made and safeguarding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.handover._read import items, mapping, text
from carechain.handover._words import say

_SERVICES = {
    "gp": "GP",
    "urgent-community-response": "urgent community response",
    "mental-health-team": "mental-health team",
    "falls-service": "falls service",
}


def _refusal(refusal: Mapping[str, Any]) -> str:
    refused = refusal.get("refused")
    what = ", ".join(str(say(r)) for r in refused) if isinstance(refused, list) else "care"
    capacity = (
        "with capacity"
        if refusal.get("capacity") == "has-capacity"
        else ("lacking capacity, best interests: " + (text(refusal.get("best_interests")) or ""))
    )
    line = f"refused {what} ({capacity})"
    risks = text(refusal.get("risks_explained"))
    if risks:
        line += f"; risks explained: {risks}"
    advice = text(refusal.get("worsening_advice"))
    if advice:
        line += f"; worsening advice: {advice}"
    left = say(refusal.get("left_with"))
    if left:
        name = text(refusal.get("left_with_name"))
        line += f"; left with {left}" + (f" ({name})" if name else "")
    return line


def _referral(referral: Mapping[str, Any]) -> str:
    service = str(referral.get("service", ""))
    name = text(referral.get("service_name")) or _SERVICES.get(service, say(service) or "")
    reference = text(referral.get("reference"))
    return f"referred to {name}" + (f" (ref {reference})" if reference else "")


def _safeguarding(concern: Mapping[str, Any]) -> str:
    who = text(concern.get("concern_for")) or "person"
    if concern.get("referral_sent") is True:
        return f"safeguarding ({who}) referral sent, ref {text(concern.get('reference'))}"
    return f"safeguarding concern ({who}), NO referral sent"


def declined(state: Mapping[str, Any]) -> list[str]:
    """Return the refusals, referrals and safeguarding lines, and an unassessed capacity."""
    parts = [_refusal(r) for r in items(state, "refusals")]
    consent = mapping(state.get("consent"))
    if items(state, "refusals") and consent.get("capacity") is None:
        parts.append("capacity not assessed")
    parts += [_referral(r) for r in items(state, "referrals")]
    parts += [_safeguarding(c) for c in items(state, "safeguarding")]
    return parts
