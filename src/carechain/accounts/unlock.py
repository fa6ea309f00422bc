"""Unlock a locked crew account on the device: with a second crew member's PIN, or with a
one-time code the control room reads from the crew node administrator's authenticator.

A crew tablet has no administrator at hand and may have no network, so five wrong PINs
would otherwise keep a paramedic out of the record for 15 minutes mid-job; a single-
crewed vehicle has no colleague either. Both ways work offline and return the audit body.
"""

from __future__ import annotations

from typing import Any

from carechain.accounts._db import Database
from carechain.accounts._validate import check_ms
from carechain.accounts.audit import audit_event
from carechain.accounts.credentials import HashCost, SecretKeys, totp_step
from carechain.accounts.errors import AccountLocked, LoginFailed
from carechain.accounts.models import Person, Role
from carechain.accounts.service import (
    _count_failure,
    _failed,
    authenticate,
    get_person,
    unlock,
)
from carechain.errors import FieldInvalid

__all__ = ["COLLEAGUE_UNLOCK_ROLES", "unlock_by_code", "unlock_by_colleague"]

# Who may unlock a locked colleague on a crew device: a second crew member of the vehicle.
COLLEAGUE_UNLOCK_ROLES: frozenset[Role] = frozenset({"paramedic", "technician"})


def unlock_by_colleague(
    db: Database,
    keys: SecretKeys,
    cost: HashCost,
    *,
    staff_id: str,
    colleague: str,
    secret: str,
    now_ms: int,
) -> tuple[Person, dict[str, Any]]:
    """Unlock a locked crew account with a second crew member's own staff id and PIN.

    A crew tablet has no administrator and may have no network: the colleague's PIN is
    checked like a login (a wrong one counts against the colleague, who is locked out in
    turn), and must be another, unlocked, crew member's. Returns the unlocked person and
    the `account.lock` audit body (detail `change` "unlock", `target`, `method`).
    """
    check_ms(now_ms, "now_ms")
    if colleague.strip().upper() == staff_id.strip().upper():
        raise FieldInvalid("colleague", "must be another crew member, not the locked account")
    helper = authenticate(db, keys, cost, staff_id=colleague, secret=secret, totp=None,
                          now_ms=now_ms)
    if helper.role not in COLLEAGUE_UNLOCK_ROLES:
        raise FieldInvalid("colleague", "must be a paramedic or technician of this crew")
    _locked_target(db, staff_id, now_ms)
    unlocked = unlock(db, staff_id=staff_id)
    event = audit_event("account.lock", staff_id=helper.staff_id, role=helper.role,
                        at_ms=now_ms, outcome="success",
                        detail={"change": "unlock", "target": staff_id,
                                "method": "crew-colleague"})
    return unlocked, event


def _locked_target(db: Database, staff_id: str, now_ms: int) -> None:
    target = get_person(db, staff_id=staff_id)
    if target is None or target.disabled:
        raise FieldInvalid("staff_id", "is not an account on this device")
    if not target.locked(now_ms):
        raise FieldInvalid("staff_id", "is not locked: log in with your PIN")


def unlock_by_code(
    db: Database,
    keys: SecretKeys,
    *,
    staff_id: str,
    admin: str,
    code: str,
    now_ms: int,
) -> tuple[Person, dict[str, Any]]:
    """Unlock a locked crew account with the current code of this node's administrator's
    authenticator (RFC 6238), read out by the control room that holds it.

    The code alone is enough to unlock, never to log in: the person unlocked still needs
    their own PIN. It works once (a step no later than the last one used is refused) and a
    wrong one counts against the administrator's account, which locks after five, so
    guessing a 6-digit code is hopeless. Returns the unlocked person and the
    `account.lock` audit body (`method` "control-room-code").
    """
    check_ms(now_ms, "now_ms")
    _locked_target(db, staff_id, now_ms)
    rows = db.read("SELECT role, totp_secret, totp_last_step, locked_until_ms, disabled,"
                   " failed_attempts FROM people WHERE staff_id = ?", (admin,))
    if not rows or rows[0][0] != "admin" or rows[0][1] is None:
        raise FieldInvalid("admin", "must be this device's administrator, whose "
                                    "authenticator the control room holds")
    role, sealed, last_step, locked, disabled, failed = rows[0]
    if locked > now_ms:
        raise AccountLocked([_failed(admin, role, now_ms, "locked", failed)])
    if disabled:
        raise LoginFailed([_failed(admin, role, now_ms, "disabled", failed)])
    step = totp_step(keys.unseal(bytes(sealed)), code, now_ms)
    if step is None or step <= last_step:
        _count_failure(db, admin, role, now_ms, "wrong-second-factor")
    with db.tx() as conn:  # spend the code in the same write that checks it is unspent
        fresh = conn.execute(
            "UPDATE people SET totp_last_step = ? WHERE staff_id = ? AND totp_last_step < ?",
            (step, admin, step)).rowcount == 1
    if not fresh:
        _count_failure(db, admin, role, now_ms, "wrong-second-factor")
    unlocked = unlock(db, staff_id=staff_id)
    event = audit_event("account.lock", staff_id=admin, role="admin", at_ms=now_ms,
                        outcome="success",
                        detail={"change": "unlock", "target": staff_id,
                                "method": "control-room-code"})
    return unlocked, event
