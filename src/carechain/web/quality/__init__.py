"""The quality indicators console on the vault (`/quality`): a month's Ambulance Clinical
Quality Indicators as charts, the records that miss, and the CSV and FHIR exports."""

from carechain.web.quality.routes import ROLES, router

__all__ = ["ROLES", "router"]
