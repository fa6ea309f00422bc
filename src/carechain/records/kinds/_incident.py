"""`incident.recorded`: the incident, where it is, and the times of the job in order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import model_validator

from carechain.records.kinds._common import (
    Between,
    FreeText,
    Int,
    KindModel,
    Num,
    ShortText,
    Time,
    rule_error,
    show_times,
)

# The times of a job, in the order they must happen (each may be absent).
INCIDENT_TIMES: tuple[str, ...] = (
    "call_received",
    "mobile",
    "on_scene",
    "patient_contact",
    "left_scene",
    "at_hospital",
    "handover",
    "clear",
)
TIMES_ORDER_RULE = "times must be in order " + " ≤ ".join(INCIDENT_TIMES)


class Location(KindModel):
    """A WGS 84 position in decimal degrees."""

    lat: Annotated[Num, Between(-90, 90, "degrees")]
    lon: Annotated[Num, Between(-180, 180, "degrees")]


class IncidentRecorded(KindModel):
    """`incident.recorded`: dispatch details, location and the job's times."""

    incident_number: ShortText | None = None
    category: Annotated[Int, Between(1, 4, "(ARP category)")] | None = None
    dispatch_complaint: FreeText | None = None
    address: FreeText | None = None
    location: Location | None = None
    call_received: Time | None = None
    mobile: Time | None = None
    on_scene: Time | None = None
    patient_contact: Time | None = None
    left_scene: Time | None = None
    at_hospital: Time | None = None
    handover: Time | None = None
    clear: Time | None = None

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        check_times_in_order({name: getattr(self, name) for name in INCIDENT_TIMES})
        return self


def check_times_in_order(times: dict[str, datetime | None]) -> None:
    """Refuse the first recorded time that is before the one recorded ahead of it."""
    previous: tuple[str, datetime] | None = None
    for name in INCIDENT_TIMES:
        value = times.get(name)
        if value is None:
            continue
        if previous is not None and value < previous[1]:
            before, when = previous
            shown, shown_before = show_times(value, when)
            raise rule_error(
                name,
                f"{name} ({shown}) is before {before} ({shown_before}); {TIMES_ORDER_RULE}",
            )
        previous = (name, value)
