"""NHS number modulus-11 check (NHS Data Dictionary, "NHS Number"; docs/clinical.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from carechain.clinical._json import as_dict

# Ten digits, either run together or spaced 3-3-4 as printed on NHS documents.
_FORMAT = re.compile(r"[0-9]{10}|[0-9]{3} [0-9]{3} [0-9]{4}")
_ALLOWED = re.compile(r"[0-9 ]*")
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
# The NHS number's verification status: every code of the UK Core CodeSystem
# UKCore-NHSNumberVerificationStatus (HL7 UK / NHS England), with its display.
VERIFICATION_STATUS: dict[str, str] = {
    "01": "Number present and verified",
    "02": "Number present but not traced",
    "03": "Trace required",
    "04": "Trace attempted - No match or multiple match found",
    "05": "Trace needs to be resolved - (NHS Number or patient detail conflict)",
    "06": "Trace in progress",
    "07": "Number not present and trace not required",
    "08": "Trace postponed (baby under six weeks old)",
}


@dataclass(frozen=True)
class NhsNumberCheck:
    """The outcome of checking an NHS number: the ten digits when valid, else a reason."""

    valid: bool
    number: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the check as plain JSON types."""
        return as_dict(self)


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the check digit for nine digits, or None when the result is 10 (invalid)."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("first_nine must be nine ASCII digits")
    # Weights 10 down to 2; check = 11 − (sum mod 11); 11 becomes 0; 10 means invalid.
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def check_nhs_number(s: str) -> NhsNumberCheck:
    """Check an NHS number's format and modulus-11 check digit, saying why it fails."""
    if not isinstance(s, str):
        return NhsNumberCheck(False, None, "must be text")
    text = s.strip()
    if not _ALLOWED.fullmatch(text):
        return NhsNumberCheck(False, None, "must contain only digits and spaces")
    digits = text.replace(" ", "")
    if len(digits) != 10:
        return NhsNumberCheck(False, None, f"must be 10 digits, not {len(digits)}")
    if not _FORMAT.fullmatch(text):
        return NhsNumberCheck(False, None, "spaces are allowed only as 3-3-4 (e.g. 943 476 5919)")
    check = nhs_check_digit(digits[:9])
    if check is None:
        return NhsNumberCheck(False, None, "check digit computes to 10: not a valid NHS number")
    if check != int(digits[9]):
        return NhsNumberCheck(False, None, f"check digit should be {check}, not {digits[9]}")
    return NhsNumberCheck(True, digits, None)


def nhs_number_valid(s: str) -> bool:
    """Return whether `s` is a valid NHS number."""
    return check_nhs_number(s).valid
