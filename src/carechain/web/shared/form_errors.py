"""Every broken rule of a refused form, each next to its own field, at once (issue 10 item 7).

`carechain.records.kinds.validate_body` raises `FieldInvalid` for the first broken rule and
lists every broken rule of the body in `exc.extra["errors"]` (`{"field": "data.pulse",
"rule": …}`); a body checked by an older validator carries only the one. A field with two
broken rules shows the first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from carechain.errors import FieldInvalid

__all__ = ["broken_rules", "field_errors"]


def broken_rules(exc: FieldInvalid) -> list[tuple[str, str]]:
    """Return (field, rule) for every rule the refused value broke, the exception's first."""
    found = [(exc.field, exc.rule)]
    listed = exc.extra.get("errors") if isinstance(exc.extra, Mapping) else None
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("field"), str) \
                and isinstance(item.get("rule"), str):
            pair = (str(item["field"]), str(item["rule"]))
            if pair not in found:
                found.append(pair)
    return found


def field_errors(exc: FieldInvalid, target: Callable[[str], str]) -> dict[str, str]:
    """Return input id → message for every broken rule; `target` maps a data path to the
    input it belongs to (or "form")."""
    out: dict[str, str] = {}
    for field, rule in broken_rules(exc):
        key = target(field)
        if key not in out:
            out[key] = rule
        elif key == "form" and rule not in out[key]:
            out[key] += f"; {field.removeprefix('data.')}: {rule}"  # no field of its own
    return out
