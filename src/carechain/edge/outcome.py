"""The FHIR API's errors: every refusal under `/fhir` is an `OperationOutcome`.

`outcome(status, code, diagnostics, ...)` is the one function that builds them — for the
FHIR routes' own errors (an unknown resource type, a bad search parameter, a record not
found), and for the edge's refusals of a caller with no valid token (401) or without the
permission (403). The issue's `details` carries the carechain error code (its problem
`type`), so a program reads the same stable code through either API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.responses import Response

from carechain.errors import PROBLEM_BASE, CarechainError, FieldInvalid

__all__ = ["FHIR_MEDIA_TYPE", "FHIR_PREFIX", "error_outcome", "is_fhir", "outcome"]

FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_PREFIX = "/fhir"

# HTTP status -> the FHIR issue type (http://hl7.org/fhir/issue-type) of a refusal.
_ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                405: "not-supported", 413: "too-costly", 422: "invalid", 429: "throttled"}


def is_fhir(path: str) -> bool:
    """Return whether a request path is the FHIR API's."""
    return path == FHIR_PREFIX or path.startswith(FHIR_PREFIX + "/")


def outcome(status: int, code: str, diagnostics: str, *, issue: str | None = None,
            expression: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """Return an `OperationOutcome` answer: one issue of severity `error`, its FHIR issue
    type (`issue`, else read off the status), the carechain error `code` in `details`,
    and the parameter or element at fault in `expression`."""
    entry: dict[str, object] = {
        "severity": "fatal" if status >= 500 else "error",
        "code": issue or _ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing"),
        "details": {"coding": [{"system": PROBLEM_BASE.rstrip("/"), "code": code}],
                    "text": code},
        "diagnostics": diagnostics,
    }
    if expression:
        entry["expression"] = [expression]
    body = json.dumps({"resourceType": "OperationOutcome", "issue": [entry]},
                      separators=(",", ":")).encode()
    out = dict(headers or {})
    if status == 401:
        out["WWW-Authenticate"] = 'Bearer realm="carechain"'
    return Response(body, status_code=status, media_type=FHIR_MEDIA_TYPE, headers=out)


def error_outcome(exc: CarechainError) -> Response:
    """Return the `OperationOutcome` of a deliberate error (a 5xx never echoes its cause)."""
    if exc.status >= 500:
        return outcome(500, "internal", "the node could not do this")
    expression = exc.field if isinstance(exc, FieldInvalid) else None
    return outcome(exc.status, exc.code, exc.detail, expression=expression)
