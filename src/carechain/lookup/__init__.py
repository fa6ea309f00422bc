"""Patient lookup: the NHS PDS FHIR API adapter (a seam with an HTTP implementation and a
fake), the crew node's lookup queue, and previous calls from the trust's records vault."""

from carechain.lookup.client import HttpPds, Pds, PdsError, PdsRefused, PdsUnavailable
from carechain.lookup.pds import VERIFICATION_STATUS, Answer, PdsPatient, Search

__all__ = [
    "VERIFICATION_STATUS",
    "Answer",
    "HttpPds",
    "Pds",
    "PdsError",
    "PdsPatient",
    "PdsRefused",
    "PdsUnavailable",
    "Search",
]
