"""carechain: a patient care record for ambulance services that survives losing any server."""

__version__ = "0.1.0"
