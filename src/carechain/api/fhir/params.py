"""The FHIR API's search parameters, read off the query string: each search takes the
parameters it names and no other; a parameter missing, unknown or of the wrong form is
refused (`search-parameter-invalid`, 400) naming it, before anything is read."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, cast

from fastapi import Depends, Path, Request

from carechain.errors import SearchParameterInvalid
from carechain.operations.fhir import DateTest, ObservationQuery

__all__ = [
    "EncounterSearch",
    "ObservationSearch",
    "PatientSearch",
    "ResourceId",
    "check_id",
    "parse_date",
]

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb)?"
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,6})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"]


def _query(request: Request, allowed: tuple[str, ...],
           required: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            raise SearchParameterInvalid(
                name, f"is not a search parameter here (this search takes {', '.join(allowed)})")
        if not value:
            raise SearchParameterInvalid(name, "needs a value")
        out.setdefault(name, []).append(value)
    for name in required:
        if name not in out:
            raise SearchParameterInvalid(name, "is required")
    return out


def check_id(value: str, name: str = "id") -> str:
    """Return a FHIR id (1 to 64 letters, digits, `-` and `.`), or refuse it naming `name`."""
    if not _ID.match(value):
        raise SearchParameterInvalid(name, "must be a resource id (1 to 64 letters, digits, "
                                     "'-' or '.')")
    return value


def _patient(values: list[str]) -> str:
    if len(values) > 1:
        raise SearchParameterInvalid("patient", "may be given once")
    value = values[0]
    return check_id(value.removeprefix("Patient/"), "patient")


def parse_date(value: str) -> DateTest:
    """Return the test a `date` parameter stands for: its prefix (`eq` when none) and the
    range its value covers at the precision given (a date with no zone is UTC)."""
    found = _DATE.match(value)
    if not found:
        raise SearchParameterInvalid("date", "must be a FHIR date or dateTime with an optional "
                                     "prefix (eq, ne, gt, lt, ge, le, sa, eb), e.g. ge2024-05-01")
    g = found.groupdict()
    tz = UTC if g["tz"] in (None, "Z") else datetime.strptime(g["tz"], "%z").tzinfo
    try:
        start = datetime(int(g["y"]), int(g["m"] or 1), int(g["d"] or 1), int(g["H"] or 0),
                         int(g["M"] or 0), int(g["S"] or 0),
                         int(g["f"][1:].ljust(6, "0")) if g["f"] else 0, tzinfo=tz)
    except ValueError as exc:
        raise SearchParameterInvalid("date", f"is not a real date ({exc})") from None
    if g["m"] is None:
        end = start.replace(year=start.year + 1)
    elif g["d"] is None:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    elif g["H"] is None:
        end = start + timedelta(days=1)
    elif g["S"] is None:
        end = start + timedelta(minutes=1)
    elif g["f"] is None:
        end = start + timedelta(seconds=1)
    else:  # as precise as the digits given: .5 is [.5, .6)
        end = start + timedelta(microseconds=10 ** (7 - len(g["f"])))
    return DateTest(cast(Prefix, g["prefix"] or "eq"), start, end)


async def _patient_search(request: Request) -> list[str]:
    """`identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919` (or the number alone);
    a comma gives several. Another identifier system matches no one."""
    values = _query(request, ("identifier",), ("identifier",))["identifier"]
    if len(values) > 1:
        raise SearchParameterInvalid("identifier", "may be given once (a comma gives several)")
    numbers = []
    for token in values[0].split(","):
        system, _, number = token.rpartition("|")
        if system in ("", "https://fhir.nhs.uk/Id/nhs-number"):
            numbers.append(number)
    return numbers


async def _encounter_search(request: Request) -> str:
    return _patient(_query(request, ("patient",), ("patient",))["patient"])


async def _observation_search(request: Request) -> ObservationQuery:
    found = _query(request, ("patient", "category", "date"), ("patient",))
    categories = tuple(tuple(v.split(",")) for v in found.get("category", []))
    return ObservationQuery(patient=_patient(found["patient"]), categories=categories,
                            dates=tuple(parse_date(v) for v in found.get("date", [])))


async def _resource_id(
    resource_id: Annotated[str, Path(description="The resource's id (a UUID)")],
) -> str:
    return check_id(resource_id)


# Each is declared after the caller's permission in a route, so a caller who may not read
# records is refused (403) before their parameters are looked at.
PatientSearch = Annotated[list[str], Depends(_patient_search)]
EncounterSearch = Annotated[str, Depends(_encounter_search)]
ObservationSearch = Annotated[ObservationQuery, Depends(_observation_search)]
ResourceId = Annotated[str, Depends(_resource_id)]
