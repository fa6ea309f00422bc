"""How the forms word their errors, and the staff id's shape the forms check."""

from __future__ import annotations

import re
from collections.abc import Mapping

from carechain.errors import FieldInvalid

__all__ = ["STAFF_ID", "STAFF_ID_RULE", "field_message"]

# The shape of a staff id, as carechain.accounts checks it when it stores or logs one; the
# forms check it too, so every field's error is shown at once.
STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}")
STAFF_ID_RULE = "A staff id is 1 to 64 letters, digits or . _ @ : - (no spaces)."


def field_message(exc: FieldInvalid, labels: Mapping[str, str]) -> tuple[str, str]:
    """Return (form field, sentence) for an error: the field if the form has it, else "form"."""
    field = exc.field if exc.field in labels else "form"
    rule = exc.rule.strip().rstrip(".")
    if rule.startswith(("must ", "is ")) and field in labels:
        text = f"{labels[field]} {rule}."
    elif rule.startswith(("must ", "is ")):
        text = f"{exc.field.replace('_', ' ').capitalize()} {rule}."
    else:
        text = rule[:1].upper() + rule[1:] + "."
    return field, text
