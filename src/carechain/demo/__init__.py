"""Scripted cases and the demonstration that plays them."""

from carechain.demo.cases import CASES, Case, chest_pain_stemi, motorcyclist_femur
from carechain.demo.runner import play_case, render_state

__all__ = ["CASES", "Case", "chest_pain_stemi", "motorcyclist_femur", "play_case", "render_state"]
