"""Who is calling: a person, an API client, or the node's operator — resolved once, at the
edge, and handed to the application layer as a value (never read from a request body)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from carechain.accounts import Person, Role, can
from carechain.accounts.clients import Client

__all__ = ["INTERFACES", "OPERATOR_ACTIONS", "Actor", "ActorKind", "Interface"]

Interface = Literal["web", "json", "fhir", "cli"]
INTERFACES: tuple[Interface, ...] = ("web", "json", "fhir", "cli")
ActorKind = Literal["person", "client", "operator"]

# The operator holds the node's secret (the CLI on the node's own machine): it runs the
# node and exports its records for the trust, audited like anyone; it writes no care.
OPERATOR_ACTIONS = frozenset(
    {"node.admin", "account.manage", "audit.read", "record.export", "record.read_own_org",
     "quality.read"}
)


@dataclass(frozen=True)
class Actor:
    """An authenticated caller of the application layer."""

    kind: ActorKind
    name: str
    """Staff id (person), client name (client) or `operator`."""
    role: Role
    interface: Interface
    staff_id: str | None = None
    """The person acted as: the person, or the staff member a client's token was issued for."""
    client_id: str | None = None

    @classmethod
    def person(cls, person: Person, interface: Interface) -> Actor:
        """Return the actor for a logged-in person."""
        return cls("person", person.staff_id, person.role, interface, person.staff_id)

    @classmethod
    def client(cls, client: Client, person: Person | None, interface: Interface) -> Actor:
        """Return the actor for an API client's bearer token."""
        if person is not None:
            return cls("client", client.name, person.role, interface, person.staff_id,
                       client.client_id)
        return cls("client", client.name, client.role, interface, None, client.client_id)

    @classmethod
    def operator(cls, staff_id: str | None = None) -> Actor:
        """Return the node's operator (the CLI, holding the operator secret), naming the
        staff member at the keyboard when the command asks who it is (`--by`)."""
        return cls("operator", staff_id or "operator", "admin", "cli", staff_id, None)

    def can(self, action: str) -> bool:
        """Return whether this actor may take `action`."""
        if self.kind == "operator":
            return action in OPERATOR_ACTIONS
        return can(self.role, action)

    @property
    def user(self) -> str:
        """Return who an entry this actor writes names as its author."""
        if self.staff_id is not None:
            return self.staff_id
        if self.kind == "client" and self.client_id is not None:
            return f"client:{self.client_id}"
        return self.name

    def describe(self) -> dict[str, str]:
        """Return what an audit entry says of how this actor came in."""
        out: dict[str, str] = {"interface": self.interface, "actor": self.kind}
        if self.client_id is not None:
            out["client"] = self.client_id
            out["client_name"] = self.name
        return out
