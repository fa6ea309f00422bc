"""The registry of clinical entry kinds, and the two checks every write goes through.

A clinical body is `{"kind": name, "v": version, "data": {...}}`. `validate_body` checks
one entry's `data` against its kind's schema and returns it normalised; `check_section`
checks the rules that span entries on a single-valued section after the fold has merged
it (times in order across entries, a name for a known patient, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from carechain.errors import UnknownKind
from carechain.records.kinds._arrest import ArrestEventRecorded, ArrestRecorded
from carechain.records.kinds._capacity import (
    CapacityAssessed,
    ReferralMade,
    RefusalRecorded,
    SafeguardingRaised,
    SignatureCaptured,
)
from carechain.records.kinds._care import MedicationAdministered, ProcedurePerformed
from carechain.records.kinds._errors import Problem, invalid, problems
from carechain.records.kinds._exchange import (
    AuditEvent,
    EcgChunk,
    ReceiptRecorded,
    SafetyOverride,
    VitalsChunk,
    VitalsFrame,
)
from carechain.records.kinds._history import HistoryRecorded
from carechain.records.kinds._incident import IncidentRecorded
from carechain.records.kinds._maternity import (
    ApgarScored,
    BirthRecorded,
    BloodLossEstimated,
    LabourAssessed,
    PregnancyRecorded,
    RecordLinked,
)
from carechain.records.kinds._observation import ObservationRecorded
from carechain.records.kinds._outcome import DispositionRecorded, ImpressionRecorded
from carechain.records.kinds._patient import PatientRecorded
from carechain.records.kinds._previous import PreviousCallsAnswered, PreviousCallsRequested
from carechain.records.kinds._record import NoteAdded, RecordOpened, RecordSigned
from carechain.records.kinds._support import AccessAttempted, AirwayManaged, BreathingSupported
from carechain.records.kinds._survey import SurveyPrimary, SurveySecondary
from carechain.records.kinds._trauma import (
    HaemorrhageControlled,
    ImmobilisationApplied,
    InjuryMarked,
    TraumaMechanism,
    TraumaTriage,
)
from carechain.records.kinds.attachments import AttachmentAdded, AttachmentChunk, EcgRecorded

__all__ = ["KINDS", "SECTIONS", "KindSpec", "check_section", "validate_body"]


@dataclass(frozen=True)
class KindSpec:
    """One entry kind: its schema, and where the fold puts its data."""

    kind: str
    version: int
    model: type[BaseModel]
    section: str
    # True: each entry adds one item to a list; False: an entry sets the fields it
    # carries in a single-valued section (a partial update).
    multi: bool
    # The entry class it is written as: `clinical`, or `stream` for monitor frames.
    cls: str = "clinical"


_SPECS = (
    KindSpec("record.opened", 1, RecordOpened, "record", multi=False),
    KindSpec("incident.recorded", 1, IncidentRecorded, "incident", multi=False),
    KindSpec("patient.recorded", 1, PatientRecorded, "patient", multi=False),
    KindSpec("history.recorded", 1, HistoryRecorded, "history", multi=False),
    KindSpec("survey.primary", 1, SurveyPrimary, "primary_survey", multi=False),
    KindSpec("survey.secondary", 1, SurveySecondary, "secondary_survey", multi=False),
    KindSpec("observation.recorded", 1, ObservationRecorded, "observations", multi=True),
    KindSpec("medication.administered", 1, MedicationAdministered, "medications", multi=True),
    KindSpec("procedure.performed", 1, ProcedurePerformed, "procedures", multi=True),
    KindSpec("airway.managed", 1, AirwayManaged, "airways", multi=True),
    KindSpec("breathing.supported", 1, BreathingSupported, "breathing", multi=True),
    KindSpec("access.attempted", 1, AccessAttempted, "vascular_access", multi=True),
    KindSpec("arrest.recorded", 1, ArrestRecorded, "arrest", multi=False),
    KindSpec("arrest.event", 1, ArrestEventRecorded, "arrest_events", multi=True),
    KindSpec("capacity.assessed", 1, CapacityAssessed, "capacity", multi=True),
    KindSpec("refusal.recorded", 1, RefusalRecorded, "refusals", multi=True),
    KindSpec("referral.made", 1, ReferralMade, "referrals", multi=True),
    KindSpec("safeguarding.raised", 1, SafeguardingRaised, "safeguarding", multi=True),
    KindSpec("signature.captured", 1, SignatureCaptured, "signatures", multi=True),
    KindSpec("trauma.mechanism", 1, TraumaMechanism, "mechanism", multi=False),
    KindSpec("trauma.triage", 1, TraumaTriage, "trauma_triage", multi=False),
    KindSpec("injury.marked", 1, InjuryMarked, "injuries", multi=True),
    KindSpec("haemorrhage.controlled", 1, HaemorrhageControlled, "haemorrhage_control", multi=True),
    KindSpec("immobilisation.applied", 1, ImmobilisationApplied, "immobilisation", multi=True),
    KindSpec("pregnancy.recorded", 1, PregnancyRecorded, "pregnancy", multi=False),
    KindSpec("labour.assessed", 1, LabourAssessed, "labour", multi=True),
    KindSpec("blood_loss.estimated", 1, BloodLossEstimated, "blood_loss", multi=True),
    KindSpec("birth.recorded", 1, BirthRecorded, "births", multi=True),
    KindSpec("apgar.scored", 1, ApgarScored, "apgar", multi=True),
    KindSpec("record.linked", 1, RecordLinked, "links", multi=True),
    KindSpec("impression.recorded", 1, ImpressionRecorded, "impression", multi=False),
    KindSpec("disposition.recorded", 1, DispositionRecorded, "disposition", multi=False),
    KindSpec("note.added", 1, NoteAdded, "notes", multi=True),
    KindSpec("record.signed", 1, RecordSigned, "signoff", multi=False),
    KindSpec("previous_calls.requested", 1, PreviousCallsRequested, "previous_requests",
             multi=True),
    KindSpec("previous_calls.answered", 1, PreviousCallsAnswered, "previous_answers",
             multi=True),
    KindSpec("attachment.chunk", 1, AttachmentChunk, "attachment_chunks", multi=True),
    KindSpec("attachment.added", 1, AttachmentAdded, "attachments", multi=True),
    KindSpec("ecg.recorded", 1, EcgRecorded, "ecgs", multi=True),
    KindSpec("receipt.recorded", 1, ReceiptRecorded, "receipts", multi=True),
    KindSpec("safety.override", 1, SafetyOverride, "overrides", multi=True),
    KindSpec("vitals.frame", 1, VitalsFrame, "vitals", multi=True, cls="stream"),
    KindSpec("vitals.chunk", 1, VitalsChunk, "vitals_chunks", multi=True, cls="stream"),
    KindSpec("ecg.chunk", 1, EcgChunk, "ecg", multi=True, cls="stream"),
    KindSpec("audit.event", 1, AuditEvent, "audit", multi=True, cls="audit"),
)

KINDS: dict[str, KindSpec] = {spec.kind: spec for spec in _SPECS}
# Section name → the kind that writes it (one kind per section).
SECTIONS: dict[str, KindSpec] = {spec.section: spec for spec in _SPECS}


def _spec(kind: str, version: int) -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise UnknownKind(f"unknown entry kind {kind!r}", kind=kind)
    if spec.version != version:
        raise UnknownKind(
            f"entry kind {kind!r} has no version {version!r} (known: {spec.version})",
            kind=kind,
            version=version,
        )
    return spec


def validate_body(kind: str, data: object, *, version: int = 1) -> dict[str, Any]:
    """Return an entry's `data` checked against its kind and normalised to JSON values.

    Fields the entry does not carry are omitted. In a single-valued section an explicit
    null is kept (it clears that field); in a multi-valued kind nulls are dropped.
    Raises UnknownKind, or FieldInvalid naming the first field that breaks a rule, with
    every broken rule in `extra["errors"]`.
    """
    spec = _spec(kind, version)
    try:
        model = spec.model.model_validate(data, context={"merged": False})
    except ValidationError as exc:
        raise invalid(_every_problem(spec.model, data, exc, merged=False)) from exc
    return model.model_dump(mode="json", exclude_unset=True, exclude_none=spec.multi)


def _every_problem(
    model: type[BaseModel], data: object, exc: ValidationError, *, merged: bool
) -> list[Problem]:
    """Return every broken rule: the fields' own, then the rules across fields.

    pydantic checks the rules across fields (an entry-level validator) only once every
    field passes its own, so those are checked again on the fields that passed. A rule
    that names a field left out, or one about the entry as a whole, cannot be decided
    without it and is not reported.
    """
    found = problems(exc)
    whole_entry_checked = any(e["loc"] == () for e in exc.errors(include_url=False))
    if whole_entry_checked or not isinstance(data, Mapping):
        return found
    broken = {p["field"].split(".")[1] for p in found if p["field"].count(".") >= 1}
    rest = {k: v for k, v in data.items() if k not in broken}
    try:
        model.model_validate(rest, context={"merged": merged})
    except ValidationError as again:
        for problem in problems(again):
            parts = problem["field"].split(".")
            mentions = any(name in problem["rule"] for name in broken)
            decided = len(parts) > 1 and parts[1] not in broken and not mentions
            if decided and problem not in found:
                found.append(problem)
    return found


def check_section(section: str, merged: Mapping[str, Any]) -> None:
    """Check the rules that span entries on a merged single-valued section.

    `merged` is the section as the fold builds it from `validate_body` outputs. A
    multi-valued section has no such rules and always passes. Raises UnknownKind for a
    section no kind writes, FieldInvalid for a broken rule.
    """
    spec = SECTIONS.get(section)
    if spec is None:
        raise UnknownKind(f"no entry kind writes section {section!r}", section=section)
    if spec.multi:
        return
    try:
        spec.model.model_validate(dict(merged), context={"merged": True})
    except ValidationError as exc:
        raise invalid(_every_problem(spec.model, dict(merged), exc, merged=True)) from exc
