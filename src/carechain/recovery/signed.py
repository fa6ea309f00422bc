"""A report signed by whoever verified: Ed25519 (PyNaCl) over the report's canonical JSON.

The signed document is `{"report": …, "signer": <public key, hex>, "signature": <hex>}`;
the signature covers `json.dumps(report, sort_keys=True, separators=(",", ":"))` as UTF-8.
The verifier names the key: a key file of its own (32-byte seed, hex; made on first use)
or its node's signing key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing

from carechain.errors import InvalidInput

__all__ = ["check_signed_report", "load_or_make_key", "sign_report"]


def _payload(report: dict[str, Any]) -> bytes:
    return json.dumps(report, sort_keys=True, separators=(",", ":")).encode()


def sign_report(report: dict[str, Any], key: nacl.signing.SigningKey) -> dict[str, Any]:
    """Return the report with its signer and signature."""
    return {
        "report": report,
        "signer": bytes(key.verify_key).hex(),
        "signature": key.sign(_payload(report)).signature.hex(),
    }


def check_signed_report(document: dict[str, Any], signer: bytes | None = None) -> dict[str, Any]:
    """Return the report if its signature holds (and is by `signer`, if named)."""
    try:
        public = bytes.fromhex(str(document["signer"]))
        signature = bytes.fromhex(str(document["signature"]))
        report = document["report"]
        if signer is not None and public != signer:
            raise InvalidInput("the report is signed by another key")
        nacl.signing.VerifyKey(public).verify(_payload(report), signature)
    except (KeyError, ValueError, TypeError, nacl.exceptions.BadSignatureError) as exc:
        raise InvalidInput(f"the report's signature does not hold: {exc}") from None
    if not isinstance(report, dict):
        raise InvalidInput("the signed report is not a JSON object")
    return report


def load_or_make_key(path: Path) -> nacl.signing.SigningKey:
    """Return the signing key kept in `path` (a hex seed), making one if there is none."""
    if path.exists():
        try:
            return nacl.signing.SigningKey(bytes.fromhex(path.read_text().strip()))
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{path} is not a signing key (64 hex digits): {exc}") from None
    key = nacl.signing.SigningKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(bytes(key).hex() + "\n")
    return key
