"""Unlock a locked crew account on the device, with a second crew member's PIN.

A crew tablet has no administrator and may have no network, so five wrong PINs would
otherwise keep a paramedic out of the record for 15 minutes mid-job.
"""

from __future__ import annotations

from typing import Any

from carechain.accounts._db import Database
from carechain.accounts._validate import check_ms
from carechain.accounts.audit import audit_event
from carechain.accounts.credentials import HashCost, SecretKeys
from carechain.accounts.models import Person, Role
from carechain.accounts.service import authenticate, get_person, unlock
from carechain.errors import FieldInvalid

__all__ = ["COLLEAGUE_UNLOCK_ROLES", "unlock_by_colleague"]

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
    target = get_person(db, staff_id=staff_id)
    if target is None or target.disabled:
        raise FieldInvalid("staff_id", "is not an account on this device")
    if not target.locked(now_ms):
        raise FieldInvalid("staff_id", "is not locked: log in with your PIN")
    unlocked = unlock(db, staff_id=staff_id)
    event = audit_event("account.lock", staff_id=helper.staff_id, role=helper.role,
                        at_ms=now_ms, outcome="success",
                        detail={"change": "unlock", "target": staff_id,
                                "method": "crew-colleague"})
    return unlocked, event
