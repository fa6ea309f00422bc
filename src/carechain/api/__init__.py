"""The JSON API: record routes through the application layer, problem details, limits."""

from carechain.api.limits import BodyLimit

__all__ = ["MAX_REQUEST_BYTES", "BodyLimit"]

MAX_REQUEST_BYTES = 64 * 1024
