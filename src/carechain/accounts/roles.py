"""Roles, the actions each may take, and which roles belong on which kind of node.

The tables here are the policy; docs/accounts.md shows them and a test keeps the two
the same. Admins run nodes and accounts but read no clinical content.
"""

from __future__ import annotations

from typing import get_args

from carechain.accounts.models import NodeRole, Person, Role
from carechain.errors import FieldInvalid, Forbidden

__all__ = [
    "ACTIONS",
    "NODE_ROLES",
    "PERMISSIONS",
    "ROLES",
    "ROLES_ON_NODE",
    "can",
    "check_node_role",
    "check_role",
    "check_role_on_node",
    "require",
]

ROLES: tuple[Role, ...] = get_args(Role)
NODE_ROLES: tuple[NodeRole, ...] = get_args(NodeRole)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "record.write": frozenset({"paramedic", "technician"}),
    "record.sign": frozenset({"paramedic", "clinical_lead"}),
    "record.read_own": frozenset({"paramedic", "technician"}),
    "record.read_own_org": frozenset({"clinical_lead"}),
    "record.read_addressed": frozenset({"ed_clinician"}),
    "record.export": frozenset({"clinical_lead"}),
    "handover.send": frozenset({"paramedic", "technician"}),
    "handover.accept": frozenset({"ed_clinician"}),
    "key.grant": frozenset({"paramedic", "technician", "clinical_lead"}),
    # A paramedic breaks the glass to see the previous calls of a patient who is not the
    # record's (docs/previous-calls.md); a technician does not.
    "break_glass": frozenset({"ed_clinician", "clinical_lead", "paramedic"}),
    "audit.read": frozenset({"auditor", "admin"}),
    "account.manage": frozenset({"admin"}),
    "node.admin": frozenset({"admin"}),
    "dispatch.receive": frozenset({"dispatcher"}),
    "quality.read": frozenset({"clinical_lead"}),
}
ACTIONS: tuple[str, ...] = tuple(PERMISSIONS)

ROLES_ON_NODE: dict[NodeRole, frozenset[Role]] = {
    "crew": frozenset({"paramedic", "technician", "clinical_lead", "admin"}),
    "hospital": frozenset({"ed_clinician", "auditor", "admin"}),
    "hub": frozenset({"admin", "auditor", "clinical_lead", "dispatcher"}),
    "vault": frozenset({"admin", "auditor", "clinical_lead"}),
}


def check_role(role: str) -> Role:
    """Return `role` if it is a known role, else raise FieldInvalid."""
    if role not in ROLES:
        raise FieldInvalid("role", "must be one of " + ", ".join(ROLES))
    return role


def check_node_role(node_role: str) -> NodeRole:
    """Return `node_role` if it is a known node role, else raise FieldInvalid."""
    if node_role not in NODE_ROLES:
        raise FieldInvalid("node_role", "must be one of " + ", ".join(NODE_ROLES))
    return node_role


def check_role_on_node(role: str, node_role: str) -> Role:
    """Return `role` if a person with it may have an account on a `node_role` node."""
    checked = check_role(role)
    allowed = ROLES_ON_NODE[check_node_role(node_role)]
    if checked not in allowed:
        names = ", ".join(r for r in ROLES if r in allowed)
        raise FieldInvalid("role", f"must be one of {names} on a {node_role} node")
    return checked


def can(role: str, action: str) -> bool:
    """Return whether `role` may take `action`; an unknown action is never allowed."""
    return role in PERMISSIONS.get(action, frozenset())


def require(person: Person, action: str) -> None:
    """Raise Forbidden unless `person` may take `action`; an unknown action is a bug."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}: add it to PERMISSIONS and the docs")
    if person.disabled or not can(person.role, action):
        raise Forbidden(
            f"the {person.role} role may not {action}", action=action, role=person.role
        )
