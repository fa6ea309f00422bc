"""Unlocking a locked crew account on the device with a colleague's PIN (issue 10 item 5)."""

from __future__ import annotations

import pyotp
import pytest

from carechain.accounts import LOCK_MS, MAX_FAILURES, AccountLocked, AccountStore, LoginFailed
from carechain.errors import FieldInvalid

from .conftest import NOW, PIN, totp_secret

TECH_PIN = "4826"


def _lock(store: AccountStore, staff_id: str) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            store.authenticate(staff_id, "9999", now_ms=NOW)
    with pytest.raises(AccountLocked):
        store.authenticate(staff_id, "9999", now_ms=NOW)


def test_a_colleague_unlocks_a_locked_paramedic_and_the_audit_names_both(
        crew: AccountStore) -> None:
    _lock(crew, "P1")
    with pytest.raises(AccountLocked):
        crew.authenticate("P1", PIN, now_ms=NOW + 1)
    person, event = crew.unlock_by_colleague("P1", "T1", TECH_PIN, now_ms=NOW + 2)
    assert not person.locked(NOW + 2) and person.failed_attempts == 0
    assert crew.authenticate("P1", PIN, now_ms=NOW + 3).staff_id == "P1"
    assert event["action"] == "account.lock" and event["staff_id"] == "T1"
    assert event["role"] == "technician" and event["outcome"] == "success"
    assert event["detail"] == {"change": "unlock", "target": "P1", "method": "crew-colleague"}


@pytest.mark.parametrize(("colleague", "secret", "error", "field"), [
    ("P1", PIN, FieldInvalid, "colleague"),         # not the same person
    ("p1", PIN, FieldInvalid, "colleague"),         # not even typed in lower case
    ("T1", "1357", LoginFailed, None),              # the colleague's PIN must be right
    ("NOBODY", TECH_PIN, LoginFailed, None),        # an account of this device
])
def test_who_may_not_unlock(crew: AccountStore, colleague: str, secret: str,
                            error: type[Exception], field: str | None) -> None:
    _lock(crew, "P1")
    with pytest.raises(error) as caught:
        crew.unlock_by_colleague("P1", colleague, secret, now_ms=NOW + 1)
    if field is not None:
        assert getattr(caught.value, "field", None) == field
    assert crew.person("P1").locked(NOW + 1)  # type: ignore[union-attr]


def test_a_locked_colleague_cannot_unlock(crew: AccountStore) -> None:
    _lock(crew, "P1")
    _lock(crew, "T1")
    with pytest.raises(AccountLocked):
        crew.unlock_by_colleague("P1", "T1", TECH_PIN, now_ms=NOW + 1)
    assert crew.person("P1").locked(NOW + 1)  # type: ignore[union-attr]


def test_wrong_colleague_pins_lock_the_colleague_so_unlock_cannot_be_guessed(
        crew: AccountStore) -> None:
    _lock(crew, "P1")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            crew.unlock_by_colleague("P1", "T1", "1357", now_ms=NOW + 1)
    with pytest.raises(AccountLocked):
        crew.unlock_by_colleague("P1", "T1", "1357", now_ms=NOW + 1)
    with pytest.raises(AccountLocked):
        crew.unlock_by_colleague("P1", "T1", TECH_PIN, now_ms=NOW + 2)


def test_only_a_crew_role_unlocks(crew: AccountStore) -> None:
    crew.create_person("L1", "Lee Lead", "clinical_lead", "5937", node_role="crew", now_ms=NOW)
    _lock(crew, "P1")
    with pytest.raises(FieldInvalid) as caught:
        crew.unlock_by_colleague("P1", "L1", "5937", now_ms=NOW + 1)
    assert caught.value.field == "colleague"


def test_an_account_that_is_not_locked_is_not_unlocked(crew: AccountStore) -> None:
    with pytest.raises(FieldInvalid) as caught:
        crew.unlock_by_colleague("P1", "T1", TECH_PIN, now_ms=NOW)
    assert caught.value.field == "staff_id" and "not locked" in caught.value.rule
    _lock(crew, "P1")
    with pytest.raises(FieldInvalid) as unknown:
        crew.unlock_by_colleague("X9", "T1", TECH_PIN, now_ms=NOW + LOCK_MS - 1)
    assert unknown.value.field == "staff_id"


@pytest.fixture
def admin_secret(crew: AccountStore) -> str:
    """Give the crew node an administrator; return the authenticator secret the control
    room keeps."""
    _, uri = crew.create_person("ADM1", "Ops Desk", "admin", "5937", node_role="crew",
                                now_ms=NOW)
    return totp_secret(uri)


def test_the_control_rooms_code_unlocks_and_is_audited(crew: AccountStore,
                                                       admin_secret: str) -> None:
    _lock(crew, "P1")
    code = pyotp.TOTP(admin_secret).at((NOW + 1) // 1000)
    person, event = crew.unlock_by_code("P1", "ADM1", code, now_ms=NOW + 1)
    assert not person.locked(NOW + 1)
    assert (event["action"], event["staff_id"], event["role"]) == ("account.lock", "ADM1",
                                                                   "admin")
    assert event["detail"] == {"change": "unlock", "target": "P1",
                               "method": "control-room-code"}
    _lock(crew, "P1")
    with pytest.raises(LoginFailed):  # a code works once
        crew.unlock_by_code("P1", "ADM1", code, now_ms=NOW + 2)
    assert crew.person("P1").locked(NOW + 2)  # type: ignore[union-attr]


@pytest.mark.parametrize(("offset_steps", "ok"), [(-2, False), (-1, True), (0, True),
                                                   (1, True), (2, False)])
def test_a_code_is_accepted_one_step_either_side(crew: AccountStore, admin_secret: str,
                                                 offset_steps: int, ok: bool) -> None:
    _lock(crew, "P1")
    at = NOW + 60_000
    code = pyotp.TOTP(admin_secret).at(at // 1000 + 30 * offset_steps)
    if ok:
        crew.unlock_by_code("P1", "ADM1", code, now_ms=at)
    else:
        with pytest.raises(LoginFailed):
            crew.unlock_by_code("P1", "ADM1", code, now_ms=at)


def test_wrong_codes_lock_the_administrator_so_codes_cannot_be_guessed(
        crew: AccountStore, admin_secret: str) -> None:
    _lock(crew, "P1")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            crew.unlock_by_code("P1", "ADM1", "000000", now_ms=NOW + 1)
    with pytest.raises(AccountLocked):
        crew.unlock_by_code("P1", "ADM1", "000000", now_ms=NOW + 1)
    right = pyotp.TOTP(admin_secret).at((NOW + 2) // 1000)
    with pytest.raises(AccountLocked):
        crew.unlock_by_code("P1", "ADM1", right, now_ms=NOW + 2)


def test_only_the_administrators_authenticator_gives_codes(crew: AccountStore,
                                                           admin_secret: str) -> None:
    _lock(crew, "P1")
    with pytest.raises(FieldInvalid) as caught:
        crew.unlock_by_code("P1", "T1", "123456", now_ms=NOW + 1)
    assert caught.value.field == "admin"
    with pytest.raises(FieldInvalid) as unknown:
        crew.unlock_by_code("P1", "NOBODY", "123456", now_ms=NOW + 1)
    assert unknown.value.field == "admin"
    code = pyotp.TOTP(admin_secret).at((NOW + 1) // 1000)
    with pytest.raises(FieldInvalid) as not_locked:
        crew.unlock_by_code("T1", "ADM1", code, now_ms=NOW + 1)
    assert not_locked.value.field == "staff_id"
