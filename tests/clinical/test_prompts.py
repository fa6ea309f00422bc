"""Decision prompts a crew app shows, with their rule ids and severities."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.clinical import (
    BeFastInput,
    News2Input,
    News2Result,
    Prompt,
    TwelveLead,
    assess_befast,
    decision_prompts,
    flag_stemi,
    score_news2,
    score_qsofa,
    screen_sepsis,
)

NORMAL = News2Input(
    resp_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic=120,
    pulse=70,
    consciousness="A",
    temperature=37.0,
)
AT = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def news2(**changes: Any) -> News2Result:
    """Score NORMAL with some parameters changed."""
    return score_news2(replace(NORMAL, **changes))


def test_no_results_no_prompts() -> None:
    assert decision_prompts() == []


@pytest.mark.parametrize(
    ("changes", "rule", "severity", "text"),
    [
        ({}, "news2.aggregate", "info", "NEWS2 0 — low: routine monitoring"),
        (
            {"pulse": 95},
            "news2.aggregate",
            "info",
            "NEWS2 1 — low: clinical assessment and continued monitoring",
        ),
        (
            {"resp_rate": 25},
            "news2.single-3",
            "urgent",
            "NEWS2 3 with 3 in a single parameter (respiration rate) — low-medium: urgent review",
        ),
        (
            {"resp_rate": 25, "pulse": 111},
            "news2.aggregate",
            "urgent",
            "NEWS2 5 — medium: urgent response",
        ),
        (
            {"resp_rate": 25, "pulse": 111, "on_oxygen": True},
            "news2.aggregate",
            "emergency",
            "NEWS2 7 — high: emergency response, consider pre-alert",
        ),
    ],
)
def test_news2_prompts(changes: dict[str, Any], rule: str, severity: str, text: str) -> None:
    assert decision_prompts(news2=news2(**changes)) == [Prompt(rule, severity, text)]  # type: ignore[arg-type]


def test_incomplete_news2_says_what_to_record() -> None:
    prompts = decision_prompts(news2=score_news2(News2Input(resp_rate=25, pulse=111)))
    assert prompts == [
        Prompt("news2.aggregate", "urgent", "NEWS2 5 (incomplete) — medium: urgent response"),
        Prompt(
            "news2.incomplete",
            "advice",
            "NEWS2 incomplete: record SpO2, air or oxygen, systolic BP, consciousness, temperature",
        ),
    ]


@pytest.mark.parametrize(
    ("age", "pregnant", "reason"),
    [(12, None, "patient under 16"), (30, True, "pregnancy")],
)
def test_news2_not_validated_replaces_the_band_prompt(
    age: int, pregnant: bool | None, reason: str
) -> None:
    result = score_news2(replace(NORMAL, resp_rate=25), age_years=age, pregnant=pregnant)
    assert decision_prompts(news2=result) == [
        Prompt(
            "news2.not-validated",
            "advice",
            f"NEWS2 not validated: {reason} (adult chart total 3 not used) "
            "— use clinical judgement",
        )
    ]


def test_qsofa_prompt_only_when_positive() -> None:
    assert decision_prompts(qsofa=score_qsofa(22, 120, gcs_total=15)) == []
    assert decision_prompts(qsofa=score_qsofa(22, 100, gcs_total=15)) == [
        Prompt(
            "qsofa.positive",
            "urgent",
            "qSOFA 2 — positive (respiratory rate ≥22/min, systolic BP ≤100 mmHg): "
            "assess for sepsis",
        )
    ]


def test_sepsis_positive() -> None:
    screen = screen_sepsis(
        suspected_infection=True,
        news2=news2(resp_rate=25, pulse=111, on_oxygen=True),
        qsofa=score_qsofa(25, 100, gcs_total=15),
    )
    assert decision_prompts(sepsis=screen) == [
        Prompt(
            "sepsis.screen",
            "emergency",
            "Sepsis screen positive: suspected infection with NEWS2 7 and qSOFA 2 "
            "— follow the sepsis pathway, consider pre-alert",
        )
    ]


def test_sepsis_asks_about_infection_when_scores_trigger() -> None:
    screen = screen_sepsis(suspected_infection=None, news2=news2(resp_rate=25, pulse=111))
    assert decision_prompts(sepsis=screen) == [
        Prompt(
            "sepsis.infection-unknown",
            "advice",
            "NEWS2 5: is infection suspected? Complete the sepsis screen",
        )
    ]


def test_sepsis_incomplete_when_infection_suspected_and_a_score_is_missing() -> None:
    screen = screen_sepsis(suspected_infection=True, qsofa=score_qsofa(16, 120, gcs_total=15))
    assert decision_prompts(sepsis=screen) == [
        Prompt(
            "sepsis.incomplete",
            "advice",
            "Sepsis screen incomplete: infection suspected; complete NEWS2 and qSOFA",
        )
    ]


@pytest.mark.parametrize(
    ("infection", "scores"),
    [(True, True), (False, True), (None, False)],
)
def test_sepsis_silent_when_decided_negative(infection: bool | None, scores: bool) -> None:
    screen = screen_sepsis(
        suspected_infection=infection,
        news2=news2(),
        qsofa=score_qsofa(16, 120, gcs_total=15) if scores else None,
    )
    assert decision_prompts(sepsis=screen) == []


def befast(since: timedelta | None, **signs: bool) -> Any:
    """Assess BE-FAST at AT with last known well `since` before."""
    return assess_befast(
        BeFastInput(
            assessed_at=AT,
            last_known_well=None if since is None else AT - since,
            **{
                "balance": False,
                "eyes": False,
                "face": False,
                "arm": False,
                "speech": False,
                **signs,
            },
        )
    )


@pytest.mark.parametrize(
    ("since", "rule", "severity", "text"),
    [
        (
            timedelta(hours=1, minutes=20),
            "fast.pre-alert",
            "emergency",
            "BE-FAST positive, last known well 1 h 20 min ago — stroke pre-alert "
            "(thrombolysis window)",
        ),
        (
            timedelta(hours=8),
            "fast.pre-alert",
            "emergency",
            "BE-FAST positive, last known well 8 h ago — stroke pre-alert",
        ),
        (
            None,
            "fast.pre-alert",
            "emergency",
            "BE-FAST positive, last known well not recorded — stroke pre-alert; "
            "tell the stroke unit onset is unknown",
        ),
        (
            timedelta(hours=30),
            "fast.positive",
            "urgent",
            "BE-FAST positive, last known well 30 h ago — outside the 24 h window",
        ),
    ],
)
def test_befast_prompts(since: timedelta | None, rule: str, severity: str, text: str) -> None:
    assert decision_prompts(befast=befast(since, face=True)) == [Prompt(rule, severity, text)]  # type: ignore[arg-type]


def test_befast_negative() -> None:
    assert decision_prompts(befast=befast(timedelta(hours=1))) == []
    incomplete = assess_befast(BeFastInput(assessed_at=AT, face=False, arm=False, speech=False))
    assert decision_prompts(befast=incomplete) == [
        Prompt("fast.incomplete", "advice", "BE-FAST negative so far; not tested: balance, eyes")
    ]


@pytest.mark.parametrize(
    ("ecg", "rule", "text"),
    [
        (
            TwelveLead(st_elevation_leads={"II", "III", "aVF"}, new_lbbb=True),
            "stemi.st-elevation",
            "STEMI (inferior) on 12-lead — pre-alert PPCI centre",
        ),
        (
            TwelveLead(new_lbbb=True, interpretation="STEMI"),
            "stemi.new-lbbb",
            "New LBBB on 12-lead (treat as STEMI) — discuss with PPCI centre",
        ),
        (
            TwelveLead(interpretation="anterior STEMI"),
            "stemi.interpretation",
            "STEMI on 12-lead (clinician interpretation) — pre-alert PPCI centre",
        ),
    ],
)
def test_stemi_prompts(ecg: TwelveLead, rule: str, text: str) -> None:
    assert decision_prompts(stemi=flag_stemi(ecg)) == [Prompt(rule, "emergency", text)]


def test_stemi_negative() -> None:
    assert decision_prompts(stemi=flag_stemi(TwelveLead(st_elevation_leads={"V1"}))) == []


def test_prompts_are_sorted_most_severe_first() -> None:
    prompts = decision_prompts(
        news2=score_news2(News2Input(resp_rate=25)),
        qsofa=score_qsofa(22, 100),
        stemi=flag_stemi(TwelveLead(st_elevation_leads={"V7", "V8"})),
    )
    assert [(p.severity, p.rule) for p in prompts] == [
        ("emergency", "stemi.st-elevation"),
        ("urgent", "news2.single-3"),
        ("urgent", "qsofa.positive"),
        ("advice", "news2.incomplete"),
    ]
    data = [prompt.to_dict() for prompt in prompts]
    assert json.loads(json.dumps(data)) == data
    assert set(data[0]) == {"rule", "severity", "text"}
