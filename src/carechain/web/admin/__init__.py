"""The admin console of a hub or vault: the node's status, its directory (enrol, revoke),
its people, and its backups."""

from carechain.web.admin.routes import ROLES, router

__all__ = ["ROLES", "router"]
