"""The hub role: the transparency log over its entry log."""

from carechain.hub.log import TransparencyLog

__all__ = ["TransparencyLog"]
