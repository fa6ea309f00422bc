"""The fast ways of building and reading an entry give exactly the bytes of the slow ones:
the signed map made from the AAD's encoding, and a signature added without re-encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import HLC, Entry, canonical, decode_entry
from carechain.entries.model import ENTRY_CLASSES, Header

ids = st.binary(min_size=32, max_size=32)
headers = st.builds(
    Header,
    record=st.binary(min_size=16, max_size=16),
    cls=st.sampled_from(ENTRY_CLASSES),
    author=ids,
    sealed_user=st.sampled_from([b""]) | st.binary(min_size=72, max_size=584),
    hlc=st.builds(HLC, st.integers(0, 2**63 - 1), st.integers(0, 2**32)),
    parents=st.lists(ids, max_size=5, unique=True).map(lambda p: tuple(sorted(p))),
    recipients=st.lists(ids, max_size=5, unique=True).map(lambda r: tuple(sorted(r))),
    nonce=st.sampled_from([b"", bytes(24)]) | st.binary(min_size=24, max_size=24),
)


@settings(max_examples=300, deadline=None)
@given(header=headers, body=st.binary(max_size=70_000), signature=st.binary(min_size=64,
                                                                             max_size=64))
def test_the_signed_map_from_the_aad_is_the_deterministic_encoding(
        header: Header, body: bytes, signature: bytes) -> None:
    slow = Entry.assemble(header, body, signature)
    fast = Entry.assemble(header, body, signature, aad=header.aad(len(body)))
    assert fast.signed == slow.signed == canonical.encode({**header.aad_map(len(body)),
                                                             "body": body})
    assert fast.id == slow.id
    signed = Entry.assemble(header, body, b"").signed_with(signature)
    assert (signed.signed, signed.id, signed.signature) == (slow.signed, slow.id, signature)
    assert decode_entry(fast.to_wire()) == slow


@settings(max_examples=300, deadline=None)
@given(header=headers, body=st.binary(max_size=70_000))
def test_the_aad_taken_from_the_signed_bytes_is_the_headers_encoding(
        header: Header, body: bytes) -> None:
    entry = Entry.assemble(header, body, bytes(64))
    assert entry.aad() == header.aad(len(body)) == canonical.encode(header.aad_map(len(body)))
    assert decode_entry(entry.to_wire()).aad() == entry.aad()
