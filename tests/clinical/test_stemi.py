"""STEMI flag: contiguous lead groups, new LBBB, and the written interpretation."""

from __future__ import annotations

import json

import pytest

from carechain.clinical import ClinicalValueError, TwelveLead, flag_stemi
from carechain.clinical.stemi import contiguous_leads, interpretation_says_stemi


@pytest.mark.parametrize(
    ("leads", "territories", "contiguous"),
    [
        ({"II", "III", "aVF"}, ("inferior",), ("II", "III", "aVF")),
        ({"II", "aVF"}, ("inferior",), ("II", "aVF")),
        ({"V1", "V2"}, ("septal",), ("V1", "V2")),
        ({"V3", "V4"}, ("anterior",), ("V3", "V4")),
        ({"I", "aVL"}, ("lateral",), ("I", "aVL")),
        ({"V5", "V6"}, ("lateral",), ("V5", "V6")),
        ({"I", "V6"}, ("lateral",), ("I", "V6")),
        ({"V7", "V8", "V9"}, ("posterior",), ("V7", "V8", "V9")),
        # Neighbouring chest leads across a group boundary are contiguous.
        ({"V2", "V3"}, ("septal", "anterior"), ("V2", "V3")),
        ({"V4", "V5"}, ("anterior", "lateral"), ("V4", "V5")),
        (
            {"II", "III", "aVF", "V5", "V6"},
            ("inferior", "lateral"),
            ("II", "III", "aVF", "V5", "V6"),
        ),
        # A lone lead joining a contiguous group elsewhere is not itself contiguous.
        ({"II", "III", "V1"}, ("inferior",), ("II", "III")),
    ],
)
def test_contiguous_leads_flag_with_territory(
    leads: set[str], territories: tuple[str, ...], contiguous: tuple[str, ...]
) -> None:
    result = flag_stemi(TwelveLead(st_elevation_leads=leads))
    assert result.flagged
    assert result.territories == territories
    assert result.territory == ", ".join(territories)
    assert result.contiguous_leads == contiguous
    assert result.reasons == (f"ST elevation in contiguous leads {', '.join(contiguous)}",)


@pytest.mark.parametrize(
    "leads",
    [set(), {"II"}, {"V1"}, {"II", "V1"}, {"aVL", "III"}, {"V1", "V3"}, {"V6", "V7"}, {"aVR"}],
)
def test_non_contiguous_leads_do_not_flag(leads: set[str]) -> None:
    result = flag_stemi(TwelveLead(st_elevation_leads=leads))
    assert not result.flagged
    assert result.territory is None
    assert result.territories == ()
    assert result.reasons == ()


def test_lead_names_are_normalised() -> None:
    ecg = TwelveLead(st_elevation_leads={"ii", " iii ", "AVF", "v4r"})
    assert ecg.st_elevation_leads == frozenset({"II", "III", "aVF", "V4R"})
    assert flag_stemi(ecg).territory == "inferior"


def test_unknown_lead_is_refused() -> None:
    with pytest.raises(ClinicalValueError) as info:
        TwelveLead(st_elevation_leads={"V10"})
    assert info.value.field == "st_elevation_leads"


def test_new_lbbb_flags_without_territory() -> None:
    result = flag_stemi(TwelveLead(new_lbbb=True))
    assert result.flagged
    assert result.territory is None
    assert result.new_lbbb
    assert result.reasons == ("new left bundle branch block",)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Inferior STEMI", True),
        ("stemi", True),
        ("?STEMI - call PPCI", True),
        ("ST elevation myocardial infarction", True),
        ("ST-elevation MI anteriorly", True),
        ("No STEMI", False),
        ("not STEMI", False),
        ("non-STEMI", False),
        ("NSTEMI", False),
        ("STEMI excluded", False),
        ("STEMI ruled out", False),
        ("rule out STEMI", False),
        ("sinus rhythm", False),
        ("", False),
        ("no STEMI on first ECG; repeat ECG shows anterior STEMI", True),
    ],
)
def test_interpretation_text(text: str, says: bool) -> None:
    assert interpretation_says_stemi(text) is says


def test_interpretation_alone_flags() -> None:
    result = flag_stemi(TwelveLead(interpretation="Anterior STEMI"))
    assert result.flagged
    assert result.interpreted_as_stemi
    assert result.territory is None
    assert result.reasons == ("interpreted as STEMI",)


def test_all_reasons_together() -> None:
    result = flag_stemi(
        TwelveLead(st_elevation_leads={"V2", "V3", "V4"}, new_lbbb=True, interpretation="STEMI")
    )
    assert result.reasons == (
        "ST elevation in contiguous leads V2, V3, V4",
        "new left bundle branch block",
        "interpreted as STEMI",
    )
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["territories"] == ["septal", "anterior"]


def test_contiguous_leads_helper_sorts_in_reading_order() -> None:
    assert contiguous_leads({"aVF", "II"}) == ("II", "aVF")
