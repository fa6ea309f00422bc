"""The JSON API: record routes through the application layer (`carechain.operations`)."""

__all__ = ["MAX_REQUEST_BYTES"]

MAX_REQUEST_BYTES = 64 * 1024
"""The largest JSON request body a node reads (the sync protocol has its own limit)."""
