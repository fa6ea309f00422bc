"""The printed handover's summary gives a child's PEWS in place of NEWS2. (The PDF's
observations chart still colours each set by NEWS2: not yet mapped for a child.)"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta
from typing import Any

import pytest

from carechain.exports.pdf import render_pdf
from tests.records.test_pews_headline import CHILD_SET, T0, obs, state_of


def _text(pdf: bytes) -> bytes:
    """Return the page content streams (ASCII85, then Flate, as ReportLab writes them)."""
    out = b""
    for found in re.finditer(rb"stream\n(.*?)endstream", pdf, re.S):
        data = found.group(1).strip()
        out += zlib.decompress(base64.a85decode(data.removesuffix(b"~>")))
    return out


@pytest.mark.parametrize(
    ("patient", "child"),
    [({"date_of_birth": "2023-06-01"}, True), ({"estimated_age_years": 40}, False)],
)
def test_the_summary_names_the_score_for_the_patient(patient: dict[str, Any], child: bool) -> None:
    state = state_of(patient, obs(1, 0, CHILD_SET))
    state["record_id"] = "ab" * 16
    text = _text(render_pdf(state, [], now=T0 + timedelta(minutes=5)))
    assert (b"(PEWS)" in text) is child
    assert (b"(10 \\(high\\))" in text) is child  # the PEWS total and level
