"""12-lead ECGs: a monitor's DICOM or HL7 aECG file imported on the crew's tablet, kept as
its signed original, and read at the hospital as the same leads and the device's own
statements; a malformed file of each format refused naming the field, nothing stored."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pydicom
import pytest

from carechain.node.audit import read_audit
from carechain.records.ecg import parse
from tests.web.test_attachments import Chain, chain

__all__ = ["chain"]

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ecg"
DICOM = (FIXTURES / "waveform_ecg.dcm").read_bytes()
AECG = (FIXTURES / "minimum_aecg.xml").read_bytes()
SIERRA = (FIXTURES / "sierra_1-04.xml").read_bytes()
SIERRA_TEXT = SIERRA.decode("utf-16")


def _sierra(old: str, new: str) -> bytes:
    assert old in SIERRA_TEXT
    return SIERRA_TEXT.replace(old, new, 1).encode("utf-16")


def import_ecg(chain: Chain, record: bytes, name: str, content: bytes) -> tuple[int, str]:
    path = f"/crew/records/{record.hex()}/attachments"
    r = chain.crew.client.post(
        f"/crew/attachments/{record.hex()}/ecg", data={"csrf": chain.crew.csrf(path)},
        files={"ecg": (name, content, "application/octet-stream")},
        headers={"accept": "text/html"}, follow_redirects=False)
    if r.status_code == 303:
        found = re.search(r"added=([0-9a-f]{32})", r.headers["location"])
        assert found
        return 303, found.group(1)
    return r.status_code, r.text


def _dicom(change: str) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(DICOM))
    group = ds.WaveformSequence[0]
    if change == "data":
        group.WaveformData = group.WaveformData[:1000]
    elif change == "class":
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture: not a waveform
    elif change == "rate":
        group.SamplingFrequency = 0
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


def test_the_dicom_example_parses_to_twelve_leads_in_microvolts_and_its_statements() -> None:
    ecg = parse(DICOM)
    assert ecg.format == "dicom" and ecg.sample_rate_hz == 1000
    assert [lead.lead for lead in ecg.leads] == [
        "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert all(len(lead.samples) == 10000 and lead.uv_per_unit == 1.25 for lead in ecg.leads)
    ds = pydicom.dcmread(io.BytesIO(DICOM))
    raw = ds.WaveformSequence[0].WaveformData
    first = int.from_bytes(raw[2:4], "little", signed=True)  # channel 2 (lead II), sample 0
    assert ecg.leads[1].samples[0] == first
    assert ecg.interpretation == ("RITMO SINUSALE", "ECG NORMALE")  # verbatim, in Italian


def test_the_hl7_aecg_example_parses_to_its_lead_rate_and_scale() -> None:
    ecg = parse(AECG)
    assert ecg.format == "hl7-aecg" and ecg.sample_rate_hz == 500
    (lead,) = ecg.leads
    assert lead.lead == "II" and lead.uv_per_unit == 2.5
    assert lead.samples[:5] == (-2, -2, -2, -2, -3) and len(lead.samples) == 13
    assert lead.microvolts()[4] == -7.5
    assert ecg.interpretation == ()


def test_the_philips_sierra_example_parses_to_twelve_leads_and_its_statements() -> None:
    ecg = parse(SIERRA)
    assert ecg.format == "philips-sierra" and ecg.sample_rate_hz == 500
    assert [lead.lead for lead in ecg.leads] == [
        "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert all(len(lead.samples) == 5500 and lead.uv_per_unit == 5 for lead in ecg.leads)
    # Left and right statement columns, each verbatim, joined by a space.
    assert ecg.interpretation == ("SINUS BRADYCARDIA V-rate<60",
                                  "NO PREVIOUS TRACING AVAILABLE FOR COMPARISON")
    assert ecg.recorded_at == "2008-12-23 19:44:46"


@pytest.mark.parametrize(("name", "content"), [("ecg.dcm", DICOM), ("ecg.xml", AECG),
                                                ("philips.xml", SIERRA)],
                         ids=["dicom", "hl7-aecg", "philips-sierra"])
def test_an_ecg_reaches_the_hospital_as_its_original_and_its_leads(
    chain: Chain, name: str, content: bytes,
) -> None:
    record = chain.document()
    status, attachment = import_ecg(chain, record, name, content)
    assert status == 303
    (item,) = chain.crew.node.state(record)["items"]["ecgs"]
    assert item["attachment"] == attachment
    assert item["leads"][0]["uv_per_unit"] > 0
    chain.sync()
    base = f"/hospital/records/{record.hex()}"
    full = chain.hospital.client.get(f"{base}/attachments/{attachment}")
    assert full.status_code == 200 and full.content == content
    view = chain.hospital.client.get(f"{base}/ecgs/{attachment}")
    assert view.status_code == 200
    assert view.text.count('data-testid="ecg-lead"') == 12  # the 3 × 4 layout, always
    drawn = re.findall(r'data-testid="ecg-lead" data-lead="(\w+)" data-recorded="yes"',
                       view.text)
    assert sorted(drawn) == sorted(lead["lead"] for lead in item["leads"])
    assert 'data-testid="ecg-rhythm" data-lead="II" data-recorded="yes"' in view.text
    for statement in item["interpretation"]:
        assert html.escape(statement, quote=False) in view.text
    assert f"{base}/ecgs/{attachment}" in chain.hospital.client.get(base).text
    reads = [e["detail"].get("what") for e in read_audit(chain.hospital.node)
             if e["action"] == "record.view" and e.get("record") == record.hex()]
    assert "ecg" in reads


CUT_XML = AECG[:-200]
NOT_DIGITS = AECG.replace(b"-2 -2 -2", b"-2 x -2")
NO_INCREMENT = re.sub(rb"<increment[^>]*/>", b"", AECG)
MV_SCALE = AECG.replace(b'<scale value="2.5" unit="uV"/>', b'<scale value="2.5" unit="mmHg"/>')


@pytest.mark.parametrize(("name", "content", "says"), [
    ("cut.dcm", _dicom("data"), "ecg: WaveformData must hold 12 × 10000 16-bit samples"),
    ("ct.dcm", _dicom("class"), "ecg: SOPClassUID must be 12-lead or General ECG"),
    ("rate.dcm", _dicom("rate"), "ecg: SamplingFrequency must be between 100 and 10000 Hz"),
    ("half.dcm", DICOM[:len(DICOM) // 2], "ecg: DICOM cannot be read"),
    ("cut.xml", CUT_XML, "ecg: XML is not well formed"),
    ("digits.xml", NOT_DIGITS, "ecg: sequence MDC_ECG_LEAD_II digits must be whole numbers"),
    ("rate.xml", NO_INCREMENT, "ecg: TIME_ABSOLUTE increment is missing"),
    ("unit.xml", MV_SCALE, "ecg: sequence MDC_ECG_LEAD_II scale must be given in uV or mV"),
    ("nowave.xml", _sierra("<parsedwaveforms", "<otherwaveforms").replace(
        "</parsedwaveforms>".encode("utf-16")[2:], "</otherwaveforms>".encode("utf-16")[2:]),
     "ecg: Philips element &lt;parsedwaveforms&gt; is missing"),
    ("res.xml", _sierra('resolution="5" signaloffset', 'resolution="fine" signaloffset'),
     "ecg: Philips parsedwaveforms resolution and samplespersecond must be numbers"),
    ("ver.xml", _sierra("<documentversion>1.04<", "<documentversion>9.99<"),
     "ecg: Philips documenttype and documentversion must be PhilipsECG or SierraECG"),
    ("cutxml.xml", SIERRA[:len(SIERRA) // 2], "ecg: XML is not well formed"),
    ("notes.txt", b"12 lead ECG, looks fine", "ecg: must be a DICOM 12-lead ECG, an HL7 aECG"),
    ("empty.dcm", b"", "ecg: must not be empty"),
], ids=["dicom-cut-data", "dicom-not-ecg", "dicom-no-rate", "dicom-truncated", "xml-cut",
        "xml-digits", "xml-no-increment", "xml-unit", "sierra-no-waveforms",
        "sierra-resolution", "sierra-version", "sierra-cut", "text", "empty"])
def test_a_malformed_ecg_is_refused_naming_the_field_and_nothing_is_stored(
    chain: Chain, name: str, content: bytes, says: str,
) -> None:
    record = chain.document()
    before = len(chain.crew.node.store.record(record))
    status, text = import_ecg(chain, record, name, content)
    assert status == 422, text
    assert "Nothing was attached" in text and says in text.replace("&#215;", "×")
    assert len(chain.crew.node.store.record(record)) == before


def test_an_ecg_file_is_not_taken_as_a_photo_or_document(chain: Chain) -> None:
    """Only the ECG import admits a device's file: the photo form still refuses it."""
    from tests.web.test_attachments import upload
    record = chain.document()
    status, text = upload(chain, record, "file", "ecg.dcm", DICOM, category="ecg")
    assert status == 422 and "file: must be a JPEG or PNG photo, or a PDF document" in text


def test_an_ecg_entry_naming_a_photo_is_not_drawn(chain: Chain) -> None:
    """An `ecg.recorded` written past the import (as the entries API could) that names an
    ECG print-out photo: the hospital does not draw it as a trace."""
    from tests.web.test_attachments import photo_png, upload
    record = chain.document()
    status, attachment = upload(chain, record, "photo", "print.png", photo_png(40, 30),
                                category="ecg")
    assert status == 303
    chain.crew.node.append(record=record, user="P100234", kind="ecg.recorded", data={
        "attachment": attachment, "format": "dicom", "sample_rate_hz": 500.0,
        "leads": [{"lead": "II", "samples": 5000, "uv_per_unit": 5.0}],
        "taken_at": "2026-12-03T12:00:00+00:00"})
    chain.sync()
    view = chain.hospital.client.get(f"/hospital/records/{record.hex()}/ecgs/{attachment}")
    assert view.status_code == 404
    assert "not an ECG file" in view.text
