"""Turn a pydantic ValidationError into the one FieldInvalid the API reports."""

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


def field_invalid(exc: ValidationError) -> FieldInvalid:
    """Return FieldInvalid for the first error: dotted path under `data` and a human rule."""
    error = exc.errors(include_url=False)[0]
    parts = ["data", *(str(p) for p in error["loc"])]
    ctx = error.get("ctx") or {}
    if error["type"] == RULE_ERROR:
        if ctx.get("field"):
            parts.extend(str(ctx["field"]).split("."))
        return FieldInvalid(".".join(parts), str(ctx["rule"]))
    return FieldInvalid(".".join(parts), _rule(error))
