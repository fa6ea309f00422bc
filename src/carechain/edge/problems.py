"""The one place errors become HTTP answers: RFC 9457 problem details.

A deliberate error answers its own status and stable `type`; a request that fails schema
validation answers `field-invalid` naming the field and the rule; anything unexpected
answers a bare 500 that never echoes internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from carechain.edge.outcome import error_outcome, is_fhir, outcome
from carechain.errors import PROBLEM_BASE, CarechainError

__all__ = ["PROBLEM_MEDIA_TYPE", "error_response", "install", "problem"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("carechain.api")


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Return a problem-details response."""
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def error_response(request: Request, exc: CarechainError) -> Response:
    """Return the answer to a deliberate error: an `OperationOutcome` under `/fhir`,
    problem details everywhere else."""
    if is_fhir(request.url.path):
        return error_outcome(exc)
    if exc.status >= 500:
        log.error("internal error: %s", exc.detail)
        return problem(500, "internal", "Internal error", "the node could not do this")
    return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


_RULES = {
    "missing": "is required",
    "json_invalid": "must be valid JSON",
    "string_type": "must be text",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "extra_forbidden": "is not a known field",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    @app.exception_handler(CarechainError)
    async def _carechain(request: Request, exc: CarechainError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        field = _field_path(tuple(first.get("loc", ())))
        rule = _RULES.get(str(first.get("type")), str(first.get("msg", "is not valid")))
        if is_fhir(request.url.path):
            name = str(first.get("loc", ("", ""))[-1])
            return outcome(400, "search-parameter-invalid", f"{name}: {rule}",
                           expression=name)
        if first.get("type") == "json_invalid":
            return problem(
                400,
                "malformed-json",
                "Malformed JSON",
                "body: must be valid JSON",
                field="body",
                rule="must be valid JSON",
            )
        return problem(
            422,
            "field-invalid",
            "A field breaks a rule",
            f"{field}: {rule}",
            field=field,
            rule=rule,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}
        code = codes.get(exc.status_code, f"http-{exc.status_code}")
        if is_fhir(request.url.path):
            return _fhir_http(request.url.path, exc.status_code, code, exc.headers)
        answer = problem(exc.status_code, code, str(exc.detail), str(exc.detail))
        # RFC 9110 §15.5.6: a 405 names the methods the resource has (Starlette's router
        # puts them on the exception); any other header it carries goes out too.
        answer.headers.update(exc.headers or {})
        return answer

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        if is_fhir(request.url.path):
            return outcome(500, "internal", "the node could not do this")
        return problem(500, "internal", "Internal error", "the node could not do this")


def _fhir_http(path: str, status: int, code: str, headers: Mapping[str, str] | None
               ) -> Response:
    """A path under /fhir the router has no route for names the resource type it asked for."""
    if status == 404:
        parts = [p for p in path[len("/fhir"):].split("/") if p]
        kind = parts[0] if parts else ""
        return outcome(404, "not-found", f"this server has no {kind or 'such'} resource or "
                       "interaction here; GET /fhir/metadata lists what it serves",
                       issue="not-supported")
    return outcome(status, code, f"{code}: not served under /fhir", headers=headers)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` ends with the stable error code.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the field that breaks a rule"},
        "rule": {"type": "string", "description": "the rule it breaks"},
        "errors": {
            "type": "array",
            "description": "every broken rule of the request, when there are several",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "rule": {"type": "string"}},
            },
        },
    },
}


def describe(app: FastAPI) -> None:
    """Complete the OpenAPI document: the problem schema, and bearer-token authentication
    (or the web apps' session cookie) on every route outside the anonymous allow-list."""
    from carechain.edge.public import is_public

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "An API client's token, issued by an admin "
                       "(`carechain token issue`)"},
            "session": {"type": "apiKey", "in": "cookie", "name": "carechain_session",
                        "description": "The web apps' session; changes need X-CSRF-Token"},
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not is_public(method.upper(), path):
                    operation.setdefault("security", [{"bearer": []}, {"session": []}])
                    operation.setdefault("responses", {}).setdefault(
                        "401", {"description": "Not authenticated (`not-authenticated`)",
                                "content": {"application/problem+json": {
                                    "schema": {"$ref": "#/components/schemas/Problem"}}}})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
