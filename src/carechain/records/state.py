"""A record's state: the fold of its entries plus the decision support computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carechain.records import kinds
from carechain.records.arrest import arrest_summary
from carechain.records.decision import decision_support
from carechain.records.fold import FoldEntry, KindInfo, fold

__all__ = ["build_state"]


def _kind_info() -> dict[str, KindInfo]:
    return {name: KindInfo(spec.section, spec.multi) for name, spec in kinds.KINDS.items()}


def build_state(record: bytes, entries: Sequence[FoldEntry]) -> dict[str, Any]:
    """Return the record's clinical state, with scores, prompts, conflicts and any arrest."""
    state = fold(record, entries, _kind_info())
    state.update(decision_support(state))
    arrest = arrest_summary(state)
    if arrest is not None:
        state["arrest"] = arrest
    return state
