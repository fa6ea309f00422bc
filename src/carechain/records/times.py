"""When a clinical time may be: not in the future, not before the incident, and when late.

A time is checked when it is written, against the writing node's clock: a set dated ahead
of the clock would sort as the latest and hide every set taken after it (the demo once wrote
one six minutes ahead, and the hospital showed a stale NEWS2 over a rising monitor trace).

- **Clock allowance, 2 minutes.** A time typed to the minute can be up to a minute ahead
  when the crew rounds up, and a tablet kept offline drifts; more than two minutes ahead is
  a wrong time, not a rounding, and is refused.
- **Not before the incident began.** Care and observations cannot precede the call: a time
  more than the allowance before `incident.call_received` is refused. The record's
  `opened_at` is not the start: a record opened after the event (a paper record typed in
  after an outage) would have every time refused; record the call time first instead.
- **Back-dating, 30 minutes.** A set recorded more than 30 minutes after it was taken is
  kept but marked `"backdated": true` by the fold, so a reader knows the latest values they
  saw at the time may since have been overtaken by a set written in later.

The checks are pure: the caller gives the clock reading and, lazily, the record's state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from carechain.errors import FieldInvalid
from carechain.records.kinds import INCIDENT_TIMES, show_times

__all__ = [
    "BACKDATE_LIMIT",
    "CLOCK_ALLOWANCE",
    "TIMED_FIELDS",
    "check_entry_times",
    "incident_start",
    "is_backdated",
]

CLOCK_ALLOWANCE = timedelta(minutes=2)
BACKDATE_LIMIT = timedelta(minutes=30)

# Kind → (its time fields, whether they may not precede the incident). The incident's own
# times define its start; a time last known well precedes the call by nature; a record is
# opened, and a monitor's frames stamped, whenever the device is switched on.
TIMED_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "observation.recorded": (("taken_at",), True),
    "medication.administered": (("given_at",), True),
    "procedure.performed": (("performed_at",), True),
    "airway.managed": (("performed_at",), True),
    "breathing.supported": (("started_at",), True),
    "access.attempted": (("performed_at",), True),
    "arrest.event": (("at",), True),
    "capacity.assessed": (("assessed_at",), True),
    "refusal.recorded": (("recorded_at",), True),
    "referral.made": (("made_at",), True),
    "safeguarding.raised": (("raised_at",), True),
    "signature.captured": (("signed_at",), True),
    "trauma.triage": (("decided_at",), True),
    "injury.marked": (("marked_at",), True),
    "haemorrhage.controlled": (("applied_at",), True),
    "immobilisation.applied": (("applied_at",), True),
    "record.signed": (("signed_at",), True),
    "labour.assessed": (("assessed_at",), True),
    "blood_loss.estimated": (("estimated_at",), True),
    "incident.recorded": (INCIDENT_TIMES, False),
    "history.recorded": (("time_last_known_well",), False),
    # An arrest, and a bystander's CPR, come before the call by nature.
    "arrest.recorded": (("arrest_at", "bystander_cpr_at"), False),
    # The injury happens before the call.
    "trauma.mechanism": (("occurred_at",), False),
    "record.opened": (("opened_at",), False),
    # A baby may be born before the ambulance was called (born before arrival), and is
    # scored and linked from the minute it is born.
    "birth.recorded": (("born_at", "cord_clamped_at", "placenta_delivered_at"), False),
    "apgar.scored": (("scored_at",), False),
    "record.linked": (("linked_at",), False),
    "vitals.frame": (("at",), False),
    "vitals.chunk": (("at",), False),  # and each reading's `at` (NESTED_READINGS)
    "ecg.chunk": (("at",), False),
}


# Kinds whose `readings` each carry an `at`, checked as the kind's own time fields are.
NESTED_READINGS = frozenset({"vitals.chunk"})


def _when(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else None


def incident_start(state: Mapping[str, Any]) -> datetime | None:
    """Return when the incident began (the call was received), if the record says."""
    incident = state.get("sections", {}).get("incident", {})
    return _when(incident.get("call_received"))


def check_entry_times(
    kind: str,
    data: Mapping[str, Any],
    *,
    now_ms: int,
    state: Callable[[], Mapping[str, Any]],
) -> None:
    """Refuse an entry's times that are in the future or before the incident began.

    `data` is the entry as `validate_body` returns it; `state` returns the record's state
    and is called only for kinds whose times must follow the incident's start. Raises
    FieldInvalid for the first broken rule with every one in `extra["errors"]`.
    """
    fields, after_start = TIMED_FIELDS.get(kind, ((), False))
    times = [(name, at) for name in fields if (at := _when(data.get(name))) is not None]
    if kind in NESTED_READINGS:  # a chunk's readings each have their own time
        times += [(f"readings.{n}.at", at) for n, r in enumerate(data.get("readings") or [])
                  if isinstance(r, Mapping) and (at := _when(r.get("at"))) is not None]
    if not times:
        return
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    start = incident_start(state()) if after_start else None
    errors: list[dict[str, str]] = []
    for name, at in times:
        if at > now + CLOCK_ALLOWANCE:
            shown, clock = show_times(at, now)
            errors.append(
                {
                    "field": f"data.{name}",
                    "rule": f"must not be in the future: {shown} is more than "
                    f"{_minutes(CLOCK_ALLOWANCE)} after this device's clock ({clock})",
                }
            )
        elif start is not None and at < start - CLOCK_ALLOWANCE:
            shown, began = show_times(at, start)
            errors.append(
                {
                    "field": f"data.{name}",
                    "rule": f"must not be before the incident began: {shown} is before "
                    f"call_received ({began})",
                }
            )
    if errors:
        first = errors[0]
        exc = FieldInvalid(first["field"], first["rule"])
        exc.extra["errors"] = errors
        raise exc


def is_backdated(taken_at: object, recorded_ms: int) -> bool:
    """Tell whether a set was recorded more than the back-dating limit after it was taken."""
    taken = _when(taken_at)
    if taken is None:
        return False
    recorded = datetime.fromtimestamp(recorded_ms / 1000, tz=UTC)
    return recorded - taken > BACKDATE_LIMIT


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"
