"""The HTTP API: JSON routes, problem details, limits."""

from carechain.api.app import MAX_REQUEST_BYTES, create_app

__all__ = ["MAX_REQUEST_BYTES", "create_app"]
