"""Turn a pydantic ValidationError into the FieldInvalid the API reports: the first broken
rule as the error's own field and rule, and every broken rule in `extra["errors"]`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from carechain.errors import FieldInvalid
from carechain.records.kinds._common import DATETIME_RULE, NAIVE_RULE, RULE_ERROR

# pydantic error types whose own message is cryptic, reworded for a crew member.
_RULES: dict[str, str] = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "timezone_aware": NAIVE_RULE,
    "datetime_type": DATETIME_RULE,
    "datetime_parsing": DATETIME_RULE,
    "datetime_from_date_parsing": DATETIME_RULE,
    "date_type": "must be a date written YYYY-MM-DD",
    "date_parsing": "must be a real date written YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a real date written YYYY-MM-DD",
}


def _rule(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _RULES:
        return _RULES[kind]
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        if isinstance(error.get("input"), str):
            return f"must be at least {ctx.get('min_length')} characters"
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    return str(error["msg"])


Problem = dict[str, str]


def problems(exc: ValidationError) -> list[Problem]:
    """Return every broken rule as {"field": dotted path under `data`, "rule": text}."""
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        parts = ["data", *(str(p) for p in error["loc"])]
        ctx = error.get("ctx") or {}
        if error["type"] == RULE_ERROR:
            for field, rule in [(ctx.get("field"), ctx["rule"]), *ctx.get("more", [])]:
                path = [*parts, *str(field).split(".")] if field else parts
                found.append({"field": ".".join(path), "rule": str(rule)})
        else:
            found.append({"field": ".".join(parts), "rule": _rule(error)})
    unique: list[Problem] = []
    for problem in found:
        if problem not in unique:
            unique.append(problem)
    return unique


def invalid(found: list[Problem]) -> FieldInvalid:
    """Return FieldInvalid for the first problem, carrying all of them in `errors`."""
    exc = FieldInvalid(found[0]["field"], found[0]["rule"])
    exc.extra["errors"] = found
    return exc


def field_invalid(exc: ValidationError) -> FieldInvalid:
    """Return FieldInvalid for the first error, with every error in `extra["errors"]`."""
    return invalid(problems(exc))
