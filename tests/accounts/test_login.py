"""Login: secrets, lockout on a moving clock, one answer for every failure, TOTP for admins."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest

from carechain.accounts import (
    FAST_FOR_TESTS,
    LOCK_MS,
    MAX_FAILURES,
    AccountLocked,
    AccountStore,
    LoginFailed,
    SecondFactorRequired,
)
from carechain.errors import FieldInvalid

from .conftest import KEY, NOW, PASSWORD, PIN, totp_secret

MINUTE = 60_000


@pytest.fixture
def hub() -> Iterator[tuple[AccountStore, str]]:
    """Return a hub's accounts with admin ADM1, and the admin's TOTP secret."""
    store = AccountStore(":memory:", KEY, cost=FAST_FOR_TESTS)
    _, uri = store.create_person("ADM1", "Ann Admin", "admin", PASSWORD, node_role="hub",
                                 now_ms=NOW)
    yield store, totp_secret(uri)
    store.close()


def code_at(secret: str, now_ms: int) -> str:
    """Return the RFC 6238 code an authenticator app would show at `now_ms`."""
    return pyotp.TOTP(secret).at(now_ms // 1000)


def fail(store: AccountStore, staff_id: str, secret: str, now_ms: int) -> Exception:
    """Try a login that must fail and return the error."""
    with pytest.raises((LoginFailed, AccountLocked)) as caught:
        store.authenticate(staff_id, secret, now_ms=now_ms)
    return caught.value


def test_right_pin_logs_in(crew: AccountStore) -> None:
    person = crew.authenticate("P1", PIN, now_ms=NOW)
    assert (person.staff_id, person.role, person.secret_kind) == ("P1", "paramedic", "pin")


def test_unknown_user_and_wrong_secret_look_the_same(crew: AccountStore) -> None:
    unknown = fail(crew, "NOBODY", PIN, NOW)
    wrong = fail(crew, "P1", "9999", NOW)
    crew.disable("T1")
    disabled = fail(crew, "T1", "4826", NOW)  # the right PIN of a disabled account
    assert type(unknown) is type(wrong) is type(disabled) is LoginFailed
    assert str(unknown) == str(wrong) == str(disabled)
    assert isinstance(unknown, LoginFailed) and isinstance(wrong, LoginFailed)
    assert unknown.extra == wrong.extra == {}  # nothing extra reaches the problem answer
    assert (unknown.code, unknown.status) == (wrong.code, wrong.status) == ("login-failed", 401)


def test_lockout_after_five_failures_and_release_after_fifteen_minutes(
    crew: AccountStore,
) -> None:
    for n in range(1, MAX_FAILURES):
        assert isinstance(fail(crew, "P1", "9999", NOW + n), LoginFailed)
    assert isinstance(fail(crew, "P1", "9999", NOW + MAX_FAILURES), AccountLocked)
    locked_at = NOW + MAX_FAILURES
    # While locked, even the right PIN is refused.
    with pytest.raises(AccountLocked):
        crew.authenticate("P1", PIN, now_ms=locked_at + LOCK_MS - 1)
    person = crew.person("P1")
    assert person is not None and person.locked(locked_at + LOCK_MS - 1)
    # Fifteen minutes on, the right PIN works and the count is clear.
    person = crew.authenticate("P1", PIN, now_ms=locked_at + LOCK_MS)
    assert (person.failed_attempts, person.locked_until_ms) == (0, 0)
    assert LOCK_MS == 15 * MINUTE


def test_a_failure_after_a_lock_expired_starts_a_new_count(crew: AccountStore) -> None:
    for n in range(MAX_FAILURES):
        fail(crew, "P1", "9999", NOW + n)
    later = NOW + LOCK_MS + MINUTE
    assert isinstance(fail(crew, "P1", "9999", later), LoginFailed)
    person = crew.person("P1")
    assert person is not None and person.failed_attempts == 1


def test_success_resets_the_failure_count(crew: AccountStore) -> None:
    for n in range(MAX_FAILURES - 1):
        fail(crew, "P1", "9999", NOW + n)
    crew.authenticate("P1", PIN, now_ms=NOW + 10)
    for n in range(MAX_FAILURES - 1):
        assert isinstance(fail(crew, "P1", "9999", NOW + 20 + n), LoginFailed)
    assert crew.authenticate("P1", PIN, now_ms=NOW + 30).failed_attempts == 0


def test_unlock_clears_a_lock(crew: AccountStore) -> None:
    for n in range(MAX_FAILURES):
        fail(crew, "P1", "9999", NOW + n)
    assert crew.unlock("P1").locked_until_ms == 0
    crew.authenticate("P1", PIN, now_ms=NOW + 10)


def test_unknown_staff_ids_lock_too(crew: AccountStore) -> None:
    errors = [fail(crew, "GHOST", "1357", NOW + n) for n in range(MAX_FAILURES + 1)]
    assert [type(e) for e in errors] == [LoginFailed] * (MAX_FAILURES - 1) + [AccountLocked] * 2
    assert isinstance(fail(crew, "GHOST", "1357", NOW + LOCK_MS + 10), LoginFailed)


def test_failures_carry_audit_bodies(crew: AccountStore) -> None:
    for n in range(MAX_FAILURES - 1):
        fail(crew, "P1", "9999", NOW + n)
    locked = fail(crew, "P1", "9999", NOW + 9)
    assert isinstance(locked, AccountLocked)
    actions = [e["action"] for e in locked.events]
    assert actions == ["login.failed", "account.lock"]
    assert locked.events[0]["detail"] == {"reason": "wrong-secret", "failed_attempts": 5}
    assert locked.events[1]["detail"]["until_ms"] == NOW + 9 + LOCK_MS
    unknown = fail(crew, "NOBODY", PIN, NOW)
    assert isinstance(unknown, LoginFailed)
    assert unknown.events[0]["role"] is None
    assert unknown.events[0]["detail"]["reason"] == "unknown-account"
    typed_password = fail(crew, "my secret pin", PIN, NOW)
    assert isinstance(typed_password, LoginFailed)
    assert typed_password.events[0]["staff_id"] is None  # never log what is not a staff id


def test_admin_needs_a_totp_code(hub: tuple[AccountStore, str]) -> None:
    store, secret = hub
    with pytest.raises(SecondFactorRequired):
        store.authenticate("ADM1", PASSWORD, now_ms=NOW)
    with pytest.raises(SecondFactorRequired):
        store.authenticate("ADM1", PASSWORD, "  ", now_ms=NOW)
    # A missing code after the right password is no failure; a wrong password still is.
    person = store.person("ADM1")
    assert person is not None and person.failed_attempts == 0
    assert store.authenticate("ADM1", PASSWORD, code_at(secret, NOW), now_ms=NOW).role == "admin"


def test_wrong_password_is_checked_before_asking_for_the_code(
    hub: tuple[AccountStore, str],
) -> None:
    store, _ = hub
    with pytest.raises(LoginFailed):
        store.authenticate("ADM1", "not the password at all", now_ms=NOW)


def test_wrong_totp_code_fails_and_counts(hub: tuple[AccountStore, str]) -> None:
    store, secret = hub
    right = code_at(secret, NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(LoginFailed) as caught:
        store.authenticate("ADM1", PASSWORD, wrong, now_ms=NOW)
    assert str(caught.value) == str(LoginFailed())
    assert caught.value.events[0]["detail"]["reason"] == "wrong-second-factor"
    person = store.person("ADM1")
    assert person is not None and person.failed_attempts == 1


def test_totp_code_from_the_next_or_last_step_works(hub: tuple[AccountStore, str]) -> None:
    store, secret = hub
    store.authenticate("ADM1", PASSWORD, code_at(secret, NOW - 30_000), now_ms=NOW)
    later = NOW + 120_000
    store.authenticate("ADM1", PASSWORD, code_at(secret, later + 30_000), now_ms=later)


def test_totp_code_two_steps_old_fails(hub: tuple[AccountStore, str]) -> None:
    store, secret = hub
    old = code_at(secret, NOW - 60_000)
    if old in {code_at(secret, NOW + d) for d in (-30_000, 0, 30_000)}:
        pytest.skip("the old code happens to equal a current one")
    with pytest.raises(LoginFailed):
        store.authenticate("ADM1", PASSWORD, old, now_ms=NOW)


def test_a_totp_code_works_only_once(hub: tuple[AccountStore, str]) -> None:
    store, secret = hub
    code = code_at(secret, NOW)
    store.authenticate("ADM1", PASSWORD, code, now_ms=NOW)
    with pytest.raises(LoginFailed):
        store.authenticate("ADM1", PASSWORD, code, now_ms=NOW + 1_000)
    next_step = NOW + 30_000
    store.authenticate("ADM1", PASSWORD, code_at(secret, next_step), now_ms=next_step)


def test_admin_on_a_crew_node_uses_pin_and_totp() -> None:
    store = AccountStore(":memory:", KEY, cost=FAST_FOR_TESTS)
    person, uri = store.create_person("ADMC", "Crew Admin", "admin", "8642", node_role="crew",
                                      now_ms=NOW)
    assert (person.secret_kind, person.has_totp) == ("pin", True)
    with pytest.raises(SecondFactorRequired):
        store.authenticate("ADMC", "8642", now_ms=NOW)
    store.authenticate("ADMC", "8642", code_at(totp_secret(uri), NOW), now_ms=NOW)


def test_totp_cannot_be_turned_off_for_admins_but_can_be_on_for_others() -> None:
    store = AccountStore(":memory:", KEY, cost=FAST_FOR_TESTS)
    with pytest.raises(FieldInvalid) as caught:
        store.create_person("ADM2", "Bo Admin", "admin", PASSWORD, node_role="vault",
                            now_ms=NOW, totp=False)
    assert caught.value.field == "totp"
    lead, uri = store.create_person("CL1", "Chris Lead", "clinical_lead", PASSWORD,
                                    node_role="vault", now_ms=NOW, totp=True)
    assert lead.has_totp and uri is not None
    auditor, none = store.create_person("AU1", "Dee Audit", "auditor", PASSWORD,
                                        node_role="vault", now_ms=NOW)
    assert not auditor.has_totp and none is None


def test_reset_totp_replaces_the_secret(hub: tuple[AccountStore, str]) -> None:
    store, old = hub
    new = totp_secret(store.reset_totp("ADM1", issuer="carechain hub"))
    assert new != old
    t = NOW + 300_000
    if code_at(old, t) != code_at(new, t):
        with pytest.raises(LoginFailed):
            store.authenticate("ADM1", PASSWORD, code_at(old, t), now_ms=t)
    store.authenticate("ADM1", PASSWORD, code_at(new, t + 30_000), now_ms=t + 30_000)


def test_now_must_be_milliseconds(crew: AccountStore) -> None:
    with pytest.raises(FieldInvalid) as caught:
        crew.authenticate("P1", PIN, now_ms=-1)
    assert caught.value.field == "now_ms"


def test_concurrent_failures_are_all_counted() -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = AccountStore(":memory:", KEY, cost=FAST_FOR_TESTS)
    store.create_person("P1", "Sam Smith", "paramedic", PIN, node_role="crew", now_ms=NOW)

    def attempt(n: int) -> str:
        try:
            store.authenticate("P1", "9999", now_ms=NOW + n)
        except (LoginFailed, AccountLocked) as exc:
            return type(exc).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(MAX_FAILURES - 1)))
    assert results == ["LoginFailed"] * (MAX_FAILURES - 1)
    person = store.person("P1")
    assert person is not None and person.failed_attempts == MAX_FAILURES - 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(100, 116)))
    assert set(results) == {"AccountLocked"}
    person = store.person("P1")
    assert person is not None and person.locked(NOW + 200)
