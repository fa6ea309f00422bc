"""Builders for the recovery card's tests (this module holds no tests): a signed
verification report of a hub's log, as `carechain verify --log … --report` writes it."""

from __future__ import annotations

import json
import time

import nacl.signing

from carechain.node import Node
from carechain.recovery import sign_report, verify_log


def signed_report(hub: Node, key: nacl.signing.SigningKey | None = None) -> bytes:
    """Return a signed verification report of the hub's log, as the CLI writes it."""
    verdict = verify_log(hub.store, root_public=hub.directory.root_public, heads=[])
    signed = sign_report({"kind": "carechain-log-verification-v1",
                          "at_ms": int(time.time() * 1000), **verdict.to_dict()},
                         key or nacl.signing.SigningKey.generate())
    return json.dumps(signed, indent=2).encode()
