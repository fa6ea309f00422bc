"""The application layer: every operation any interface offers, in one place (one door).

The JSON API, the web apps, the FHIR API and the CLI call only this layer. Each operation
takes an authenticated `Actor` (a person's session, an API client, the node's operator)
and the caller's unit of work (`Door.unit()`), checks the actor's permission and care
relationship, drafts the entries it writes and its audit entry in that unit, and never
commits: the caller's unit stores all of them in one durable transaction, or none.

    interfaces (api, web, cli)  →  operations  →  node  →  records, store, trust
"""

from carechain.operations.access import Access, addressed_here, record_access
from carechain.operations.actor import INTERFACES, OPERATOR_ACTIONS, Actor, Interface
from carechain.operations.door import Door

__all__ = [
    "INTERFACES",
    "OPERATOR_ACTIONS",
    "Access",
    "Actor",
    "Door",
    "Interface",
    "addressed_here",
    "record_access",
]
