"""How the handover says ages, times and quantities."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from carechain.handover._words import age_sex, clock, quantity, relative

BST = timezone(timedelta(hours=1))
NOW = datetime(2024, 5, 1, 15, 0, tzinfo=BST)


@pytest.mark.parametrize(
    ("patient", "said"),
    [
        ({"date_of_birth": "1957-05-01", "sex": "male"}, "67 M"),  # birthday today
        ({"date_of_birth": "1957-05-02", "sex": "male"}, "66 M"),  # birthday tomorrow
        ({"date_of_birth": "2022-05-01", "sex": "female"}, "2 F"),
        ({"date_of_birth": "2022-05-02", "sex": "female"}, "23 months F"),
        ({"date_of_birth": "2024-03-31", "sex": "female"}, "1 month F"),
        ({"date_of_birth": "2024-04-30"}, "1 day, sex not recorded"),
        ({"date_of_birth": "2024-05-01", "sex": "male"}, "0 days M"),
        ({"estimated_age_years": 40, "sex": "female"}, "approx. 40 F"),
        ({"date_of_birth": "1990-01-01", "estimated_age_years": 20, "sex": "male"}, "34 M"),
        ({"sex": "unknown"}, "age not recorded, sex unknown"),
        ({"estimated_age_years": 30, "sex": "other"}, "approx. 30, sex other"),
        ({"date_of_birth": "1990-01-01", "sex": "female", "pregnant": True}, "34 F, pregnant"),
        ({}, None),
        ({"date_of_birth": "not a date", "sex": 3}, None),
    ],
)
def test_age_sex(patient: dict[str, Any], said: str | None) -> None:
    assert age_sex(patient, NOW) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2024-05-01T13:32:00+00:00", "14:32"),
        ("2024-04-30T22:50:00+00:00", "30 Apr 23:50"),
        ("2023-12-31T21:50:00+00:00", "31 Dec 2023 22:50"),
        ("garbage", None),
        (None, None),
    ],
)
def test_clock(value: object, said: str | None) -> None:
    assert clock(value, NOW) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2024-05-01T14:08:00+01:00", "52 min ago"),
        ("2024-05-01T13:00:00+01:00", "2 h ago"),
        ("2024-05-01T12:55:00+01:00", "2 h 5 min ago"),
        ("2024-05-01T15:12:00+01:00", "in 12 min"),
        ("2024-05-01T15:00:30+01:00", "now"),
    ],
)
def test_relative(value: str, said: str) -> None:
    assert relative(value, NOW) == said


@pytest.mark.parametrize(
    ("value", "said"), [(300.0, "300"), (0.5, "0.5"), (7, "7"), (True, None), ("3", None)]
)
def test_quantity(value: object, said: str | None) -> None:
    assert quantity(value) == said
