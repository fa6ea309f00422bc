"""Pure clinical decision support: scores, screens, flags and formulary checks.

Imports nothing else from carechain and touches no database or network; every result is a
frozen dataclass with `to_dict()`. The rules and their sources are in docs/clinical.md.
"""

from carechain.clinical.administration import (
    OVERRIDABLE,
    Breach,
    PriorAdministration,
    RecordedAllergy,
    check_administration,
    override_requirement,
)
from carechain.clinical.errors import ClinicalValueError, FormularyError
from carechain.clinical.fast import BeFastInput, BeFastResult, assess_befast
from carechain.clinical.formulary import (
    CrossReaction,
    Drug,
    Formulary,
    PaediatricDosing,
    load_example_formulary,
    load_formulary,
)
from carechain.clinical.gcs import gcs_total
from carechain.clinical.news2 import (
    News2Input,
    News2Result,
    News2Trend,
    News2TrendPoint,
    news2_trend,
    score_news2,
)
from carechain.clinical.news2_series import (
    NEWS2_WINDOW_MINUTES,
    News2Series,
    News2Set,
    ParameterValue,
    news2_series,
)
from carechain.clinical.nhs_number import (
    NhsNumberCheck,
    check_nhs_number,
    nhs_check_digit,
    nhs_number_valid,
)
from carechain.clinical.prompts import Prompt, decision_prompts, pews_prompts
from carechain.clinical.qsofa import QsofaResult, score_qsofa
from carechain.clinical.sepsis import SepsisScreen, screen_sepsis
from carechain.clinical.stemi import StemiResult, TwelveLead, flag_stemi

__all__ = [
    "NEWS2_WINDOW_MINUTES",
    "OVERRIDABLE",
    "BeFastInput",
    "BeFastResult",
    "Breach",
    "ClinicalValueError",
    "CrossReaction",
    "Drug",
    "Formulary",
    "FormularyError",
    "News2Input",
    "News2Result",
    "News2Series",
    "News2Set",
    "News2Trend",
    "News2TrendPoint",
    "NhsNumberCheck",
    "PaediatricDosing",
    "ParameterValue",
    "PriorAdministration",
    "Prompt",
    "QsofaResult",
    "RecordedAllergy",
    "SepsisScreen",
    "StemiResult",
    "TwelveLead",
    "assess_befast",
    "check_administration",
    "check_nhs_number",
    "decision_prompts",
    "flag_stemi",
    "gcs_total",
    "load_example_formulary",
    "load_formulary",
    "news2_series",
    "news2_trend",
    "nhs_check_digit",
    "nhs_number_valid",
    "override_requirement",
    "pews_prompts",
    "score_news2",
    "score_qsofa",
    "screen_sepsis",
]
