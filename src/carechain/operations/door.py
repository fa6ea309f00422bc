"""The door: a node and its accounts, the unit of work, and the audit entry of an operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.encoding
import nacl.hash

from carechain.accounts import AccountStore, Outcome, audit_event
from carechain.errors import Forbidden
from carechain.lookup.queue import LookupQueue
from carechain.node import Node, Unit, Written
from carechain.node.audit import write_audit
from carechain.operations.actor import Actor

__all__ = ["Door", "accounts_key", "open_accounts"]


def accounts_key(node: Node) -> bytes:
    """Return the node's accounts key: derived from its receiving key, itself sealed under the
    operator secret, so the accounts database alone gives up no TOTP secret."""
    return bytes(nacl.hash.blake2b(b"carechain-accounts-v1", key=node.keys.box_private,
                                   digest_size=32, encoder=nacl.encoding.RawEncoder))


def open_accounts(data_dir: Path, node: Node, database_url: str | None = None) -> AccountStore:
    """Open a node's accounts: in its PostgreSQL database when its log is there (so hub
    processes sharing it share logins and revocations), else in its data directory."""
    key = accounts_key(node)
    if database_url is not None and database_url.startswith(("postgresql://", "postgres://")):
        accounts = AccountStore(database_url, key)
        accounts.adopt_file(data_dir / "accounts.db")  # once: the file's rows move across
        return accounts
    return AccountStore(data_dir / "accounts.db", key)


@dataclass
class Door:
    """What every operation needs: the node, its accounts, the time."""

    node: Node
    accounts: AccountStore
    lookups: LookupQueue | None = None
    """A crew node's PDS lookup queue."""

    def now_ms(self) -> int:
        """Return the node's wall-clock time."""
        return self.node.clock_ms()

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """Open the unit of work an operation writes into; it commits when the block ends."""
        with self.node.unit() as uow:
            yield uow

    def audit(
        self,
        actor: Actor,
        uow: Unit,
        action: str,
        *,
        outcome: Outcome = "success",
        record: bytes | str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Written:
        """Draft the audit entry of an operation in its unit of work."""
        event = audit_event(
            action,
            staff_id=actor.staff_id or _audit_id(actor),
            role=actor.role,
            at_ms=self.now_ms(),
            outcome=outcome,
            record=record.hex() if isinstance(record, bytes) else record,
            detail={**actor.describe(), **(detail or {})},
        )
        return write_audit(self.node, event, uow=uow)

    def audit_events(self, uow: Unit, events: list[dict[str, Any]]) -> None:
        """Draft audit bodies the accounts package built (failed logins, locks)."""
        for event in events:
            write_audit(self.node, event, uow=uow)

    def refuse(
        self,
        actor: Actor,
        action: str,
        rule: str,
        *,
        audit_as: str | None = None,
        record: bytes | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Forbidden:
        """Record a refusal durably (its own unit: the refused operation writes nothing
        else) and return the error to raise."""
        if audit_as is not None:
            with self.unit() as uow:
                self.audit(actor, uow, audit_as, outcome="refused", record=record,
                           detail={"refused": action, **(detail or {})})
        return Forbidden(rule, action=action, role=actor.role)


def _audit_id(actor: Actor) -> str:
    """Return the staff-id-shaped name an audit entry gives an actor with no staff id."""
    if actor.kind == "client" and actor.client_id is not None:
        return f"client:{actor.client_id}"
    return actor.name
