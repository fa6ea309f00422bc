"""The consent summary of a folded record: capacity, refusals, referrals and safeguarding.

Computed from the record's own entries, like the decision support. It names what a
non-conveyed record still lacks (hazards H-030 and H-033 in docs/hazard-log.md): a
refusal recorded with no capacity assessment, a refusal with no patient or witness
signature, and a safeguarding concern whose referral was not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carechain.records._items import items_of

__all__ = ["consent_summary"]


def _advice(rule: str, text: str) -> dict[str, str]:
    return {"rule": rule, "severity": "advice", "text": text}


def consent_summary(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the latest capacity conclusion and the prompts, or None when nothing applies.

    The prompts have the decision-support prompts' shape (rule, severity, text); the state
    lists them with the others, so the crew's record page and the hospital show them."""
    assessments = items_of(state, "capacity")
    refusals = items_of(state, "refusals")
    safeguarding = items_of(state, "safeguarding")
    if not (assessments or refusals or safeguarding or items_of(state, "referrals")):
        return None
    prompts: list[dict[str, str]] = []
    if refusals and not assessments:
        prompts.append(
            _advice(
                "consent.capacity-not-assessed",
                "A refusal is recorded without a capacity assessment.",
            )
        )
    if refusals and not items_of(state, "signatures"):
        prompts.append(
            _advice(
                "consent.refusal-not-signed",
                "A refusal is recorded without the patient's or a witness's signature.",
            )
        )
    for concern in safeguarding:
        if concern.get("referral_sent") is not True:
            who = "an adult" if concern.get("concern_for") == "adult" else "a child"
            prompts.append(
                _advice(
                    "safeguarding.not-referred",
                    f"A safeguarding concern for {who} has no referral sent.",
                )
            )
    latest = assessments[-1] if assessments else None
    return {
        "capacity": latest.get("conclusion") if latest else None,
        "capacity_decision": latest.get("decision") if latest else None,
        "prompts": prompts,
    }
