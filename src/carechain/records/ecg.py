"""12-lead ECGs as devices export them: DICOM 12-lead waveform, HL7 aECG XML and Philips
Sierra XML (`restingecgdata`, versions 1.03 to 1.04.02, decoded by sierraecg).

`parse` reads a device's file into an `Ecg`: each lead's samples as the device's integer
units with the microvolts one unit stands for, the sample rate, and the device's own
interpretation statements verbatim. Nothing is computed from the trace. A file that is
not what it must be raises `FieldInvalid` naming the field of the file that is wrong.
"""

from __future__ import annotations

import io
import sys
from array import array
from dataclasses import dataclass
from typing import Any, cast

import pydicom
from lxml import etree
from pydicom.errors import InvalidDicomError
from sierraecg import (
    MissingXmlAttributeError,
    MissingXmlElementError,
    UnsupportedXmlFileError,
    read_file,
)

from carechain.errors import FieldInvalid

__all__ = ["DICOM_ECG_CLASSES", "LEADS", "Ecg", "EcgLead", "is_aecg", "is_dicom", "parse"]

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# 12-lead ECG Waveform Storage, General ECG Waveform Storage.
DICOM_ECG_CLASSES = ("1.2.840.10008.5.1.4.1.1.9.1.1", "1.2.840.10008.5.1.4.1.1.9.1.2")
_HL7 = "{urn:hl7-org:v3}"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_UV_PER = {"uV": 1.0, "mV": 1000.0, "V": 1_000_000.0}


@dataclass(frozen=True)
class EcgLead:
    """One lead: its name, its samples in the device's units, and µV per unit."""

    lead: str
    samples: tuple[int, ...]
    uv_per_unit: float
    baseline: float = 0.0

    def microvolts(self) -> list[float]:
        return [(s + self.baseline) * self.uv_per_unit for s in self.samples]


@dataclass(frozen=True)
class Ecg:
    """A parsed ECG: what the device recorded and said, nothing more."""

    format: str  # "dicom", "hl7-aecg" or "philips-sierra"
    sample_rate_hz: float
    leads: tuple[EcgLead, ...]
    interpretation: tuple[str, ...]
    recorded_at: str | None = None

    def lead(self, name: str) -> EcgLead | None:
        return next((lead for lead in self.leads if lead.lead == name), None)


def _lead_name(text: str) -> str | None:
    """A lead's standard name from a DICOM code meaning or an MDC code."""
    raw = text.strip()
    if raw.startswith("MDC_ECG_LEAD_"):
        raw = raw[len("MDC_ECG_LEAD_"):]
    elif raw.lower().startswith("lead "):
        raw = raw[5:].split("(")[0].strip()
    for name in LEADS:
        if raw.lower() == name.lower():
            return name
    return None


def is_dicom(content: bytes) -> bool:
    return len(content) > 132 and content[128:132] == b"DICM"


def is_aecg(content: bytes) -> bool:
    head = content[:4096]
    return b"<AnnotatedECG" in head and b"urn:hl7-org:v3" in head


def _head_text(content: bytes) -> str:
    """The first 4 KB as text: Philips writes UTF-16 (with its byte-order mark)."""
    head = content[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def is_sierra(content: bytes) -> bool:
    return "<restingecgdata" in _head_text(content)


NOT_AN_ECG = "must be a DICOM 12-lead ECG, an HL7 aECG or a Philips Sierra XML file"


def parse(content: bytes, field: str = "file") -> Ecg:
    """Parse a DICOM, HL7 aECG or Philips Sierra file; FieldInvalid naming `field` and the
    file's field."""
    if is_dicom(content):
        return _dicom(content, field)
    if is_aecg(content):
        return _aecg(content, field)
    if is_sierra(content):
        return _sierra(content, field)
    raise FieldInvalid(field, NOT_AN_ECG)


def _bad(field: str, where: str, rule: str) -> FieldInvalid:
    return FieldInvalid(field, f"{where} {rule}", f"{field}: {where} {rule}")


def _dicom(content: bytes, field: str) -> Ecg:
    try:
        ds = pydicom.dcmread(io.BytesIO(content))
        sop = str(ds.get("SOPClassUID", ""))
        if sop not in DICOM_ECG_CLASSES:
            raise _bad(field, "SOPClassUID", "must be 12-lead or General ECG Waveform Storage")
        sequence = ds.get("WaveformSequence")
        if not sequence:
            raise _bad(field, "WaveformSequence", "must hold at least one waveform")
        group = sequence[0]
        return _dicom_group(ds, group, field)
    except FieldInvalid:
        raise
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, AttributeError,
            KeyError, IndexError) as exc:
        raise _bad(field, "DICOM", "cannot be read: the file is cut short or damaged "
                   f"({type(exc).__name__})") from exc


def _dicom_group(ds: Any, group: Any, field: str) -> Ecg:
    channels = int(group.get("NumberOfWaveformChannels", 0))
    samples = int(group.get("NumberOfWaveformSamples", 0))
    rate = float(group.get("SamplingFrequency", 0))
    if channels < 1:
        raise _bad(field, "NumberOfWaveformChannels", "must be at least 1")
    if samples < 1:
        raise _bad(field, "NumberOfWaveformSamples", "must be at least 1")
    if not 100 <= rate <= 10000:
        raise _bad(field, "SamplingFrequency", "must be between 100 and 10000 Hz")
    bits = group.get("WaveformBitsAllocated")
    if bits != 16 or group.get("WaveformSampleInterpretation") != "SS":
        raise _bad(field, "WaveformSampleInterpretation", "must be 16-bit signed (SS)")
    raw = group.get("WaveformData")
    if raw is None or len(raw) != channels * samples * 2:
        raise _bad(field, "WaveformData", f"must hold {channels} × {samples} 16-bit samples")
    data = array("h")
    data.frombytes(bytes(raw))
    if (ds.is_little_endian is not False) != (sys.byteorder == "little"):
        data.byteswap()
    definitions = group.get("ChannelDefinitionSequence") or []
    if len(definitions) != channels:
        raise _bad(field, "ChannelDefinitionSequence", f"must describe all {channels} channels")
    leads: list[EcgLead] = []
    for index, channel in enumerate(definitions):
        source = channel.get("ChannelSourceSequence")
        name = _lead_name(str(source[0].get("CodeMeaning", ""))) if source else None
        if name is None:
            continue  # not a surface ECG lead (a pacing or respiration channel)
        units = channel.get("ChannelSensitivityUnitsSequence")
        unit = str(units[0].get("CodeValue", "")) if units else ""
        if unit not in _UV_PER or channel.get("ChannelSensitivity") is None:
            raise _bad(field, f"ChannelSensitivity of lead {name}", "must be given in uV or mV")
        factor = float(channel.get("ChannelSensitivityCorrectionFactor", 1) or 1)
        uv = float(channel.ChannelSensitivity) * factor * _UV_PER[unit]
        leads.append(EcgLead(name, tuple(data[index::channels]), uv,
                             float(channel.get("ChannelBaseline", 0) or 0)))
    if not leads:
        raise _bad(field, "ChannelSourceSequence", "names no ECG lead")
    statements = tuple(
        str(a.UnformattedTextValue) for a in ds.get("WaveformAnnotationSequence") or []
        if a.get("UnformattedTextValue")
    )
    when = f"{ds.get('AcquisitionDateTime', '')}" or None
    return Ecg("dicom", rate, tuple(leads), statements, when)


def _aecg(content: bytes, field: str) -> Ecg:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise _bad(field, "XML", f"is not well formed ({exc.msg})") from exc
    if root.tag != f"{_HL7}AnnotatedECG":
        raise _bad(field, "AnnotatedECG", "must be the document's root element")
    sequence_set = root.find(f".//{_HL7}series/{_HL7}component/{_HL7}sequenceSet")
    if sequence_set is None:
        raise _bad(field, "series/sequenceSet", "is missing")
    rate: float | None = None
    leads: list[EcgLead] = []
    for sequence in sequence_set.iter(f"{_HL7}sequence"):
        code = sequence.find(f"{_HL7}code")
        value = sequence.find(f"{_HL7}value")
        name = code.get("code", "") if code is not None else ""
        if value is None:
            raise _bad(field, f"sequence {name or '(no code)'} value", "is missing")
        if name.startswith("TIME_"):
            increment = value.find(f"{_HL7}increment")
            rate = _rate(increment, field)
            continue
        lead = _lead_name(name)
        if lead is None:
            continue
        leads.append(_aecg_lead(lead, value, field))
    if rate is None:
        raise _bad(field, "TIME_ABSOLUTE increment", "is missing")
    if not leads:
        raise _bad(field, "sequence MDC_ECG_LEAD_*", "none found")
    statements = tuple(
        " ".join((v.text or "").split())
        for v in root.iterfind(f".//{_HL7}annotation/{_HL7}value")
        if v.get(_XSI_TYPE, "") in ("ST", "") and (v.text or "").strip()
    )
    center = root.find(f"{_HL7}effectiveTime/{_HL7}center")
    low = root.find(f"{_HL7}effectiveTime/{_HL7}low")
    when = next((e.get("value") for e in (center, low) if e is not None), None)
    return Ecg("hl7-aecg", rate, tuple(leads), statements, when)


def _rate(increment: Any, field: str) -> float:
    if increment is None:
        raise _bad(field, "TIME_ABSOLUTE increment", "is missing")
    unit = increment.get("unit", "")
    try:
        step = float(increment.get("value", "")) * {"s": 1.0, "ms": 0.001}[unit]
    except (ValueError, KeyError) as exc:
        raise _bad(field, "TIME_ABSOLUTE increment", "must be a number of s or ms") from exc
    if not 1 / 10000 <= step <= 1 / 100:
        raise _bad(field, "TIME_ABSOLUTE increment", "must be a sample rate of 100–10000 Hz")
    return round(1 / step, 6)


def _aecg_lead(lead: str, value: Any, field: str) -> EcgLead:
    scale = value.find(f"{_HL7}scale")
    origin = value.find(f"{_HL7}origin")
    digits = value.find(f"{_HL7}digits")
    where = f"sequence MDC_ECG_LEAD_{lead}"
    if scale is None or scale.get("unit", "") not in _UV_PER:
        raise _bad(field, f"{where} scale", "must be given in uV or mV")
    try:
        uv = float(scale.get("value", "")) * _UV_PER[scale.get("unit", "")]
        zero = 0.0 if origin is None else float(origin.get("value", "0")) * _UV_PER.get(
            origin.get("unit", "uV"), 1.0)
    except ValueError as exc:
        raise _bad(field, f"{where} scale", "must be a number") from exc
    if uv <= 0:
        raise _bad(field, f"{where} scale", "must be greater than 0")
    try:
        samples = tuple(int(d) for d in (digits.text or "").split()) if digits is not None else ()
    except ValueError as exc:
        raise _bad(field, f"{where} digits", "must be whole numbers") from exc
    if not samples:
        raise _bad(field, f"{where} digits", "must hold at least one sample")
    return EcgLead(lead, samples, uv, zero / uv)


def _sierra(content: bytes, field: str) -> Ecg:
    """Philips Sierra XML: the leads decoded (XLI) by sierraecg; the resolution (µV per
    unit), rate and statements read from the same document with lxml."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise _bad(field, "XML", f"is not well formed ({exc.msg})") from exc
    ns = root.nsmap.get(None)
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    waves = root.find(f".//{q('parsedwaveforms')}")
    if waves is None:
        raise _bad(field, "Philips element <parsedwaveforms>", "is missing")
    try:
        uv = float(waves.get("resolution", ""))
        rate = float(waves.get("samplespersecond", ""))
    except ValueError as exc:
        raise _bad(field, "Philips parsedwaveforms resolution and samplespersecond",
                   "must be numbers") from exc
    if uv <= 0:
        raise _bad(field, "Philips parsedwaveforms resolution", "must be greater than 0")
    if not 100 <= rate <= 10000:
        raise _bad(field, "Philips parsedwaveforms samplespersecond",
                   "must be between 100 and 10000 Hz")
    try:  # minidom reads a file object as well as a name
        decoded = read_file(cast(str, io.BytesIO(content)))
    except MissingXmlElementError as exc:
        raise _bad(field, f"Philips element <{exc}>", "is missing") from exc
    except MissingXmlAttributeError as exc:
        raise _bad(field, f"Philips attribute {exc}", "is missing") from exc
    except UnsupportedXmlFileError as exc:
        raise _bad(field, "Philips documenttype and documentversion",
                   f"must be PhilipsECG or SierraECG 1.03 to 1.04.02 ({exc})") from exc
    except (ValueError, IndexError, TypeError, KeyError, OverflowError) as exc:
        raise _bad(field, "Philips parsedwaveforms",
                   f"cannot be decoded ({type(exc).__name__})") from exc
    leads = tuple(EcgLead(name, tuple(int(v) for v in lead.samples.tolist()), uv)
                  for lead in decoded.leads if (name := _lead_name(lead.label)) is not None)
    if not leads:
        raise _bad(field, "Philips parsedwaveforms leadlabels", "names no ECG lead")
    statements: list[str] = []
    for statement in root.iterfind(f".//{q('interpretation')}/{q('statement')}"):
        parts = [" ".join((statement.findtext(q(side)) or "").split())
                 for side in ("leftstatement", "rightstatement")]
        if any(parts):
            statements.append(" ".join(p for p in parts if p))
    acquisition = root.find(f".//{q('dataacquisition')}")
    when = None
    if acquisition is not None and acquisition.get("date"):
        when = f"{acquisition.get('date')} {acquisition.get('time', '')}".strip()
    return Ecg("philips-sierra", rate, leads, tuple(statements), when)
