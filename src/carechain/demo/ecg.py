"""A simulated 12-lead ECG for the demonstration, written as a monitor writes one: a DICOM
12-lead ECG Waveform Storage object (PS3.3 A.34.3), made here so the demo ships no
device's file.

The trace is an illustration drawn from smooth bumps (P, QRS, T) at 75 beats a minute with
the ST segment raised in the inferior leads (II, III, aVF) and lowered in I and aVL, the
picture of the demo's inferior STEMI case. It is not a recording of anyone, and its
statements say so first. Nothing in carechain computes anything from it: the hospital draws
it, as it draws any device's file, and shows the statements verbatim.
"""

from __future__ import annotations

import io
import math
from array import array
from datetime import UTC, datetime

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from carechain.records.ecg import DICOM_ECG_CLASSES, LEADS

__all__ = ["STATEMENTS", "simulated_stemi_dicom"]

STATEMENTS = (
    "SIMULATED DEMONSTRATION TRACE - NOT A PATIENT RECORDING",
    "Sinus rhythm 75 bpm",
    "ST elevation in II, III, aVF with reciprocal ST depression in I, aVL (simulated)",
)
RATE_HZ = 500
UV_PER_UNIT = 2.5
# (R wave, ST shift) in µV per lead: the frontal-plane leads' signs follow Einthoven's
# triangle for an axis of about 60°; the ST shift is the demo's inferior injury picture.
_SHAPE: dict[str, tuple[float, float]] = {
    "I": (600, -100), "II": (1200, 250), "III": (700, 300), "aVR": (-900, -80),
    "aVL": (-100, -150), "aVF": (950, 280), "V1": (-500, 0), "V2": (300, 50),
    "V3": (700, 60), "V4": (1100, 40), "V5": (1200, 0), "V6": (1000, 0),
}


def _bump(t: float, centre: float, width: float) -> float:
    return math.exp(-(((t - centre) / width) ** 2))


def _sample(lead: str, t: float) -> float:
    """The trace of `lead` at `t` seconds, in µV."""
    r, st = _SHAPE[lead]
    phase = t % 0.8  # 75 beats a minute
    wave = 120 * _bump(phase, 0.10, 0.025)  # P
    wave += r * _bump(phase, 0.25, 0.012) - 0.15 * abs(r) * _bump(phase, 0.275, 0.01)  # QRS
    wave += st * (1 / (1 + math.exp(-(phase - 0.28) / 0.005))) * (1 - _bump(phase, 0.7, 0.5))
    wave += (250 if r > 0 else -150) * _bump(phase, 0.45, 0.05)  # T
    return wave


def simulated_stemi_dicom(seconds: float = 10.0) -> bytes:
    """Return a DICOM 12-lead ECG of `seconds` at 500 Hz (10 s: about 120 KB; 85 s: 1 MB)."""
    samples = int(seconds * RATE_HZ)
    data = array("h", bytes(2 * 12 * samples))
    for i in range(samples):
        t = i / RATE_HZ
        for c, lead in enumerate(LEADS):
            data[i * 12 + c] = round(_sample(lead, t) / UV_PER_UNIT)
    now = datetime.now(UTC)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(DICOM_ECG_CLASSES[0])
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = DICOM_ECG_CLASSES[0]
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "ECG"
    ds.Manufacturer = "carechain demonstration (simulated)"
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    group = Dataset()
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = 12
    group.NumberOfWaveformSamples = samples
    group.SamplingFrequency = RATE_HZ
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.ChannelDefinitionSequence = [_channel(lead) for lead in LEADS]
    group.WaveformData = data.tobytes()  # little endian on every machine this runs on
    ds.WaveformSequence = [group]
    ds.WaveformAnnotationSequence = [_statement(text) for text in STATEMENTS]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _channel(lead: str) -> Dataset:
    source = Dataset()
    source.CodeValue = lead
    source.CodingSchemeDesignator = "SCPECG"
    source.CodeMeaning = f"Lead {lead}"
    units = Dataset()
    units.CodeValue = "uV"
    units.CodingSchemeDesignator = "UCUM"
    units.CodeMeaning = "microvolt"
    channel = Dataset()
    channel.ChannelSourceSequence = [source]
    channel.ChannelSensitivity = UV_PER_UNIT
    channel.ChannelSensitivityUnitsSequence = [units]
    channel.ChannelSensitivityCorrectionFactor = 1
    channel.ChannelBaseline = 0
    channel.WaveformBitsStored = 16
    return channel


def _statement(text: str) -> Dataset:
    annotation = Dataset()
    annotation.UnformattedTextValue = text
    return annotation
