"""The hospital dashboard: incoming patients, a patient's record with its live vitals,
accepting a handover, and break-glass access."""

from carechain.web.hospital.routes import ROLES, router

__all__ = ["ROLES", "router"]
