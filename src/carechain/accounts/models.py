"""The values the accounts package hands out: a person and a session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NodeRole", "Person", "Role", "SecretKind", "Session"]

Role = Literal[
    "paramedic", "technician", "clinical_lead", "ed_clinician", "auditor", "admin", "dispatcher"
]
NodeRole = Literal["crew", "hub", "hospital", "vault"]
SecretKind = Literal["pin", "password"]


@dataclass(frozen=True)
class Person:
    """One account on this node, without its secrets."""

    staff_id: str
    display_name: str
    role: Role
    secret_kind: SecretKind
    has_totp: bool
    failed_attempts: int
    locked_until_ms: int
    disabled: bool
    created_ms: int

    def locked(self, now_ms: int) -> bool:
        """Return whether the account is locked at `now_ms`."""
        return now_ms < self.locked_until_ms


@dataclass(frozen=True)
class Session:
    """A logged-in session; `token` goes in the cookie, `csrf_token` in every form."""

    token: str
    csrf_token: str
    staff_id: str
    created_ms: int
    last_seen_ms: int
    expires_ms: int
    """When the session ends if unused: the earlier of idle and absolute expiry."""
    absolute_expires_ms: int
