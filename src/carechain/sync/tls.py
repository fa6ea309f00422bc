"""TLS for the calls a node makes to its peers: the trust's own PKI and mutual TLS.

A trust that runs its own certificate authority gives its nodes a CA bundle to check
peers' server certificates against (instead of the public web's authorities), and may
require each node to present a client certificate of its own (mutual TLS). Sync requests
are signed by the node's key whatever the transport (`sync.auth`); TLS keeps the network
from reading or steering them, and mutual TLS keeps strangers from reaching a hub at all.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from carechain.errors import FieldInvalid

__all__ = ["DEFAULT_TLS", "PeerTLS"]


@dataclass(frozen=True)
class PeerTLS:
    """How this node checks its peers and shows itself to them over https."""

    ca_bundle: Path | None = None
    """PEM file of the authorities a peer's certificate must chain to (default: the system's)."""
    client_cert: Path | None = None
    """PEM certificate this node presents to peers that ask for one (mutual TLS)."""
    client_key: Path | None = None

    def __post_init__(self) -> None:
        if (self.client_cert is None) != (self.client_key is None):
            raise FieldInvalid(
                "client_cert", "give both --client-cert and --client-key, or neither"
            )
        for field, path in (("ca_bundle", self.ca_bundle), ("client_cert", self.client_cert),
                            ("client_key", self.client_key)):
            if path is not None and not path.is_file():
                raise FieldInvalid(field, f"must be a readable PEM file: {path} is not a file")

    def context(self) -> ssl.SSLContext | bool:
        """Return what httpx (`verify=`) and websockets (`ssl=`) take: True for the defaults."""
        if self.ca_bundle is None and self.client_cert is None:
            return True
        try:
            context = ssl.create_default_context(
                cafile=None if self.ca_bundle is None else str(self.ca_bundle)
            )
            if self.client_cert is not None and self.client_key is not None:
                context.load_cert_chain(str(self.client_cert), str(self.client_key))
        except (ssl.SSLError, OSError) as exc:
            raise FieldInvalid("ca_bundle", f"cannot load the TLS files: {exc}") from None
        return context

    def http(self, base_url: str, timeout: float) -> httpx.Client:
        """Return an httpx client for a peer, checking it (and showing this node) as set."""
        return httpx.Client(base_url=base_url, timeout=timeout, verify=self.context())

    def websocket(self, base_url: str) -> ssl.SSLContext | None:
        """Return the TLS context for a WebSocket to a peer (None over plain ws://)."""
        if urlsplit(base_url).scheme != "https":
            return None
        context = self.context()
        return context if isinstance(context, ssl.SSLContext) else ssl.create_default_context()


DEFAULT_TLS = PeerTLS()
"""The system's authorities and no client certificate."""
