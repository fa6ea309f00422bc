"""The audit view, on every node: who did what, when, to which record, filtered."""

from carechain.web.audit.routes import ROLES, router

__all__ = ["ROLES", "router"]
