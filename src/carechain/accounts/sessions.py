"""Sessions: random bearer tokens (only their SHA-256 kept), idle and absolute expiry, CSRF.

A session ends at whichever comes first: `idle_ms` after it was last used, or
`absolute_ms` after it began. The web layer puts the token in a cookie and the CSRF token
in every form; docs/accounts.md says which cookie settings it must use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from carechain.accounts._db import Database
from carechain.accounts._validate import check_ms
from carechain.accounts.errors import CsrfRejected
from carechain.accounts.models import NodeRole, Person, Session
from carechain.accounts.service import get_person
from carechain.errors import FieldInvalid, Forbidden

__all__ = [
    "SESSION_POLICIES",
    "SessionPolicy",
    "check_csrf",
    "create_session",
    "end_session",
    "end_sessions",
    "lookup_session",
    "purge_expired",
]

TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG
TOKEN_MAX_CHARS = 128
MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lasts unused (`idle_ms`) and at most (`absolute_ms`)."""

    idle_ms: int = 30 * MINUTE_MS
    absolute_ms: int = 12 * HOUR_MS

    def __post_init__(self) -> None:
        if not 0 < self.idle_ms <= self.absolute_ms:
            raise FieldInvalid("idle_ms", "must be more than 0 and at most absolute_ms")


SESSION_POLICIES: dict[NodeRole, SessionPolicy] = {
    # A crew tablet: a 12-hour shift, relocked after half an hour unused (PIN is quick).
    "crew": SessionPolicy(idle_ms=30 * MINUTE_MS, absolute_ms=12 * HOUR_MS),
    # A shared emergency-department workstation: 15 minutes unused.
    "hospital": SessionPolicy(idle_ms=15 * MINUTE_MS, absolute_ms=12 * HOUR_MS),
    # Admin and audit consoles: 15 minutes unused, a working day at most.
    "hub": SessionPolicy(idle_ms=15 * MINUTE_MS, absolute_ms=8 * HOUR_MS),
    "vault": SessionPolicy(idle_ms=15 * MINUTE_MS, absolute_ms=8 * HOUR_MS),
}


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def create_session(db: Database, policy: SessionPolicy, *, person: Person,
                   now_ms: int) -> Session:
    """Start a new session for a person who has just logged in."""
    check_ms(now_ms, "now_ms")
    current = get_person(db, staff_id=person.staff_id)
    if current is None or current.disabled:
        raise Forbidden("this account cannot start a session", staff_id=person.staff_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = secrets.token_urlsafe(TOKEN_BYTES)
    absolute = now_ms + policy.absolute_ms
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO sessions (token_hash, staff_id, csrf_token, created_ms, last_seen_ms,"
            " idle_ms, absolute_expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_digest(token), person.staff_id, csrf, now_ms, now_ms, policy.idle_ms, absolute),
        )
    return Session(token, csrf, person.staff_id, now_ms, now_ms,
                   min(now_ms + policy.idle_ms, absolute), absolute)


def lookup_session(db: Database, *, token: str, now_ms: int) -> tuple[Person, Session] | None:
    """Return the live session for `token` and its person, marking it used; else None."""
    check_ms(now_ms, "now_ms")
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX_CHARS:
        return None
    digest = _digest(token)
    with db.tx() as conn:
        row = conn.execute(
            "SELECT staff_id, csrf_token, created_ms, last_seen_ms, idle_ms, absolute_expires_ms"
            " FROM sessions WHERE token_hash = ?", (digest,)
        ).fetchone()
        if row is None:
            return None
        staff_id, csrf, created, last_seen, idle, absolute = row
        person = get_person(db, staff_id=staff_id)
        if (now_ms >= absolute or now_ms >= last_seen + idle or person is None
                or person.disabled):
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (digest,))
            return None
        seen = max(last_seen, now_ms)  # a clock stepping back never extends a session
        conn.execute("UPDATE sessions SET last_seen_ms = ? WHERE token_hash = ?", (seen, digest))
    return person, Session(token, csrf, staff_id, created, seen, min(seen + idle, absolute),
                           absolute)


def end_session(db: Database, *, token: str) -> bool:
    """End one session (logout); return whether there was one."""
    with db.tx() as conn:
        gone = conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))
    return gone.rowcount > 0


def end_sessions(db: Database, *, staff_id: str) -> int:
    """End every session of one person; return how many ended."""
    with db.tx() as conn:
        gone = conn.execute("DELETE FROM sessions WHERE staff_id = ?", (staff_id,))
    return gone.rowcount


def purge_expired(db: Database, *, now_ms: int) -> int:
    """Delete sessions that have expired; return how many."""
    check_ms(now_ms, "now_ms")
    with db.tx() as conn:
        gone = conn.execute(
            "DELETE FROM sessions WHERE absolute_expires_ms <= ? OR last_seen_ms + idle_ms <= ?",
            (now_ms, now_ms),
        )
    return gone.rowcount


def check_csrf(session: Session, submitted: str | None) -> None:
    """Raise CsrfRejected unless `submitted` is this session's CSRF token (constant time)."""
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted.encode("utf-8"), session.csrf_token.encode("utf-8")
    ):
        raise CsrfRejected()
