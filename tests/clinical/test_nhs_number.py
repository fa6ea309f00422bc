"""NHS number modulus-11 check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carechain.clinical import check_nhs_number, nhs_check_digit, nhs_number_valid


@pytest.mark.parametrize(
    "number", ["943 476 5919", "9434765919", " 943 476 5919 ", "401 023 2137", "0000000000"]
)
def test_valid(number: str) -> None:
    result = check_nhs_number(number)
    assert result.valid
    assert result.reason is None
    assert result.number == number.replace(" ", "")
    assert nhs_number_valid(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("943 476 5918", "check digit should be 9, not 8"),
        ("9434765910", "check digit should be 9, not 0"),
        # 1×10 + 1×2 = 12; 12 mod 11 = 1; 11 − 1 = 10: no valid check digit exists.
        ("1000000010", "check digit computes to 10: not a valid NHS number"),
        ("1000000011", "check digit computes to 10: not a valid NHS number"),
        ("943476591", "must be 10 digits, not 9"),
        ("94347659190", "must be 10 digits, not 11"),
        ("", "must be 10 digits, not 0"),
        ("943-476-5919", "must contain only digits and spaces"),
        ("943 476 591A", "must contain only digits and spaces"),
        ("٩٤٣٤٧٦٥٩١٩", "must contain only digits and spaces"),
        ("9434 765 919", "spaces are allowed only as 3-3-4 (e.g. 943 476 5919)"),
        ("943  476 5919", "spaces are allowed only as 3-3-4 (e.g. 943 476 5919)"),
        (9434765919, "must be text"),
    ],
)
def test_invalid(number: Any, reason: str) -> None:
    result = check_nhs_number(number)
    assert not result.valid
    assert result.number is None
    assert result.reason == reason
    assert not nhs_number_valid(number)


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [("943476591", 9), ("100000001", None), ("000000000", 0), ("401023213", 7)],
)
def test_check_digit(first_nine: str, check: int | None) -> None:
    assert nhs_check_digit(first_nine) == check


@pytest.mark.parametrize("bad", ["12345678", "1234567890", "12345678X", "١٢٣٤٥٦٧٨٩"])
def test_check_digit_needs_nine_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="nine ASCII digits"):
        nhs_check_digit(bad)


def test_to_dict() -> None:
    data = check_nhs_number("943 476 5919").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {"valid": True, "number": "9434765919", "reason": None}


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_a_computed_check_digit_validates(first_nine: str) -> None:
    check = nhs_check_digit(first_nine)
    if check is None:
        assert all(not nhs_number_valid(first_nine + str(d)) for d in range(10))
    else:
        assert nhs_number_valid(first_nine + str(check))


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_change_is_caught(first_nine: str, position: int, delta: int) -> None:
    check = nhs_check_digit(first_nine)
    if check is None:
        return
    number = first_nine + str(check)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not nhs_number_valid(changed)
