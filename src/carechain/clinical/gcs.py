"""Glasgow Coma Scale: eye 1–4, verbal 1–5, motor 1–6, total 3–15 (Teasdale & Jennett 1974)."""

from __future__ import annotations

from carechain.clinical._validate import check_int
from carechain.clinical.errors import ClinicalValueError

# Component ranges of the Glasgow Coma Scale, as in docs/clinical.md ("GCS").
GCS_RANGES: dict[str, tuple[int, int]] = {"eye": (1, 4), "verbal": (1, 5), "motor": (1, 6)}


def gcs_total(eye: int, verbal: int, motor: int) -> int:
    """Return the GCS total (3–15) from its validated components."""
    for name, value in (("eye", eye), ("verbal", verbal), ("motor", motor)):
        if value is None:
            raise ClinicalValueError(name, "must be recorded")
        check_int(name, value, *GCS_RANGES[name])
    return eye + verbal + motor
