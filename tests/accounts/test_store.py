"""The accounts file: creation and migration, account admin, and what the raw bytes hold."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pyotp
import pytest

from carechain.accounts import FAST_FOR_TESTS, ROLES, ROLES_ON_NODE, AccountStore, LoginFailed
from carechain.accounts._db import MIGRATIONS
from carechain.errors import FieldInvalid, KeyStoreLocked, NotFound, StoreError

from .conftest import KEY, NOW, PASSWORD, PIN, totp_secret


def raw_bytes(path: Path) -> bytes:
    """Return every byte of an SQLite file and its WAL and journal, as on disk."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def open_store(path: Path | str, key: bytes = KEY) -> AccountStore:
    return AccountStore(path, key, cost=FAST_FOR_TESTS)


def test_file_is_created_migrated_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    open_store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"people", "sessions", "break_glass", "meta"} <= tables
    db.close()


def test_accounts_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with open_store(path) as store:
        store.create_person("P1", "Sam Smith", "paramedic", PIN, node_role="crew", now_ms=NOW)
    with open_store(path) as store:
        assert store.authenticate("P1", PIN, now_ms=NOW).display_name == "Sam Smith"
        assert store.node_role == "crew"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    open_store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this code"):
        open_store(path)


def test_totp_secret_is_not_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with open_store(path) as store:
        _, uri = store.create_person("ADM1", "Ann Admin", "admin", PASSWORD, node_role="hub",
                                     now_ms=NOW)
        secret = totp_secret(uri)
        raw = raw_bytes(path)
        assert len(raw) > 4096
        decoded = pyotp.TOTP(secret).byte_secret()
        for needle in (secret.encode(), secret.lower().encode(), decoded, PASSWORD.encode()):
            assert needle not in raw


def test_the_file_is_no_use_under_another_key(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with open_store(path) as store:
        _, uri = store.create_person("ADM1", "Ann Admin", "admin", PASSWORD, node_role="hub",
                                     now_ms=NOW)
    code = pyotp.TOTP(totp_secret(uri)).at(NOW // 1000)
    with open_store(path, bytes(32)) as other, pytest.raises(LoginFailed):
        other.authenticate("ADM1", PASSWORD, code, now_ms=NOW)
    with open_store(path, KEY) as store:
        store.authenticate("ADM1", PASSWORD, code, now_ms=NOW)


def test_wrong_key_cannot_open_a_totp_secret_even_with_the_hash_swapped(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with open_store(path) as store:
        store.create_person("ADM1", "Ann Admin", "admin", PASSWORD, node_role="hub", now_ms=NOW)
    other_key = bytes(32)
    with open_store(tmp_path / "other.db", other_key) as other:
        other.create_person("ADM2", "Bo Admin", "admin", PASSWORD, node_role="hub", now_ms=NOW)
    forged = sqlite3.connect(tmp_path / "other.db").execute(
        "SELECT secret_hash FROM people").fetchone()[0]
    db = sqlite3.connect(path)
    db.execute("UPDATE people SET secret_hash = ?", (forged,))
    db.commit()
    db.close()
    with open_store(path, other_key) as store, pytest.raises(KeyStoreLocked):
        store.authenticate("ADM1", PASSWORD, "123456", now_ms=NOW)


def test_session_token_is_not_stored_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    with open_store(path) as store:
        person, _ = store.create_person("P1", "Sam Smith", "paramedic", PIN, node_role="crew",
                                        now_ms=NOW)
        session = store.create_session(person, now_ms=NOW)
        assert store.session(session.token, now_ms=NOW + 1) is not None
        raw = raw_bytes(path)
        assert session.token.encode() not in raw
        assert b"2580" not in raw  # nor the PIN


@pytest.mark.parametrize("node_role", sorted(ROLES_ON_NODE))
@pytest.mark.parametrize("role", ROLES)
def test_roles_allowed_on_each_node(role: str, node_role: str) -> None:
    expected = {
        "crew": {"paramedic", "technician", "clinical_lead", "admin"},
        "hospital": {"ed_clinician", "auditor", "admin"},
        "hub": {"admin", "auditor", "clinical_lead", "dispatcher"},
        "vault": {"admin", "auditor", "clinical_lead"},
    }[node_role]
    secret = PIN if node_role == "crew" else PASSWORD
    store = open_store(":memory:")
    if role in expected:
        person, _ = store.create_person("S1", "Some One", role, secret, node_role=node_role,
                                        now_ms=NOW)
        assert person.role == role
        assert person.secret_kind == ("pin" if node_role == "crew" else "password")
    else:
        with pytest.raises(FieldInvalid) as caught:
            store.create_person("S1", "Some One", role, secret, node_role=node_role,
                                now_ms=NOW)
        assert caught.value.field == "role"
        assert f"on a {node_role} node" in caught.value.rule


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"staff_id": ""}, "staff_id"),
        ({"staff_id": "has space"}, "staff_id"),
        ({"staff_id": "x" * 65}, "staff_id"),
        ({"display_name": "  "}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "bell\x07"}, "display_name"),
        ({"role": "surgeon"}, "role"),
        ({"node_role": "ship"}, "node_role"),
        ({"secret": "12"}, "secret"),
        ({"secret": PASSWORD}, "secret"),  # a crew node takes a PIN, not a password
        ({"now_ms": -5}, "now_ms"),
    ],
)
def test_create_person_checks_its_input(args: dict[str, object], field: str) -> None:
    given: dict[str, object] = {"staff_id": "P9", "display_name": "Nia Nine", "role": "paramedic",
                                "secret": PIN, "node_role": "crew", "now_ms": NOW} | args
    with open_store(":memory:") as store, pytest.raises(FieldInvalid) as caught:
        store.create_person(**given)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_staff_id_is_unique(crew: AccountStore) -> None:
    with pytest.raises(FieldInvalid) as caught:
        crew.create_person("P1", "Another Sam", "technician", "1357", node_role="crew",
                           now_ms=NOW)
    assert (caught.value.field, caught.value.rule) == ("staff_id", "is already taken")


def test_a_file_keeps_its_node_role(crew: AccountStore) -> None:
    with pytest.raises(FieldInvalid) as caught:
        crew.create_person("ADM1", "Ann Admin", "admin", PASSWORD, node_role="hub", now_ms=NOW)
    assert caught.value.field == "node_role"


def test_list_unlock_disable(crew: AccountStore) -> None:
    assert [p.staff_id for p in crew.list_people()] == ["P1", "T1"]
    assert crew.disable("T1").disabled
    assert crew.person("T1") is not None
    assert crew.person("nobody") is None
    with pytest.raises(NotFound):
        crew.unlock("nobody")
    with pytest.raises(NotFound):
        crew.disable("nobody")


def test_people_never_show_secrets(crew: AccountStore) -> None:
    text = repr(crew.list_people())
    assert "argon2" not in text and PIN not in text
