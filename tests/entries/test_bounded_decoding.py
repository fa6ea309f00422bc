"""Bytes from the network are scanned before they are decoded: tags (shared references
above all), indefinite lengths, floats, deep nesting and excessive item counts are refused
in time linear in their size; and an entry's dedicated reader accepts exactly what the
general, bounded reader accepts."""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC, Entry, canonical, decode_entry, decode_signed
from carechain.entries.model import (
    ENTRY_CLASSES,
    MAX_BODY_BYTES,
    MAX_PARENTS,
    MAX_SEALED_USER_BYTES,
    Header,
)
from carechain.errors import BadEncoding, CarechainError, MalformedEntry
from tests.entries.hostile_cbor import SELF_REFERENCE, hostile_values, shared_dag, with_tags

# --- the scan ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [16, 20, 22, 40])
def test_shared_references_are_refused_at_once(depth: int) -> None:
    """The attack's nested tags 28/29: refused before cbor2 builds anything, in the same
    few microseconds whatever the nesting (before, decoding took 0.4 s at depth 16 and
    doubled with each level)."""
    data = shared_dag(depth)
    assert len(data) < 300
    started = time.process_time()
    for decoder in (canonical.decode, canonical.load, decode_entry):
        with pytest.raises(BadEncoding, match="tag 28"):
            decoder(data)
    assert time.process_time() - started < 0.05


def test_a_self_referencing_list_is_refused() -> None:
    body = bytes.fromhex("a2") + cbor2.dumps("v") + cbor2.dumps(1) + cbor2.dumps("entries")
    for data in (SELF_REFERENCE, body + SELF_REFERENCE):
        with pytest.raises(BadEncoding, match="tag 28"):
            canonical.decode(data)
        with pytest.raises(BadEncoding, match="tag 28"):
            canonical.load(data)


CASES: list[tuple[str, bytes, str]] = [
    ("a date tag", with_tags("2026-11-26", 0), "tag 0"),
    ("a self-described CBOR tag", with_tags({"v": 1}, 55799), "tag 55799"),
    ("a bignum", bytes(cbor2.dumps(2**70)), "tag 2"),
    ("an indefinite array", bytes.fromhex("9f01ff"), "indefinite"),
    ("an indefinite text", bytes.fromhex("7f6161ff"), "indefinite"),
    ("a reserved head", bytes.fromhex("1c"), "reserved"),
    ("a half float", bytes.fromhex("f93c00"), "floats"),
    ("a double", bytes(cbor2.dumps(1.5)), "floats"),
    ("undefined", bytes.fromhex("f7"), "simple"),
    ("a one-byte simple value", bytes.fromhex("f820"), "simple"),
    ("an integer map key", bytes.fromhex("a10102"), "keys must be text"),
    ("a bytes map key", bytes.fromhex("a1410002"), "keys must be text"),
    ("a truncated string", bytes.fromhex("5a0000ffff00"), "longer than the input"),
    ("an array longer than the input", bytes.fromhex("9bffffffffffffffff00"), "claims more"),
    ("a map longer than the input", bytes.fromhex("bb00000000ffffffff"), "claims more"),
    ("a truncated head", bytes.fromhex("1a0000"), "inside an item head"),
    ("nothing at all", b"", "ends inside an item"),
    ("trailing bytes", bytes.fromhex("0000"), "trailing"),
    ("too deep", bytes.fromhex("81") * 17 + b"\x00", "deeper than 16"),
]


@pytest.mark.parametrize(("name", "data", "why"), CASES, ids=[c[0] for c in CASES])
def test_hostile_shapes_are_refused_naming_why(name: str, data: bytes, why: str) -> None:
    for decoder in (canonical.decode, canonical.load):
        with pytest.raises(BadEncoding, match=why):
            decoder(data)


def test_item_count_is_bounded_before_decoding() -> None:
    many = bytes(cbor2.dumps([0] * 1000))
    assert canonical.load(many) == [0] * 1000
    with pytest.raises(BadEncoding, match="more than 100 items"):
        canonical.load(many, max_items=100)
    canonical.scan(bytes.fromhex("81") * 16 + b"\x00")  # 16 levels: the most allowed


_ours = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64) + 1, 2**64 - 1) | st.binary(max_size=40)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children,
                      max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(value=_ours)
def test_every_value_of_carechains_kinds_passes_the_scan(value: Any) -> None:
    data = canonical.encode(value)
    canonical.scan(data)
    assert canonical.decode(data) == value
    assert canonical.load(bytes(cbor2.dumps(value))) == value  # any definite encoding


def _has_tag_or_float(value: Any) -> bool:
    if isinstance(value, cbor2.CBORTag | float):
        return True
    if isinstance(value, list):
        return any(_has_tag_or_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tag_or_float(v) for v in value.values())
    return False


@settings(max_examples=400, deadline=None)
@given(value=hostile_values, sharing=st.booleans())
def test_anything_with_a_tag_or_a_float_is_refused(value: Any, sharing: bool) -> None:
    data = bytes(cbor2.dumps(value, value_sharing=sharing))
    if _has_tag_or_float(value) or (sharing and isinstance(value, list | dict)):
        with pytest.raises(BadEncoding):
            canonical.load(data)
    else:
        assert canonical.load(data) == value


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_or_decoded_never_crash(data: bytes) -> None:
    for decoder in (canonical.decode, canonical.load, decode_entry):
        with contextlib.suppress(CarechainError):
            decoder(data)


# --- the entry's own reader -------------------------------------------------------------

_FIELDS = {"v", "rec", "cls", "aut", "usr", "hlc", "par", "rcp", "non", "len", "body"}


def _reference(signed: bytes) -> tuple[Any, ...]:
    """What the general reader accepts as a signed map: cbor2, exact types, limits, and the
    re-encoding gives the same bytes. Returns the header's fields."""
    m = cbor2.loads(signed)
    assert isinstance(m, dict) and m.keys() == _FIELDS
    assert list(m) == canonical.key_order(_FIELDS)
    assert type(m["v"]) is int and m["v"] == 1
    for key, kind in (("rec", bytes), ("cls", str), ("aut", bytes), ("usr", bytes),
                      ("non", bytes), ("body", bytes), ("len", int), ("hlc", list),
                      ("par", list), ("rcp", list)):
        assert type(m[key]) is kind, key
    assert len(m["rec"]) == 16 and len(m["aut"]) == 32 and m["cls"] in ENTRY_CLASSES
    assert len(m["usr"]) <= MAX_SEALED_USER_BYTES and len(m["body"]) <= MAX_BODY_BYTES
    assert m["len"] == len(m["body"])
    assert len(m["hlc"]) == 2 and all(type(x) is int and x >= 0 for x in m["hlc"])
    for key in ("par", "rcp"):
        assert len(m[key]) <= MAX_PARENTS
        assert all(type(h) is bytes and len(h) == 32 for h in m[key])
        assert m[key] == sorted(set(m[key]))
    assert bytes(cbor2.dumps(m, canonical=True)) == signed
    return (m["rec"], m["cls"], m["aut"], m["usr"], HLC(*m["hlc"]), tuple(m["par"]),
            tuple(m["rcp"]), m["non"], m["body"])


ids = st.binary(min_size=32, max_size=32)
headers = st.builds(
    Header,
    record=st.binary(min_size=16, max_size=16),
    cls=st.sampled_from(ENTRY_CLASSES),
    author=ids,
    sealed_user=st.binary(max_size=MAX_SEALED_USER_BYTES),
    hlc=st.builds(HLC, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    parents=st.lists(ids, max_size=4, unique=True).map(lambda p: tuple(sorted(p))),
    recipients=st.lists(ids, max_size=4, unique=True).map(lambda r: tuple(sorted(r))),
    nonce=st.binary(max_size=30),
)


def _mutate(data: bytes, how: int, at: int, byte: int) -> bytes:
    at %= max(1, len(data))
    if how == 0:
        return data[:at] + bytes([byte]) + data[at + 1 :]
    if how == 1:
        return data[:at] + bytes([byte]) + data[at:]
    if how == 2:
        return data[:at] + data[at + 1 :]
    return data[:at]


@settings(max_examples=1500, deadline=None)
@given(header=headers, body=st.binary(max_size=200),
       how=st.integers(0, 4), at=st.integers(0, 10_000), byte=st.integers(0, 255))
def test_the_entry_reader_accepts_exactly_what_the_general_reader_accepts(
        header: Header, body: bytes, how: int, at: int, byte: int) -> None:
    signed = Entry.assemble(header, body, b"").signed
    data = signed if how == 4 else _mutate(signed, how, at, byte)
    try:
        expected: tuple[Any, ...] | None = _reference(data)
    except (AssertionError, ValueError, TypeError, LookupError, cbor2.CBORDecodeError):
        expected = None
    try:
        entry = decode_signed(data, bytes(64))
    except (BadEncoding, MalformedEntry):
        assert expected is None, data.hex()
        return
    h = entry.header
    assert expected == (h.record, h.cls, h.author, h.sealed_user, h.hlc, h.parents,
                        h.recipients, h.nonce, entry.body)
    assert entry.id == hashlib.sha256(data).digest()
    wire = entry.to_wire()
    assert decode_entry(wire) == entry
    assert canonical.load(wire) == [data, bytes(64)]


@pytest.mark.parametrize(("wire", "error"), [
    (bytes(cbor2.dumps([b"x"])), MalformedEntry),
    (bytes(cbor2.dumps([b"x", b"y", b"z"])), MalformedEntry),
    (bytes(cbor2.dumps({"signed": b"x"})), MalformedEntry),
    (bytes.fromhex("82") + bytes.fromhex("5800") + bytes.fromhex("4100"), BadEncoding),
    (bytes.fromhex("8241004100") + b"\x00", BadEncoding),
])
def test_a_wire_form_that_is_not_exactly_a_pair_of_byte_strings_is_refused(
        wire: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_entry(wire)
