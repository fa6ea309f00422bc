"""A hub key transition: the trust root's statement, signed and checked like every directory
entry, optionally co-signed by the old key; anything else is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carechain.entries import canonical, crypto
from carechain.errors import BadSignature, CarechainError, MalformedEntry, UnknownAuthor
from carechain.testing import Trust, make_trust
from carechain.transparency import empty_root
from carechain.trust import Directory, NodeKeys
from carechain.trust.authority import hand_over
from carechain.trust.transition import KeyTransition

ROOT = bytes(range(32))


def _directory(trust: Trust, *certified: NodeKeys) -> Directory:
    from carechain.trust.authority import certify
    from carechain.trust.certificate import CertRequest

    directory = Directory(trust.root.public)
    for keys in certified:
        body = {
            "name": "hub",
            "role": "hub",
            "org": "Trust",
            "sig_key": keys.sign_public,
            "box_key": keys.box_public,
        }
        request = CertRequest(signature=keys.sign(canonical.encode(body)), **body)
        _, entry = certify(trust.root, request, not_before_ms=1_000, days=30)
        directory.check_signature(entry)
        directory.absorb(entry)
    return directory


def test_a_statement_signed_by_the_root_is_taken_in(trust: Trust) -> None:
    old, new = NodeKeys.generate(), NodeKeys.generate()
    directory = _directory(trust, old, new)
    statement, entry = hand_over(
        trust.root,
        old_key=old.sign_public,
        new_key=new.sign_public,
        size=7,
        tree_root=ROOT,
        at_ms=5_000,
    )
    directory.check_signature(entry)
    directory.absorb(entry)
    assert directory.transitions[new.key_id] == statement
    assert directory.handed_over[old.key_id] == statement
    assert directory.predecessors(new.key_id) == [statement]
    assert statement.old_sig is None and canonical.decode(entry.body) == statement.to_body()


def test_the_old_key_may_co_sign_and_a_wrong_co_signature_is_refused(trust: Trust) -> None:
    old, new, other = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()
    directory = _directory(trust, old, new)
    statement, entry = hand_over(
        trust.root,
        old_key=old.sign_public,
        new_key=new.sign_public,
        size=7,
        tree_root=ROOT,
        at_ms=5_000,
        old_keys=old,
    )
    assert statement.old_sig is not None
    directory.absorb(entry)
    assert directory.transitions[new.key_id].old_sig == statement.old_sig

    forged = KeyTransition(
        old.key_id, new.key_id, 7, ROOT, 5_000, other.sign(statement.handover_message())
    )
    with pytest.raises(BadSignature):
        forged.check_old_signature(old.sign_public)
    with pytest.raises(CarechainError):
        hand_over(
            trust.root,
            old_key=old.sign_public,
            new_key=new.sign_public,
            size=7,
            tree_root=ROOT,
            at_ms=5_000,
            old_keys=other,
        )


def test_a_statement_not_signed_by_this_trust_is_refused(trust: Trust, tmp_path: Path) -> None:
    old, new = NodeKeys.generate(), NodeKeys.generate()
    directory = _directory(trust, old, new)
    rogue = make_trust(tmp_path / "rogue")
    _, entry = hand_over(
        rogue.root,
        old_key=old.sign_public,
        new_key=new.sign_public,
        size=7,
        tree_root=ROOT,
        at_ms=5_000,
    )
    with pytest.raises(UnknownAuthor):
        directory.check_signature(entry)
    assert directory.transitions == {}


def test_a_second_differing_statement_for_the_same_key_changes_nothing(trust: Trust) -> None:
    old, new, third = NodeKeys.generate(), NodeKeys.generate(), NodeKeys.generate()
    directory = _directory(trust, old, new, third)
    first, entry = hand_over(
        trust.root,
        old_key=old.sign_public,
        new_key=new.sign_public,
        size=7,
        tree_root=ROOT,
        at_ms=5_000,
    )
    _, other = hand_over(
        trust.root,
        old_key=old.sign_public,
        new_key=third.sign_public,
        size=9,
        tree_root=ROOT,
        at_ms=6_000,
    )
    directory.absorb(entry)
    directory.absorb(other)
    assert directory.handed_over[old.key_id] == first and third.key_id not in directory.transitions


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "hub-key-transition",
        "old": crypto.key_id(b"o" * 32),
        "new": crypto.key_id(b"n" * 32),
        "size": 3,
        "root": ROOT,
        "at": 1,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"size": -1},
        {"size": True},
        {"root": b"short"},
        {"at": "soon"},
        {"old": None},
        {"extra": 1},
        {"old_sig": b"x" * 10},
        {"new": crypto.key_id(b"o" * 32)},
        {"kind": "revocation"},
        {"size": 0},  # an empty log's root is the empty-tree hash
    ],
)
def test_malformed_statements_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedEntry):
        KeyTransition.from_body(_body(**changes))


def test_an_empty_log_may_hand_over() -> None:
    assert KeyTransition.from_body(_body(size=0, root=empty_root())).size == 0


@settings(max_examples=60, deadline=None)
@given(
    old=st.binary(min_size=32, max_size=32),
    new=st.binary(min_size=32, max_size=32),
    size=st.integers(1, 2**63),
    root=st.binary(min_size=32, max_size=32),
    at=st.integers(0, 2**63),
    old_sig=st.none() | st.binary(min_size=64, max_size=64),
)
def test_a_statement_survives_its_canonical_encoding(
    old: bytes, new: bytes, size: int, root: bytes, at: int, old_sig: bytes | None
) -> None:
    if old == new:
        return
    statement = KeyTransition(old, new, size, root, at, old_sig)
    again = KeyTransition.from_body(canonical.decode(canonical.encode(statement.to_body())))
    assert again == statement


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["kind", "old", "new", "size", "root", "at", "old_sig", "x"]),
        st.none()
        | st.booleans()
        | st.integers(-5, 5)
        | st.binary(max_size=70)
        | st.text(max_size=4),
    )
)
def test_any_other_body_is_refused_as_malformed(body: dict[str, Any]) -> None:
    try:
        KeyTransition.from_body(body)
    except MalformedEntry:
        return
    # Whatever got through is a well-formed statement.
    assert body["kind"] == "hub-key-transition" and len(body["root"]) == 32
