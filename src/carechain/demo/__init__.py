"""Scripted cases and the demonstration that plays them."""

from carechain.demo.arrest_case import cardiac_arrest_rosc
from carechain.demo.cases import CASES, Case, chest_pain_stemi, motorcyclist_femur
from carechain.demo.runner import play_case, render_state
from carechain.demo.trauma_case import cyclist_femur_tourniquet

CASES["cardiac-arrest"] = cardiac_arrest_rosc

__all__ = [
    "CASES",
    "Case",
    "cardiac_arrest_rosc",
    "chest_pain_stemi",
    "cyclist_femur_tourniquet",
    "motorcyclist_femur",
    "play_case",
    "render_state",
]
