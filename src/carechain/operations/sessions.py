"""Logging in and out, and unlocking a locked account: each attempt audited, whatever its
outcome, in the node's signed log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carechain.accounts import (
    AccountLocked,
    LoginFailed,
    Person,
    SecondFactorRequired,
    Session,
    audit_event,
)
from carechain.operations.actor import Actor, Interface
from carechain.operations.door import Door

__all__ = ["login", "logout", "unlock_by_code", "unlock_by_colleague"]


def _events(door: Door, events: list[dict[str, Any]]) -> None:
    with door.unit() as uow:
        door.audit_events(uow, events)


def login(door: Door, *, staff_id: str, secret: str, totp: str | None,
          interface: Interface) -> tuple[Person, Session]:
    """Check a staff id, secret and TOTP code; start a session; audit the attempt.

    Raises `SecondFactorRequired`, `AccountLocked` or `LoginFailed` (each audited first).
    """
    try:
        person = door.accounts.authenticate(staff_id, secret, totp, now_ms=door.now_ms())
    except SecondFactorRequired:
        known = door.accounts.person(staff_id)
        _events(door, [audit_event(
            "login.failed", staff_id=staff_id, role=None if known is None else known.role,
            at_ms=door.now_ms(), outcome="failure",
            detail={"reason": "second-factor-missing", "interface": interface})])
        raise
    except (AccountLocked, LoginFailed) as exc:
        _events(door, exc.events)
        raise
    session = door.accounts.create_session(person, now_ms=door.now_ms())
    with door.unit() as uow:
        door.audit(Actor.person(person, interface), uow, "login")
    return person, session


def logout(door: Door, actor: Actor, *, token: str) -> None:
    """End a session, audited."""
    door.accounts.end_session(token)
    with door.unit() as uow:
        door.audit(actor, uow, "logout")


def unlock_by_colleague(door: Door, *, staff_id: str, colleague: str, secret: str) -> Person:
    """Unlock a crew account with a second crew member's staff id and PIN; audited."""
    return _unlocked(door, lambda now_ms: door.accounts.unlock_by_colleague(
        staff_id, colleague, secret, now_ms=now_ms))


def unlock_by_code(door: Door, *, staff_id: str, admin: str, code: str) -> Person:
    """Unlock a crew account with the control room's one-time code; audited."""
    return _unlocked(door, lambda now_ms: door.accounts.unlock_by_code(
        staff_id, admin, code, now_ms=now_ms))


def _unlocked(door: Door, unlock: Callable[[int], tuple[Person, dict[str, Any]]]) -> Person:
    """Run an unlock and audit what happened: the unlock, or each failed attempt."""
    try:
        person, event = unlock(door.now_ms())
    except (AccountLocked, LoginFailed) as exc:
        _events(door, exc.events)
        raise
    _events(door, [event])
    return person
