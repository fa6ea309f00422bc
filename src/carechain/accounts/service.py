"""People: create, find, unlock and disable accounts, and log in with lockout.

Functions take the database and keys explicitly and keyword-only values; each is its own
unit of work on the accounts file, which no other store shares. Time is always passed in.
"""

from __future__ import annotations

from typing import Any, NoReturn

from carechain.accounts._db import Database
from carechain.accounts._validate import check_display_name, check_ms, check_staff_id
from carechain.accounts.audit import Outcome, audit_event
from carechain.accounts.credentials import (
    HashCost,
    SecretKeys,
    check_password,
    check_pin,
    hash_secret,
    new_totp_secret,
    provisioning_uri,
    totp_step,
    verify_secret,
)
from carechain.accounts.errors import AccountLocked, LoginFailed, SecondFactorRequired
from carechain.accounts.models import NodeRole, Person, Role, SecretKind
from carechain.accounts.roles import ROLES, check_role_on_node
from carechain.errors import FieldInvalid, NotFound

__all__ = [
    "LOCK_MS",
    "MAX_FAILURES",
    "authenticate",
    "create_person",
    "disable",
    "get_person",
    "list_people",
    "node_role",
    "reset_totp",
    "unlock",
]

MAX_FAILURES = 5
LOCK_MS = 15 * 60 * 1000
TOTP_ROLES: frozenset[Role] = frozenset({"admin"})

_COLUMNS = ("staff_id, display_name, role, secret_kind, totp_secret IS NOT NULL, "
            "failed_attempts, locked_until_ms, disabled, created_ms")


def _person(row: tuple[Any, ...]) -> Person:
    sid, name, role, kind, has_totp, failed, locked, disabled, created = row
    assert role in ROLES and kind in ("pin", "password")
    return Person(str(sid), str(name), role, kind, bool(has_totp), int(failed), int(locked),
                  bool(disabled), int(created))


def get_person(db: Database, *, staff_id: str) -> Person | None:
    """Return the account with this staff id, or None."""
    rows = db.read(f"SELECT {_COLUMNS} FROM people WHERE staff_id = ?", (staff_id,))
    return _person(rows[0]) if rows else None


def _need_person(db: Database, staff_id: str) -> Person:
    found = get_person(db, staff_id=staff_id)
    if found is None:
        raise NotFound(f"no account with staff id {staff_id!r}")
    return found


def list_people(db: Database) -> list[Person]:
    """Return every account, by staff id."""
    return [_person(r) for r in db.read(f"SELECT {_COLUMNS} FROM people ORDER BY staff_id")]


def node_role(db: Database) -> NodeRole | None:
    """Return the node role this accounts file was first used for, if any."""
    rows = db.read("SELECT value FROM meta WHERE key = 'node_role'")
    value = rows[0][0] if rows else None
    assert value in (None, "crew", "hub", "hospital", "vault")
    return value


def create_person(
    db: Database,
    keys: SecretKeys,
    cost: HashCost,
    *,
    staff_id: str,
    display_name: str,
    role: str,
    secret: str,
    node_role: str,
    now_ms: int,
    totp: bool | None = None,
    issuer: str = "carechain",
) -> tuple[Person, str | None]:
    """Add an account; return it and, when it uses TOTP, the authenticator URI to show once."""
    check_staff_id(staff_id)
    display_name = check_display_name(display_name)
    checked = check_role_on_node(role, node_role)
    check_ms(now_ms, "now_ms")
    kind: SecretKind = "pin" if node_role == "crew" else "password"
    if kind == "pin":
        check_pin(secret)
    else:
        check_password(secret, staff_id=staff_id, display_name=display_name)
    if totp is None:
        totp = checked in TOTP_ROLES
    elif not totp and checked in TOTP_ROLES:
        raise FieldInvalid("totp", f"is required for the {checked} role")
    totp_secret = new_totp_secret() if totp else None
    secret_hash = hash_secret(keys, secret, cost)  # slow: outside the lock
    with db.tx() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'node_role'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('node_role', ?)", (node_role,))
        elif row[0] != node_role:
            raise FieldInvalid("node_role", f"must be {row[0]}: this accounts file is a "
                               f"{row[0]} node's")
        try:
            conn.execute(
                "INSERT INTO people (staff_id, display_name, role, secret_kind, secret_hash,"
                " totp_secret, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (staff_id, display_name, checked, kind, secret_hash,
                 keys.seal(totp_secret) if totp_secret else None, now_ms),
            )
        except db.IntegrityError as exc:
            raise FieldInvalid("staff_id", "is already taken") from exc
    uri = provisioning_uri(totp_secret, staff_id=staff_id, issuer=issuer) if totp_secret else None
    return _need_person(db, staff_id), uri


def reset_totp(db: Database, keys: SecretKeys, *, staff_id: str, issuer: str = "carechain") -> str:
    """Give an account a new TOTP secret (a lost phone); return the URI to show once."""
    _need_person(db, staff_id)
    secret = new_totp_secret()
    with db.tx() as conn:
        conn.execute("UPDATE people SET totp_secret = ?, totp_last_step = 0 WHERE staff_id = ?",
                     (keys.seal(secret), staff_id))
    return provisioning_uri(secret, staff_id=staff_id, issuer=issuer)


def unlock(db: Database, *, staff_id: str) -> Person:
    """Clear an account's lock and failure count."""
    _need_person(db, staff_id)
    with db.tx() as conn:
        conn.execute("UPDATE people SET failed_attempts = 0, locked_until_ms = 0"
                     " WHERE staff_id = ?", (staff_id,))
    return _need_person(db, staff_id)


def disable(db: Database, *, staff_id: str) -> Person:
    """Disable an account and end its sessions; its history stays."""
    _need_person(db, staff_id)
    with db.tx() as conn:
        conn.execute("UPDATE people SET disabled = 1 WHERE staff_id = ?", (staff_id,))
        conn.execute("DELETE FROM sessions WHERE staff_id = ?", (staff_id,))
    return _need_person(db, staff_id)


def _failed(staff_id: str | None, role: Role | None, now_ms: int, reason: str,
            count: int) -> dict[str, Any]:
    outcome: Outcome = "refused" if reason == "locked" else "failure"
    return audit_event("login.failed", staff_id=staff_id, role=role, at_ms=now_ms,
                       outcome=outcome, detail={"reason": reason, "failed_attempts": count})


def _count_failure(
    db: Database, staff_id: str, role: Role, now_ms: int, reason: str
) -> NoReturn:
    """Count one failure against an account, lock it at the limit, and raise."""
    with db.tx() as conn:
        failed, locked = conn.execute(
            "SELECT failed_attempts, locked_until_ms FROM people WHERE staff_id = ?", (staff_id,)
        ).fetchone()
        if locked and locked <= now_ms:
            failed = 0  # an expired lock starts a fresh count
        failed += 1
        locked = now_ms + LOCK_MS if failed >= MAX_FAILURES else 0
        conn.execute("UPDATE people SET failed_attempts = ?, locked_until_ms = ?"
                     " WHERE staff_id = ?", (failed, locked, staff_id))
    events = [_failed(staff_id, role, now_ms, reason, failed)]
    if locked:
        events.append(audit_event("account.lock", staff_id=staff_id, role=role, at_ms=now_ms,
                                  outcome="success",
                                  detail={"until_ms": locked, "failed_attempts": failed}))
        raise AccountLocked(events)
    raise LoginFailed(events)


def _unknown_failure(db: Database, staff_id: str, now_ms: int) -> NoReturn:
    """Count a failure for a staff id with no account just as for one with, and raise."""
    known = staff_id if _is_staff_id(staff_id) else None
    reason = "unknown-account" if known else "malformed-staff-id"
    with db.lock:
        failed, locked = db.unknown_failures.get(staff_id, (0, 0))
        if locked > now_ms:
            raise AccountLocked([_failed(known, None, now_ms, "locked", failed)])
        failed = 1 if locked else failed + 1
        locked = now_ms + LOCK_MS if failed >= MAX_FAILURES else 0
        if known:  # remember only what could be a staff id, never a password typed instead
            db.remember_unknown(staff_id, (failed, locked))
    events = [_failed(known, None, now_ms, reason, failed)]
    if locked:
        raise AccountLocked(events)
    raise LoginFailed(events)


def _is_staff_id(value: str) -> bool:
    try:
        check_staff_id(value)
    except FieldInvalid:
        return False
    return True


def authenticate(
    db: Database,
    keys: SecretKeys,
    cost: HashCost,
    *,
    staff_id: str,
    secret: str,
    totp: str | None,
    now_ms: int,
) -> Person:
    """Return the person whose staff id and secret (and TOTP code, if theirs) are right."""
    check_ms(now_ms, "now_ms")
    rows = db.read("SELECT secret_hash, totp_secret, totp_last_step, locked_until_ms, disabled,"
                   " role, failed_attempts FROM people WHERE staff_id = ?", (staff_id,))
    if not rows:
        verify_secret(keys, keys.dummy_hash(cost), secret)  # the same work as a real check
        _unknown_failure(db, staff_id, now_ms)
    stored, sealed, last_step, locked, disabled, role, failed = rows[0]
    assert role in ROLES
    if locked > now_ms:
        raise AccountLocked([_failed(staff_id, role, now_ms, "locked", failed)])
    ok = verify_secret(keys, str(stored), secret)
    if not ok:
        _count_failure(db, staff_id, role, now_ms, "wrong-secret")
    if disabled:
        raise LoginFailed([_failed(staff_id, role, now_ms, "disabled", failed)])
    step = 0
    if sealed is not None:
        if not totp or not totp.strip():
            raise SecondFactorRequired()
        found = totp_step(keys.unseal(bytes(sealed)), totp, now_ms)
        if found is None or found <= last_step:  # RFC 6238 §5.2: a code works only once
            _count_failure(db, staff_id, role, now_ms, "wrong-second-factor")
        step = found
    with db.tx() as conn:
        # Spend the code in the same write, so two logins racing with one code cannot both win.
        fresh = sealed is None or conn.execute(
            "UPDATE people SET totp_last_step = ? WHERE staff_id = ? AND totp_last_step < ?",
            (step, staff_id, step),
        ).rowcount == 1
        if fresh:
            conn.execute("UPDATE people SET failed_attempts = 0, locked_until_ms = 0"
                         " WHERE staff_id = ?", (staff_id,))
    if not fresh:
        _count_failure(db, staff_id, role, now_ms, "wrong-second-factor")
    return _need_person(db, staff_id)
