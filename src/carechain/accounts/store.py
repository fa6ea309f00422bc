"""`AccountStore`: one node's accounts file and everything the web layer asks of it."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from carechain.accounts import breakglass, clients, service, sessions
from carechain.accounts._db import open_database
from carechain.accounts.clients import Client
from carechain.accounts.credentials import INTERACTIVE, HashCost, SecretKeys
from carechain.accounts.models import NodeRole, Person, Session
from carechain.accounts.sessions import SESSION_POLICIES, SessionPolicy
from carechain.accounts.unlock import unlock_by_code, unlock_by_colleague

__all__ = ["AccountStore"]


class AccountStore:
    """People, sessions, API clients and break-glass grants: in one SQLite file (a path, or
    `":memory:"`), or in PostgreSQL (a `postgresql://` URL: the node's own database).

    `secret_key` is the node's 32-byte accounts key, derived from its operator secret:
    it peppers every PIN and password hash and seals every TOTP secret, so the file
    alone gives up neither. Every method that depends on time takes `now_ms`. Without a
    `session_policy`, sessions follow `SESSION_POLICIES` for the file's node role; `cost`
    is the Argon2id cost of new hashes (`FAST_FOR_TESTS` only in tests).
    """

    def __init__(
        self,
        path: Path | str,
        secret_key: bytes,
        *,
        session_policy: SessionPolicy | None = None,
        cost: HashCost = INTERACTIVE,
    ) -> None:
        self._keys = SecretKeys(secret_key)
        self._db = open_database(path)
        self._cost = cost
        self._session_policy = session_policy

    # -- people ---------------------------------------------------------------------------

    def create_person(
        self,
        staff_id: str,
        display_name: str,
        role: str,
        secret: str,
        *,
        node_role: str,
        now_ms: int,
        totp: bool | None = None,
        issuer: str = "carechain",
    ) -> tuple[Person, str | None]:
        """Add an account; return it and the TOTP provisioning URI (show it once), if any."""
        return service.create_person(
            self._db, self._keys, self._cost, staff_id=staff_id, display_name=display_name,
            role=role, secret=secret, node_role=node_role, now_ms=now_ms, totp=totp,
            issuer=issuer,
        )

    def person(self, staff_id: str) -> Person | None:
        """Return one account, or None."""
        return service.get_person(self._db, staff_id=staff_id)

    def list_people(self) -> list[Person]:
        """Return every account, by staff id."""
        return service.list_people(self._db)

    def unlock(self, staff_id: str) -> Person:
        """Clear an account's lock and failure count."""
        return service.unlock(self._db, staff_id=staff_id)

    def unlock_by_colleague(self, staff_id: str, colleague: str, secret: str, *,
                            now_ms: int) -> tuple[Person, dict[str, Any]]:
        """Unlock a crew account with a second crew member's PIN; return it and its audit."""
        return unlock_by_colleague(self._db, self._keys, self._cost, staff_id=staff_id,
                                           colleague=colleague, secret=secret, now_ms=now_ms)

    def unlock_by_code(self, staff_id: str, admin: str, code: str, *,
                       now_ms: int) -> tuple[Person, dict[str, Any]]:
        """Unlock a crew account with the control room's code; return it and its audit."""
        return unlock_by_code(self._db, self._keys, staff_id=staff_id, admin=admin, code=code,
                              now_ms=now_ms)

    def disable(self, staff_id: str) -> Person:
        """Disable an account and end its sessions."""
        return service.disable(self._db, staff_id=staff_id)

    def reset_totp(self, staff_id: str, *, issuer: str = "carechain") -> str:
        """Replace an account's TOTP secret; return the new provisioning URI."""
        return service.reset_totp(self._db, self._keys, staff_id=staff_id, issuer=issuer)

    @property
    def node_role(self) -> NodeRole | None:
        """Return the node role this file's accounts were created for, if any yet."""
        return service.node_role(self._db)

    # -- login and sessions ---------------------------------------------------------------

    def authenticate(
        self, staff_id: str, secret: str, totp: str | None = None, *, now_ms: int
    ) -> Person:
        """Return the person if the staff id, secret and any TOTP code are right."""
        return service.authenticate(self._db, self._keys, self._cost, staff_id=staff_id,
                                    secret=secret, totp=totp, now_ms=now_ms)

    def create_session(self, person: Person, *, now_ms: int) -> Session:
        """Start a session for a person who has just logged in."""
        return sessions.create_session(self._db, self.session_policy, person=person,
                                       now_ms=now_ms)

    @property
    def session_policy(self) -> SessionPolicy:
        """Return the policy given, else the default for this file's node role."""
        return self._session_policy or SESSION_POLICIES[self.node_role or "crew"]

    def session(self, token: str, *, now_ms: int) -> tuple[Person, Session] | None:
        """Return the live session for a cookie token and its person, or None."""
        return sessions.lookup_session(self._db, token=token, now_ms=now_ms)

    def end_session(self, token: str) -> bool:
        """End one session (logout); return whether there was one."""
        return sessions.end_session(self._db, token=token)

    def end_sessions(self, staff_id: str) -> int:
        """End every session of one person."""
        return sessions.end_sessions(self._db, staff_id=staff_id)

    def purge_expired(self, *, now_ms: int) -> int:
        """Delete expired sessions; return how many."""
        return sessions.purge_expired(self._db, now_ms=now_ms)

    check_csrf = staticmethod(sessions.check_csrf)

    # -- API clients ----------------------------------------------------------------------

    def issue_client(self, name: str, *, role: str | None, staff_id: str | None = None,
                     expires_ms: int, issued_by: str, now_ms: int) -> tuple[Client, str]:
        """Issue a bearer token to a named client; return it and the token (shown once)."""
        return clients.issue_client(self._db, name=name, role=role, staff_id=staff_id,
                                    expires_ms=expires_ms, issued_by=issued_by,
                                    node_role=self.node_role or "crew", now_ms=now_ms)

    def client(self, token: str, *, now_ms: int) -> tuple[Client, Person | None] | None:
        """Return the live client of a bearer token (and the person it acts as), or None."""
        return clients.lookup_client(self._db, token=token, now_ms=now_ms)

    def revoke_client(self, client_id: str, *, now_ms: int) -> Client:
        """Revoke a client's token."""
        return clients.revoke_client(self._db, client_id=client_id, now_ms=now_ms)

    def list_clients(self) -> list[Client]:
        """Return every API client, newest first."""
        return clients.list_clients(self._db)

    @property
    def engine(self) -> str:
        """Return where the accounts live: `sqlite` or `postgresql`."""
        return self._db.engine

    # -- break-glass ----------------------------------------------------------------------

    def break_glass(self, person: Person, record: str, reason: str, *,
                    now_ms: int) -> dict[str, Any]:
        """Grant emergency access to a record for 4 hours; return the audit body."""
        return breakglass.break_glass(self._db, person=person, record=record, reason=reason,
                                      now_ms=now_ms)

    def has_break_glass(self, staff_id: str, record: str, *, now_ms: int) -> bool:
        """Return whether `staff_id` holds live break-glass access to `record`."""
        return breakglass.has_break_glass(self._db, staff_id=staff_id, record=record,
                                          now_ms=now_ms)

    def adopt_file(self, path: Path) -> int:
        """Copy the accounts of an SQLite file into these (empty) accounts, once."""
        from carechain.accounts.backfill import copy_file_into

        return copy_file_into(path, self._db)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the accounts file."""
        self._db.close()

    def __enter__(self) -> AccountStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
