"""The crew app, served by a crew node on localhost: today's jobs, the record, one form per
section, live NEWS2, history and amendments, handover and sign-off (DESIGN §8, P1)."""

from carechain.web.crew.routes import ROLES, router

__all__ = ["ROLES", "router"]
