"""What every page handler needs: the node, its accounts, its sync loop, the time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carechain.accounts import AccountStore, audit_event
from carechain.accounts.models import Person
from carechain.node import Node
from carechain.node.audit import write_audit
from carechain.sync.loop import SyncLoop

__all__ = ["WebContext"]


@dataclass
class WebContext:
    """The web layer's view of one node."""

    node: Node
    accounts: AccountStore
    sync_loop: SyncLoop | None = None

    def now_ms(self) -> int:
        """Return the node's wall-clock time."""
        return self.node.clock_ms()

    def audit(self, action: str, person: Person | None, *, outcome: str = "success",
              record: str | None = None, detail: dict[str, Any] | None = None,
              staff_id: str | None = None) -> None:
        """Write one audit event into the node's signed log."""
        event = audit_event(
            action,
            staff_id=person.staff_id if person else staff_id,
            role=person.role if person else None,
            at_ms=self.now_ms(),
            outcome=outcome,  # type: ignore[arg-type]
            record=record,
            detail=detail,
        )
        write_audit(self.node, event)

    def write_events(self, events: list[dict[str, Any]]) -> None:
        """Write audit bodies the accounts package built (failed logins, locks)."""
        for event in events:
            write_audit(self.node, event)
