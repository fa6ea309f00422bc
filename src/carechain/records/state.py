"""A record's state: the fold of its entries plus the decision support computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carechain.records import kinds
from carechain.records.arrest import arrest_summary
from carechain.records.capacity import consent_summary
from carechain.records.decision import decision_support
from carechain.records.fold import FoldEntry, KindInfo, fold
from carechain.records.maternity import maternity_summary

__all__ = ["CHUNK_KIND", "build_state", "without_content"]

# A file's bytes, joined only when the file itself is read: never an item of the state,
# and shown in the history without its content.
CHUNK_KIND = "attachment.chunk"


def without_content(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return an `attachment.chunk` body without its bytes (what the fold keeps of it), or
    None for any other body."""
    if body is None or body.get("kind") != CHUNK_KIND or not isinstance(body.get("data"), dict):
        return None
    return {**body, "data": {k: v for k, v in body["data"].items() if k != "content"}}


def _kind_info() -> dict[str, KindInfo]:
    return {name: KindInfo(spec.section, spec.multi) for name, spec in kinds.KINDS.items()
            if name != CHUNK_KIND}


def build_state(record: bytes, entries: Sequence[FoldEntry]) -> dict[str, Any]:
    """Return the record's clinical state, with scores, prompts, conflicts, any arrest and any
    consent summary (capacity, refusal, safeguarding) and any maternity summary."""
    state = fold(record, entries, _kind_info())
    for item in state["history"]:
        if item["kind"] == CHUNK_KIND and isinstance(item["data"], dict):
            item["data"] = {k: v for k, v in item["data"].items() if k != "content"}
    state.update(decision_support(state))
    arrest = arrest_summary(state)
    if arrest is not None:
        state["arrest"] = arrest
    consent = consent_summary(state)
    if consent is not None:
        state["consent"] = consent
        state["prompts"] = [*state["prompts"], *consent["prompts"]]
    maternity = maternity_summary(state)
    if maternity is not None:
        state["maternity"] = maternity
        state["prompts"] = [*maternity["prompts"], *state["prompts"]]
    return state
