"""API clients: bearer tokens that an admin issues to a named system, with a role and an expiry.

A token is 256 random bits (`cct_` + URL-safe base64), shown once when issued; only its
SHA-256 is stored, so the accounts database does not hold a usable token. A client acts in
its own name with its role, or, when issued for a staff member (`staff_id`), as that
person with their role, for as long as their account is enabled. Admin tokens are never
issued: node administration needs a person with a second factor.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from carechain.accounts._db import Database
from carechain.accounts._validate import check_display_name, check_ms, check_staff_id
from carechain.accounts.models import Person, Role
from carechain.accounts.roles import ROLES_ON_NODE, check_node_role
from carechain.accounts.service import get_person
from carechain.errors import FieldInvalid, NotFound

__all__ = [
    "MAX_LIFETIME_MS",
    "TOKEN_PREFIX",
    "Client",
    "issue_client",
    "list_clients",
    "lookup_client",
    "revoke_client",
]

TOKEN_PREFIX = "cct_"
TOKEN_BYTES = 32
TOKEN_MAX_CHARS = 128
DAY_MS = 24 * 60 * 60 * 1000
MAX_LIFETIME_MS = 366 * DAY_MS
USED_EVERY_MS = 60_000  # last use is written at most once a minute per client

_COLUMNS = ("client_id, name, role, staff_id, created_ms, expires_ms, revoked_ms, issued_by,"
            " last_used_ms")


@dataclass(frozen=True)
class Client:
    """An API client, without its token."""

    client_id: str
    name: str
    role: Role
    staff_id: str | None
    created_ms: int
    expires_ms: int
    revoked_ms: int | None
    issued_by: str
    last_used_ms: int | None

    def live(self, now_ms: int) -> bool:
        """Return whether the token is accepted at `now_ms`."""
        return self.revoked_ms is None and now_ms < self.expires_ms

    def to_dict(self) -> dict[str, Any]:
        """Return the client as plain JSON values."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "role": self.role,
            "staff_id": self.staff_id,
            "created_ms": self.created_ms,
            "expires_ms": self.expires_ms,
            "revoked_ms": self.revoked_ms,
            "issued_by": self.issued_by,
            "last_used_ms": self.last_used_ms,
        }


def _client(row: tuple[Any, ...]) -> Client:
    cid, name, role, staff, created, expires, revoked, issued_by, used = row
    return Client(str(cid), str(name), role, None if staff is None else str(staff), int(created),
                  int(expires), None if revoked is None else int(revoked), str(issued_by),
                  None if used is None else int(used))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def issue_client(
    db: Database,
    *,
    name: str,
    role: str | None,
    staff_id: str | None,
    expires_ms: int,
    issued_by: str,
    node_role: str,
    now_ms: int,
) -> tuple[Client, str]:
    """Create a client and its token; return both (show the token once, store it nowhere)."""
    check_ms(now_ms, "now_ms")
    name = check_display_name(name) if isinstance(name, str) else check_display_name(None)
    node = check_node_role(node_role)
    if isinstance(expires_ms, bool) or not isinstance(expires_ms, int) or expires_ms <= now_ms:
        raise FieldInvalid("expires", "must be in the future")
    if expires_ms - now_ms > MAX_LIFETIME_MS:
        raise FieldInvalid("expires", "must be at most 366 days from now")
    if staff_id is not None:
        check_staff_id(staff_id)
        person = get_person(db, staff_id=staff_id)
        if person is None or person.disabled:
            raise FieldInvalid("staff_id", "must name an enabled account on this node")
        if role is not None and role != person.role:
            raise FieldInvalid("role", f"must be {person.role}, the role of {staff_id}")
        role = person.role
    allowed = sorted(ROLES_ON_NODE[node] - {"admin"})
    if role not in allowed:
        raise FieldInvalid("role", f"must be one of: {', '.join(allowed)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    client_id = "cl_" + secrets.token_hex(8)
    with db.tx() as conn:
        conn.execute(
            f"INSERT INTO clients ({_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (client_id, name, role, staff_id, now_ms, expires_ms, None, issued_by, None,
             _digest(token)),
        )
    return _need_client(db, client_id), token


def _need_client(db: Database, client_id: str) -> Client:
    rows = db.read(f"SELECT {_COLUMNS} FROM clients WHERE client_id = ?", (client_id,))
    if not rows:
        raise NotFound(f"no API client {client_id!r}")
    return _client(rows[0])


def lookup_client(db: Database, *, token: str, now_ms: int) -> tuple[Client, Person | None] | None:
    """Return the live client a bearer token belongs to (and its person, if any); else None."""
    check_ms(now_ms, "now_ms")
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    if len(token) > TOKEN_MAX_CHARS:
        return None
    rows = db.read(f"SELECT {_COLUMNS} FROM clients WHERE token_hash = ?", (_digest(token),))
    if not rows:
        return None
    client = _client(rows[0])
    if not client.live(now_ms):
        return None
    person = None
    if client.staff_id is not None:
        person = get_person(db, staff_id=client.staff_id)
        if person is None or person.disabled:
            return None
    if client.last_used_ms is None or now_ms - client.last_used_ms >= USED_EVERY_MS:
        with db.tx() as conn:
            conn.execute("UPDATE clients SET last_used_ms = ? WHERE client_id = ?",
                         (now_ms, client.client_id))
    return client, person


def revoke_client(db: Database, *, client_id: str, now_ms: int) -> Client:
    """Revoke a client's token from `now_ms` on (revoking twice keeps the first time)."""
    check_ms(now_ms, "now_ms")
    _need_client(db, client_id)
    with db.tx() as conn:
        conn.execute("UPDATE clients SET revoked_ms = ? WHERE client_id = ? AND revoked_ms IS NULL",
                     (now_ms, client_id))
    return _need_client(db, client_id)


def list_clients(db: Database) -> list[Client]:
    """Return every client, newest first."""
    return [_client(r) for r in
            db.read(f"SELECT {_COLUMNS} FROM clients ORDER BY created_ms DESC, client_id")]
