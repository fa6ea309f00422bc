"""Open a new record from today's jobs: nothing is created until there is something to
record (issue 10 item 7).

One tap on "New record" used to write a blank "unknown patient" record with no call sign.
The form now asks, in one go, for the call sign (required) and the vehicle, and for the
incident number and dispatch complaint if the crew has them; every broken rule is shown
at once and nothing is stored until the whole form is valid. The call sign and vehicle
are the `record.opened` entry; the incident fields, if any, an `incident.recorded` entry
written straight after it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from carechain.errors import FieldInvalid
from carechain.operations import records as ops
from carechain.records import kinds
from carechain.web.crew._fields import Field, Fieldset, Section
from carechain.web.crew._forms import FormValues, collect, error_target
from carechain.web.shared.form_errors import field_errors
from carechain.web.shared.render import check_csrf
from carechain.web.shared.session import Viewer, context

__all__ = ["NEW_RECORD", "open_new_record"]

_OPENED = ("callsign", "vehicle")
_INCIDENT = ("incident_number", "dispatch_complaint")

NEW_RECORD = Section(
    "new",
    "record.opened",
    "New record",
    (
        Fieldset(
            "Job",
            (
                Field("callsign", "Call sign", hint="Required: the vehicle's call sign"),
                Field("vehicle", "Vehicle"),
                Field("incident_number", "Incident number"),
                Field("dispatch_complaint", "Dispatch complaint"),
            ),
        ),
    ),
)
_IDS = [f.id for f in NEW_RECORD.fields]


def _check(kind: str, data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Validate one entry's body, adding every broken rule to `errors`."""
    try:
        return kinds.validate_body(kind, data)
    except FieldInvalid as exc:
        for key, rule in field_errors(exc, lambda path: error_target(path, _IDS)).items():
            errors.setdefault(key, rule)
        return data


def open_new_record(request: Request, viewer: Viewer, form: FormValues
                    ) -> tuple[bytes | None, dict[str, str]]:
    """Open the record the form describes; return its id, or None and every error."""
    check_csrf(viewer, form.get("csrf"))
    fields = NEW_RECORD.fields
    opened, _ = collect(NEW_RECORD, form, shown=None, fields=[f for f in fields
                                                              if f.path in _OPENED])
    incident, _ = collect(NEW_RECORD, form, shown=None, fields=[f for f in fields
                                                                if f.path in _INCIDENT])
    errors: dict[str, str] = {}
    if not opened.get("callsign"):
        errors["callsign"] = "Enter the call sign: a record is opened for a vehicle's job."
    ctx = context(request)
    at = datetime.fromtimestamp(ctx.now_ms() / 1000, UTC)
    opened.update(opened_at=at.isoformat(), crew=[viewer.person.staff_id])
    opened = _check("record.opened", opened, errors)
    if incident:
        incident = _check("incident.recorded", incident, errors)
    if errors:
        return None, errors
    actor = ctx.actor(viewer.person)
    with ctx.door.unit() as uow:  # the record, its incident and their audit: all or nothing
        record, _ = ops.open_record(ctx.door, actor, uow, data=opened)
        if incident:
            ops.append(ctx.door, actor, uow, record=record, kind="incident.recorded",
                       data=incident)
    return record, {}
