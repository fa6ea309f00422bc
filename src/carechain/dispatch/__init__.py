"""Incidents from a computer-aided dispatch (CAD) system: the webhook's JSON shape, and the
dispatch offer a hub seals to the crews an incident is assigned to (see docs/dispatch.md)."""

from carechain.dispatch.incident import Incident, parse_incident, record_fields
from carechain.dispatch.offer import Offer, open_offer, seal_offer

__all__ = ["Incident", "Offer", "open_offer", "parse_incident", "record_fields", "seal_offer"]
