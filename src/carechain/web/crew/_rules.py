"""The rules a crew section form applies before and after it writes: a disposition
completed, no time last known well in the future, a second clinician's confirmation read
off the medication form, and a formulary breach's parts placed by their fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from carechain.errors import FieldInvalid, Forbidden, FormularyBreach
from carechain.records.kinds import CONVEYED_ONLY, NOT_CONVEYED_ONLY
from carechain.web.crew._forms import FormValues, text_of
from carechain.web.crew._pages import BREACH_FIELDS, section_page
from carechain.web.crew._sections import BY_SLUG
from carechain.web.shared.session import Viewer

__all__ = [
    "CONFIRM_FIELDS",
    "breaches_by_field",
    "complete_disposition",
    "confirmation_of",
    "confirmation_refused",
    "not_future",
]


def complete_disposition(viewer: Viewer, data: dict[str, Any], current: dict[str, Any]) -> None:
    """Complete a disposition: name the chosen hospital, clear the other outcome's fields."""
    if data.get("hospital_node") is None:
        data.pop("hospital_node", None)  # a grant cannot be taken back; never send null
    elif not (viewer.can("handover.send") and viewer.can("key.grant")):
        raise Forbidden(f"a {viewer.person.role} may not choose where the record is sent")
    elif "hospital" not in data and data["hospital_node"] != current.get("hospital_node"):
        data["hospital"] = data["hospital_node"]
    outcome = data.get("outcome")
    other = (
        CONVEYED_ONLY
        if outcome == "not-conveyed"
        else NOT_CONVEYED_ONLY
        if outcome == "conveyed"
        else ()
    )
    for name in other:
        if name != "hospital_node" and current.get(name) is not None and name not in data:
            data[name] = None
    if data.get("pre_alert") is False and current.get("pre_alert_category") is not None:
        data.setdefault("pre_alert_category", None)


def not_future(data: dict[str, Any], at: datetime) -> None:
    """Refuse a time last known well after now.

    The fold's BE-FAST assessment refuses one after the record's latest entry, and a record
    whose state cannot be computed can no longer be shown: stop it at the door.
    """
    value = data.get("time_last_known_well")
    try:
        when = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return  # not a time: the kind's schema names the rule
    if when is not None and when.tzinfo is not None and when > at:
        raise FieldInvalid(
            "data.time_last_known_well", f"must not be after the time now ({at:%Y-%m-%d %H:%M} UTC)"
        )


# The second clinician's inputs on the medication form (never stored; the PIN never shown).
CONFIRM_FIELDS = {"confirmation.staff_id": "confirm_staff_id", "confirmation.pin": "confirm_pin"}


def confirmation_of(form: FormValues) -> tuple[str, str] | None:
    """Return the second clinician's staff id and PIN typed on the medication form, if any."""
    staff_id, pin = text_of(form, "confirm_staff_id").strip(), text_of(form, "confirm_pin")
    if not staff_id and not pin:
        return None
    return staff_id, pin


def confirmation_refused(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: dict[str, Any],
    form: FormValues,
    exc: FieldInvalid,
) -> Response:
    """Show the medication form again with the confirmation's rule next to its input."""
    return section_page(
        request,
        viewer,
        record,
        state,
        BY_SLUG["medications"],
        values=form,
        shown=text_of(form, "_shown"),
        errors={
            CONFIRM_FIELDS[exc.field]: exc.rule,
            "confirmation": "The second clinician's confirmation was not accepted: "
            "nothing was recorded.",
        },
        show_override=True,
        status_code=422,
    )


def breaches_by_field(exc: FormularyBreach) -> dict[str, list[dict[str, Any]]]:
    """Return a formulary breach's parts by the form field each belongs to."""
    out: dict[str, list[dict[str, Any]]] = {}
    for breach in exc.extra.get("breaches", []):
        name = str(breach.get("field", ""))
        target = "dose" if name.startswith("previous") else BREACH_FIELDS.get(name, name)
        out.setdefault(
            target if target in ("drug", "dose", "unit", "route", "given_at") else "drug", []
        ).append(breach)
    return out
