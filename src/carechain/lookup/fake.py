"""A fake PDS FHIR API: an ASGI app that answers as PDS does, for tests and the demo.

It answers `GET /Patient` (search) and `GET /Patient/{nhs-number}` (read) from the patients
it is given, in PDS's shapes (`pds.py`): a searchset Bundle with `total` and
`search.score`, one Patient on a read, `404` with an OperationOutcome for an unknown
number, `TOO_MANY_MATCHES` past `too_many`, `400 MISSING_VALUE` without `X-Request-ID`,
and on demand `429` with `Retry-After` (`throttle`) or a slow answer (`delay_s`). It echoes
`X-Request-ID`, as PDS does, and keeps every request it saw (`seen`).

The patients are made up, with the NHS numbers of PDS's sandbox (9000000009 and
neighbours: test numbers, never a real person's).
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from carechain.lookup.pds import NHS_NUMBER_SYSTEM, VERIFICATION_EXTENSION, VERIFICATION_STATUS

__all__ = ["FakePds", "fake_patient"]

BASE = "https://api.service.nhs.uk/personal-demographics/FHIR/R4"
FHIR_JSON = "application/fhir+json"


def fake_patient(
    nhs_number: str, given: str, family: str, birth: str, gender: str, postcode: str,
    *, line: str = "1 Trevelyan Square", status: str = "01", restricted: bool = False,
    gp: str = "Y12345",
) -> dict[str, Any]:
    """Return a Patient resource shaped as PDS answers it."""
    return {
        "resourceType": "Patient",
        "id": nhs_number,
        "meta": {"versionId": "2", "security": [{
            "code": "R" if restricted else "U",
            "display": "restricted" if restricted else "unrestricted",
            "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}]},
        "identifier": [{
            "system": NHS_NUMBER_SYSTEM, "value": nhs_number,
            "extension": [{"url": VERIFICATION_EXTENSION, "valueCodeableConcept": {"coding": [{
                "system": "https://fhir.nhs.uk/R4/CodeSystem/UKCore-NHSNumberVerificationStatus",
                "version": "1.0.0", "code": status, "display": VERIFICATION_STATUS[status]}]}}],
        }],
        "name": [{"use": "usual", "family": family, "given": given.split(), "prefix": []}],
        "gender": gender,
        "birthDate": birth,
        "address": [] if restricted else [
            {"use": "home", "line": [line, "Leeds"], "postalCode": postcode}],
        "generalPractitioner": [] if restricted else [{
            "type": "Organization",
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                           "value": gp}}],
    }


SANDBOX = (
    fake_patient("9000000009", "Jane", "Smith", "2010-10-22", "female", "LS1 6AE"),
    fake_patient("9000000017", "John Paul", "Smythe", "1957-03-14", "male", "LS11 6AD",
                 line="4 Holbeck Lane"),
    fake_patient("9000000025", "John", "Smythe", "1957-03-14", "male", "LS12 2RT",
                 line="9 Gelderd Road", status="02"),
    fake_patient("9000000033", "Janet", "Smythe", "2005-06-16", "female", "LS1 1AA",
                 restricted=True),
)


def _outcome(status: int, code: str, diagnostics: str) -> JSONResponse:
    return JSONResponse({"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "value" if status == 400 else "processing",
        "details": {"coding": [{"system": "https://fhir.nhs.uk/R4/CodeSystem/"
                                          "Spine-ErrorOrWarningCode",
                                "version": "1", "code": code}]},
        "diagnostics": diagnostics}]}, status_code=status, media_type=FHIR_JSON)


def _prefix(wanted: str, value: str) -> bool:
    wanted, value = wanted.lower(), value.lower()
    return value.startswith(wanted[:-1]) if wanted.endswith("*") else value == wanted


@dataclass
class FakePds:
    """The fake PDS service and its knobs (safe to turn from a test's thread)."""

    patients: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(list(SANDBOX)))
    too_many: int = 10
    delay_s: float = 0.0
    seen: list[dict[str, Any]] = field(default_factory=list)
    _throttled: int = 0
    _retry_after: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, times: int, retry_after: int = 1) -> None:
        """Answer the next `times` requests `429 Too Many Requests`, `Retry-After` seconds."""
        with self._lock:
            self._throttled, self._retry_after = times, retry_after

    def app(self) -> Starlette:
        """Return the ASGI app serving this fake."""
        return Starlette(routes=[Route("/Patient", self._search),
                                 Route("/Patient/{nhs_number}", self._read)])

    async def _before(self, request: Request) -> JSONResponse | None:
        with self._lock:
            self.seen.append({"path": request.url.path,
                              "params": list(request.query_params.multi_items()),
                              "headers": dict(request.headers)})
            throttled = self._throttled > 0
            if throttled:
                self._throttled -= 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if throttled:
            answer = _outcome(429, "TOO_MANY_REQUESTS", "You have exceeded your rate limit")
            answer.headers["Retry-After"] = str(self._retry_after)
            return answer
        if "x-request-id" not in request.headers:
            return _outcome(400, "MISSING_VALUE", "Invalid request with error - "
                                                  "X-Request-ID header must be supplied")
        return None

    def _done(self, request: Request, answer: JSONResponse) -> JSONResponse:
        answer.headers["X-Request-ID"] = request.headers["x-request-id"]
        return answer

    def _matches(self, params: dict[str, str], patient: dict[str, Any]) -> bool:
        name = patient["name"][0]
        homes = patient.get("address") or [{}]
        checks: dict[str, Callable[[str], bool]] = {
            "family": lambda v: _prefix(v, name["family"]),
            "given": lambda v: _prefix(v, " ".join(name["given"]))
            or _prefix(v, name["given"][0]),
            "gender": lambda v: v == patient["gender"],
            "birthdate": lambda v: v == f"eq{patient['birthDate']}",
            "address-postalcode": lambda v: _prefix(v.replace(" ", ""),
                                                    str(homes[0].get("postalCode", ""))
                                                    .replace(" ", "")),
        }
        return all(checks[k](v) for k, v in params.items() if k in checks)

    async def _search(self, request: Request) -> JSONResponse:
        refused = await self._before(request)
        if refused is not None:
            return refused
        params = dict(request.query_params)
        unknown = set(params) - {"family", "given", "gender", "birthdate", "address-postalcode",
                                 "_fuzzy-match", "_exact-match", "_history", "_max-results"}
        if unknown:
            return _outcome(400, "ADDITIONAL_PROPERTIES",
                            f"Invalid request with error - '{sorted(unknown)[0]}' "
                            "is not a valid parameter")
        if "family" not in params or "birthdate" not in params:
            return _outcome(400, "INVALID_SEARCH_DATA", "Not enough search parameters were "
                                                        "provided to be able to make a search")
        found = [p for p in self.patients if self._matches(params, p)]
        if len(found) > self.too_many:
            return self._done(request, _outcome(200, "TOO_MANY_MATCHES", "Too Many Matches"))
        exact = 1.0 if len(found) == 1 else 0.9
        bundle = {
            "resourceType": "Bundle", "type": "searchset", "total": len(found),
            "entry": [{"fullUrl": f"{BASE}/Patient/{p['id']}", "search": {"score": exact},
                       "resource": p} for p in found],
        }
        return self._done(request, JSONResponse(bundle, media_type=FHIR_JSON))

    async def _read(self, request: Request) -> JSONResponse:
        refused = await self._before(request)
        if refused is not None:
            return refused
        number = request.path_params["nhs_number"]
        for patient in self.patients:
            if patient["id"] == number:
                return self._done(request, JSONResponse(patient, media_type=FHIR_JSON))
        return self._done(request, _outcome(404, "RESOURCE_NOT_FOUND",
                                            f"Patient {number} not found"))
