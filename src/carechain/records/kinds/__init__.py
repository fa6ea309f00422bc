"""Typed bodies of clinical entries: one pydantic schema per kind, and the registry.

    from carechain.records.kinds import KINDS, validate_body, check_section

Every kind, its fields, units, ranges and rules are listed in docs/entry-kinds.md.
"""

from carechain.records.kinds._common import FREE_TEXT_MAX, LIST_MAX, SHORT_TEXT_MAX
from carechain.records.kinds._incident import INCIDENT_TIMES
from carechain.records.kinds.registry import (
    KINDS,
    SECTIONS,
    KindSpec,
    check_section,
    validate_body,
)

__all__ = [
    "FREE_TEXT_MAX",
    "INCIDENT_TIMES",
    "KINDS",
    "LIST_MAX",
    "SECTIONS",
    "SHORT_TEXT_MAX",
    "KindSpec",
    "check_section",
    "validate_body",
]
