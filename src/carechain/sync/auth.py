"""Signed sync requests: every node-to-node request names its node and is signed by it.

Headers:
    Carechain-Node       hex key id of the requesting node's signing key
    Carechain-Time       milliseconds since the epoch when the request was signed
    Carechain-Signature  hex Ed25519 signature over the deterministic CBOR array
                         ["carechain-sync-v1", method, path, query, time, SHA-256(body)]

The receiver accepts a request only from a node certified by the trust, valid and not
revoked now, with a time within `MAX_SKEW_MS` of its own clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from carechain.entries import canonical, crypto
from carechain.errors import Forbidden, NotAuthenticated
from carechain.trust import Certificate, Directory, NodeKeys

__all__ = ["MAX_SKEW_MS", "NotAuthenticated", "check_request", "sign_request"]

MAX_SKEW_MS = 5 * 60 * 1000
PURPOSE = "carechain-sync-v1"


def _message(method: str, path: str, query: str, at_ms: int, body: bytes) -> bytes:
    digest = hashlib.sha256(body).digest()
    return canonical.encode([PURPOSE, method.upper(), path, query, at_ms, digest])


def sign_request(
    keys: NodeKeys, method: str, path: str, query: str, body: bytes, now_ms: int
) -> dict[str, str]:
    """Return the headers that authenticate a request from this node."""
    signature = keys.sign(_message(method, path, query, now_ms, body))
    return {
        "Carechain-Node": keys.key_id.hex(),
        "Carechain-Time": str(now_ms),
        "Carechain-Signature": signature.hex(),
    }


def check_request(
    directory: Directory,
    headers: Mapping[str, str],
    method: str,
    path: str,
    query: str,
    body: bytes,
    now_ms: int,
) -> Certificate:
    """Return the certificate of the node that signed the request, or refuse it."""
    try:
        key_id = bytes.fromhex(headers.get("carechain-node", ""))
        at_ms = int(headers.get("carechain-time", ""))
        signature = bytes.fromhex(headers.get("carechain-signature", ""))
    except ValueError:
        raise NotAuthenticated("sync requests need Carechain-Node, -Time and -Signature") from None
    if abs(now_ms - at_ms) > MAX_SKEW_MS:
        raise NotAuthenticated("Carechain-Time is more than 5 minutes from this node's clock")
    certs = directory.certs.get(key_id, [])
    if not certs:
        raise NotAuthenticated(f"node {key_id.hex()[:16]} has no certificate from this trust")
    if not crypto.verify_signature(
        certs[0].sig_key, _message(method, path, query, at_ms, body), signature
    ):
        raise NotAuthenticated("Carechain-Signature does not verify")
    valid = [c for c in certs if c.valid_at(now_ms)]
    if not valid:
        raise NotAuthenticated(f"certificate of {certs[0].name!r} is not valid now")
    revoked = directory.revoked.get(key_id)
    if revoked is not None and now_ms >= revoked[0]:
        raise Forbidden(f"node {certs[0].name!r} has been revoked ({revoked[1]})")
    return valid[0]
