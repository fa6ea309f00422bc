"""Handover summaries of a folded record: ATMIST(ER) for trauma, SBAR otherwise.

from carechain.handover import build_handover
build_handover(state, now=now).to_text()
"""

from carechain.handover._build import build_handover, is_trauma
from carechain.handover._maternity import maternity_card
from carechain.handover._model import ATMIST_FIELDS, LABELS, NOT_RECORDED, SBAR_FIELDS, Handover
from carechain.handover._words import age_sex

__all__ = [
    "ATMIST_FIELDS",
    "LABELS",
    "NOT_RECORDED",
    "SBAR_FIELDS",
    "Handover",
    "age_sex",
    "build_handover",
    "is_trauma",
    "maternity_card",
]
