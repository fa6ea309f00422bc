"""API clients: bearer tokens issued by an admin, with a role and an expiry, on both engines."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.accounts.clients import MAX_LIFETIME_MS, TOKEN_PREFIX
from carechain.errors import FieldInvalid, NotFound
from tests.store.engines import PG_URL

from .conftest import KEY, NOW, PASSWORD

DAY = 24 * 60 * 60 * 1000


def test_a_token_is_shown_once_and_acts_with_its_role(hospital: AccountStore) -> None:
    client, token = hospital.issue_client("EPR integration", role="ed_clinician",
                                          expires_ms=NOW + DAY, issued_by="op", now_ms=NOW)
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    found = hospital.client(token, now_ms=NOW + 1)
    assert found is not None
    assert found[0].client_id == client.client_id
    assert found[0].role == "ed_clinician" and found[1] is None
    assert hospital.client(token + "x", now_ms=NOW + 1) is None
    assert hospital.client("Bearer " + token, now_ms=NOW + 1) is None


def test_a_token_for_a_staff_member_acts_as_them_while_their_account_is_enabled(
    crew: AccountStore,
) -> None:
    client, token = crew.issue_client("tablet script", role=None, staff_id="P1",
                                      expires_ms=NOW + DAY, issued_by="op", now_ms=NOW)
    assert client.role == "paramedic" and client.staff_id == "P1"
    found = crew.client(token, now_ms=NOW + 1)
    assert found is not None and found[1] is not None and found[1].staff_id == "P1"
    crew.disable("P1")
    assert crew.client(token, now_ms=NOW + 2) is None


def test_expiry_and_revocation_end_a_token(hospital: AccountStore) -> None:
    client, token = hospital.issue_client("EPR", role="ed_clinician", expires_ms=NOW + DAY,
                                          issued_by="op", now_ms=NOW)
    assert hospital.client(token, now_ms=NOW + DAY - 1) is not None
    assert hospital.client(token, now_ms=NOW + DAY) is None
    other, token2 = hospital.issue_client("EPR 2", role="ed_clinician", expires_ms=NOW + DAY,
                                          issued_by="op", now_ms=NOW)
    revoked = hospital.revoke_client(other.client_id, now_ms=NOW + 5)
    assert revoked.revoked_ms == NOW + 5
    assert hospital.client(token2, now_ms=NOW + 6) is None
    again = hospital.revoke_client(other.client_id, now_ms=NOW + 9)
    assert again.revoked_ms == NOW + 5  # the first revocation stands
    with pytest.raises(NotFound):
        hospital.revoke_client("cl_0000000000000000", now_ms=NOW)
    listed = {c.client_id: c.revoked_ms for c in hospital.list_clients()}
    assert listed == {client.client_id: None, other.client_id: NOW + 5}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"role": "paramedic"}, "role"),  # not a hospital role
        ({"role": "ed_clinician", "expires_ms": NOW}, "expires"),
        ({"role": "ed_clinician", "expires_ms": NOW + MAX_LIFETIME_MS + 1}, "expires"),
        ({"role": "ed_clinician", "staff_id": "NOBODY"}, "staff_id"),
        ({"role": "auditor", "staff_id": "E1"}, "role"),  # E1 is an ED clinician
        ({"role": "ed_clinician", "name": "  "}, "display_name"),
    ],
)
def test_bad_issues_are_refused_naming_the_field(
    hospital: AccountStore, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"name": "EPR", "expires_ms": NOW + DAY, "issued_by": "op",
                               "now_ms": NOW, **kwargs}
    name = args.pop("name")
    with pytest.raises(FieldInvalid) as caught:
        hospital.issue_client(str(name), **args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert hospital.list_clients() == []


def test_the_file_keeps_only_the_tokens_hash(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with AccountStore(path, KEY, cost=FAST_FOR_TESTS) as store:
        store.create_person("E1", "Dr Kim Lee", "ed_clinician", PASSWORD, node_role="hospital",
                            now_ms=NOW)
        _, token = store.issue_client("EPR", role="ed_clinician", expires_ms=NOW + DAY,
                                      issued_by="op", now_ms=NOW)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("accounts.db*"))
    assert token.encode() not in raw
    db = sqlite3.connect(path)
    stored = db.execute("SELECT token_hash FROM clients").fetchone()[0]
    assert stored == hashlib.sha256(token.encode()).digest()
    db.close()


def test_two_processes_on_one_postgresql_database_share_logins_and_revocations() -> None:
    """Two hub processes on one database: a session made by one is live in the other, and
    a token revoked through one is refused by the other at once."""
    from carechain.accounts._pg import drop_accounts_schema

    url = f"{PG_URL}?options=-csearch_path%3Dcc_{uuid.uuid4().hex[:12]}"
    first = AccountStore(url, KEY, cost=FAST_FOR_TESTS)
    second = AccountStore(url, KEY, cost=FAST_FOR_TESTS)
    try:
        first.create_person("C1", "Cleo Lead", "clinical_lead", PASSWORD, node_role="hub",
                            now_ms=NOW)
        person = second.authenticate("C1", PASSWORD, now_ms=NOW)
        session = second.create_session(person, now_ms=NOW)
        assert first.session(session.token, now_ms=NOW + 1) is not None
        client, token = first.issue_client("audit feed", role="auditor",
                                           expires_ms=NOW + DAY, issued_by="op", now_ms=NOW)
        assert second.client(token, now_ms=NOW + 1) is not None
        second.revoke_client(client.client_id, now_ms=NOW + 2)
        assert first.client(token, now_ms=NOW + 3) is None
        first.end_session(session.token)
        assert second.session(session.token, now_ms=NOW + 4) is None
    finally:
        first.close()
        second.close()
        drop_accounts_schema(url)


def test_a_node_moving_to_postgresql_keeps_its_accounts(tmp_path: Path) -> None:
    from carechain.accounts._pg import drop_accounts_schema

    path = tmp_path / "accounts.db"
    with AccountStore(path, KEY, cost=FAST_FOR_TESTS) as old:
        old.create_person("C1", "Cleo Lead", "clinical_lead", PASSWORD, node_role="hub",
                          now_ms=NOW)
        _, token = old.issue_client("feed", role="auditor", expires_ms=NOW + DAY,
                                    issued_by="op", now_ms=NOW)
        old.break_glass(old.person("C1"), "00112233445566778899aabbccddeeff",  # type: ignore[arg-type]
                        "Patient self-presented, unresponsive", now_ms=NOW)
    url = f"{PG_URL}?options=-csearch_path%3Dcc_{uuid.uuid4().hex[:12]}"
    try:
        with AccountStore(url, KEY, cost=FAST_FOR_TESTS) as moved:
            assert moved.adopt_file(path) == 4  # node role, person, client, break-glass
            assert moved.authenticate("C1", PASSWORD, now_ms=NOW + 1).role == "clinical_lead"
            assert moved.client(token, now_ms=NOW + 1) is not None
            assert moved.has_break_glass("C1", "00112233445566778899aabbccddeeff",
                                         now_ms=NOW + 1)
            assert moved.adopt_file(path) == 0  # the file was moved aside: never twice
        assert not path.exists() and (tmp_path / "accounts.db.moved").exists()
    finally:
        drop_accounts_schema(url)
