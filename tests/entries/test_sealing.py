"""A body is bound to its header: moving or re-addressing a ciphertext is detected."""

from __future__ import annotations

import dataclasses

import pytest

from carechain.entries import (
    HLC,
    Draft,
    Entry,
    crypto,
    make_encrypted,
    make_grant,
    new_record_id,
    open_body,
    open_grant,
)
from carechain.errors import Undecryptable
from carechain.trust import NodeKeys

BODY = {"kind": "note.added", "v": 1, "data": {"text": "chest pain radiating to left arm"}}


def _setup() -> tuple[NodeKeys, NodeKeys, bytes, bytes, Entry]:
    author, other = NodeKeys.generate(), NodeKeys.generate()
    record, key = new_record_id(), crypto.random_bytes(32)
    draft = Draft(record, "clinical", "P1", HLC(1_700_000_000_000), (), (author.box_key_id,))
    return author, other, record, key, make_encrypted(draft, author, key, BODY)


def test_body_round_trips_for_the_recipient() -> None:
    _, _, _, key, entry = _setup()
    assert open_body(entry, key) == BODY


def test_ciphertext_moved_to_another_record_does_not_decrypt() -> None:
    _, _, _, key, entry = _setup()
    moved_header = dataclasses.replace(entry.header, record=new_record_id())
    moved = Entry.assemble(moved_header, entry.body, entry.signature)
    assert moved.id != entry.id
    with pytest.raises(Undecryptable, match="moved from another record"):
        open_body(moved, key)


def test_ciphertext_readdressed_does_not_decrypt() -> None:
    _, other, _, key, entry = _setup()
    readdressed = dataclasses.replace(entry.header, recipients=(other.box_key_id,))
    moved = Entry.assemble(readdressed, entry.body, entry.signature)
    with pytest.raises(Undecryptable):
        open_body(moved, key)


def test_flipped_ciphertext_byte_does_not_decrypt() -> None:
    _, _, _, key, entry = _setup()
    body = bytearray(entry.body)
    body[5] ^= 1
    with pytest.raises(Undecryptable):
        open_body(Entry.assemble(entry.header, bytes(body), entry.signature), key)


def test_grant_opens_only_for_its_recipient_and_its_record() -> None:
    author, other, record, key, _ = _setup()
    draft = Draft(record, "grant", "P1", HLC(1), (), ())
    grant = make_grant(draft, author, key, {author.box_key_id: author.box_public})
    assert open_grant(grant, author.box_key_id, author.box_private) == key
    assert open_grant(grant, other.box_key_id, other.box_private) is None
    # The same sealed key replayed into a grant of another record is refused.
    replay_header = dataclasses.replace(grant.header, record=new_record_id())
    replayed = Entry.assemble(replay_header, grant.body, grant.signature)
    with pytest.raises(Undecryptable, match="another record"):
        open_grant(replayed, author.box_key_id, author.box_private)
