"""The canonical-encoding vectors in docs/ reproduce byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from carechain.entries import HLC, Entry, Header, canonical, decode_entry, open_user, seal_user
from carechain.trust import NodeKeys

DOC = Path(__file__).resolve().parents[2] / "docs" / "canonical-encoding.md"


def _block(tag: str) -> str:
    found = re.search(rf"```json {tag}\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/canonical-encoding.md has no `json {tag}` block"
    return found.group(1)


def _bytes(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"hex"}:
            return bytes.fromhex(value["hex"])
        return {k: _bytes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bytes(v) for v in value]
    return value


VALUES = [json.loads(line) for line in _block("canonical-values").splitlines() if line.strip()]


@pytest.mark.parametrize("vector", VALUES, ids=[v["description"] for v in VALUES])
def test_value_vectors_encode_and_decode_exactly(vector: dict[str, Any]) -> None:
    value = _bytes(vector["value"])
    assert canonical.encode(value).hex() == vector["cbor"]
    assert canonical.decode(bytes.fromhex(vector["cbor"])) == value


def test_entry_vector_reproduces_signed_bytes_id_and_signature() -> None:
    v = json.loads(_block("entry"))
    keys = NodeKeys(bytes.fromhex(v["signing_seed"]), bytes.fromhex(v["box_private"]))
    assert keys.key_id.hex() == v["author"]
    assert keys.box_key_id.hex() == v["recipient"]
    h = v["header"]
    record = bytes.fromhex(h["record"])
    key = bytes.fromhex(v["content_key"])
    sealed = seal_user(key, record, keys.key_id, h["user"], bytes.fromhex(h["user_nonce"]))
    assert sealed.hex() == h["sealed_user"]
    header = Header(
        record=record,
        cls=h["cls"],
        author=keys.key_id,
        sealed_user=sealed,
        hlc=HLC(*h["hlc"]),
        parents=tuple(bytes.fromhex(p) for p in h["parents"]),
        recipients=(keys.box_key_id,),
        nonce=bytes.fromhex(h["nonce"]),
    )
    body = bytes.fromhex(v["body"])
    unsigned = Entry.assemble(header, body, b"")
    entry = Entry.assemble(header, body, keys.sign(unsigned.id))
    assert entry.signed.hex() == v["signed"]
    assert entry.id.hex() == v["id"]
    assert entry.signature.hex() == v["signature"]
    assert entry.to_wire().hex() == v["wire"]
    assert decode_entry(bytes.fromhex(v["wire"])) == entry
    assert open_user(entry, key) == h["user"]


@pytest.mark.parametrize(
    "hex_",
    [
        "1800",  # 0 in a one-byte head: not the shortest form
        "a2616201616101",  # keys out of order
        "5f4100ff",  # indefinite-length byte string
        "f93c00",  # a float
    ],
)
def test_non_canonical_bytes_are_refused(hex_: str) -> None:
    from carechain.errors import BadEncoding

    with pytest.raises(BadEncoding):
        canonical.decode(bytes.fromhex(hex_))
