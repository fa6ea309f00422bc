"""Typed bodies of clinical entries: one pydantic schema per kind, and the registry.

    from carechain.records.kinds import KINDS, validate_body, check_section

Every kind, its fields, units, ranges and rules are listed in docs/entry-kinds.md; the
closed sets of values the kinds accept are `carechain.records.kinds.choices`.
"""

from carechain.records.kinds._common import (
    DISPLAY_ZONE,
    FREE_TEXT_MAX,
    LIST_MAX,
    SHORT_TEXT_MAX,
    show_times,
)
from carechain.records.kinds._exchange import CHUNK_READINGS_MAX
from carechain.records.kinds._incident import INCIDENT_TIMES
from carechain.records.kinds._outcome import CONVEYED_ONLY, NOT_CONVEYED_ONLY
from carechain.records.kinds._previous import MAX_PREVIOUS
from carechain.records.kinds.registry import (
    KINDS,
    SECTIONS,
    KindSpec,
    check_section,
    validate_body,
)

__all__ = [
    "CHUNK_READINGS_MAX",
    "CONVEYED_ONLY",
    "DISPLAY_ZONE",
    "FREE_TEXT_MAX",
    "INCIDENT_TIMES",
    "KINDS",
    "LIST_MAX",
    "MAX_PREVIOUS",
    "NOT_CONVEYED_ONLY",
    "SECTIONS",
    "SHORT_TEXT_MAX",
    "KindSpec",
    "check_section",
    "show_times",
    "validate_body",
]
