"""Sessions: random tokens, idle and absolute expiry on a moving clock, logout, CSRF."""

from __future__ import annotations

import pytest

from carechain.accounts import (
    FAST_FOR_TESTS,
    SESSION_POLICIES,
    AccountStore,
    CsrfRejected,
    Session,
    SessionPolicy,
    check_csrf,
)
from carechain.errors import FieldInvalid, Forbidden

from .conftest import KEY, NOW, PIN

MINUTE = 60_000
HOUR = 60 * MINUTE


def login(store: AccountStore, now_ms: int = NOW) -> Session:
    return store.create_session(store.authenticate("P1", PIN, now_ms=now_ms), now_ms=now_ms)


def test_token_is_256_bits_and_fresh_each_time(crew: AccountStore) -> None:
    a, b = login(crew), login(crew)
    assert a.token != b.token and a.csrf_token != b.csrf_token and a.token != a.csrf_token
    assert len(a.token) >= 43  # 32 bytes in URL-safe base64


def test_session_finds_the_person_and_refreshes_last_seen(crew: AccountStore) -> None:
    s = login(crew)
    found = crew.session(s.token, now_ms=NOW + 10 * MINUTE)
    assert found is not None
    person, session = found
    assert person.staff_id == "P1"
    assert session.last_seen_ms == NOW + 10 * MINUTE
    assert session.expires_ms == NOW + 40 * MINUTE
    assert session.csrf_token == s.csrf_token


def test_crew_defaults(crew: AccountStore) -> None:
    assert crew.session_policy == SESSION_POLICIES["crew"] == SessionPolicy(30 * MINUTE, 12 * HOUR)
    s = login(crew)
    assert (s.expires_ms, s.absolute_expires_ms) == (NOW + 30 * MINUTE, NOW + 12 * HOUR)


def test_hospital_defaults(hospital: AccountStore) -> None:
    assert hospital.session_policy == SessionPolicy(15 * MINUTE, 12 * HOUR)


def test_idle_expiry(crew: AccountStore) -> None:
    s = login(crew)
    assert crew.session(s.token, now_ms=NOW + 30 * MINUTE - 1) is not None
    assert crew.session(s.token, now_ms=NOW + 60 * MINUTE - 2) is not None  # kept alive
    assert crew.session(s.token, now_ms=NOW + 90 * MINUTE - 2) is None      # idle 30 min
    assert crew.session(s.token, now_ms=NOW + 60 * MINUTE) is None          # and gone


def test_absolute_expiry_even_when_in_use(crew: AccountStore) -> None:
    s = login(crew)
    t = NOW
    while t + 20 * MINUTE < NOW + 12 * HOUR:
        t += 20 * MINUTE
        assert crew.session(s.token, now_ms=t) is not None
    assert crew.session(s.token, now_ms=NOW + 12 * HOUR) is None


def test_a_clock_stepping_back_does_not_extend_a_session(crew: AccountStore) -> None:
    s = login(crew)
    crew.session(s.token, now_ms=NOW + 20 * MINUTE)
    found = crew.session(s.token, now_ms=NOW + 5 * MINUTE)
    assert found is not None and found[1].last_seen_ms == NOW + 20 * MINUTE


def test_custom_policy() -> None:
    store = AccountStore(":memory:", KEY, cost=FAST_FOR_TESTS,
                         session_policy=SessionPolicy(idle_ms=MINUTE, absolute_ms=2 * MINUTE))
    store.create_person("P1", "Sam Smith", "paramedic", PIN, node_role="crew", now_ms=NOW)
    s = login(store)
    assert store.session(s.token, now_ms=NOW + MINUTE) is None


@pytest.mark.parametrize(("idle", "absolute"), [(0, 10), (-1, 10), (11, 10)])
def test_policy_must_make_sense(idle: int, absolute: int) -> None:
    with pytest.raises(FieldInvalid):
        SessionPolicy(idle_ms=idle, absolute_ms=absolute)


def test_logout_ends_only_that_session(crew: AccountStore) -> None:
    a, b = login(crew), login(crew)
    assert crew.end_session(a.token)
    assert not crew.end_session(a.token)
    assert crew.session(a.token, now_ms=NOW + 1) is None
    assert crew.session(b.token, now_ms=NOW + 1) is not None


def test_disable_ends_sessions_and_refuses_new_ones(crew: AccountStore) -> None:
    s = login(crew)
    person = crew.authenticate("P1", PIN, now_ms=NOW)
    crew.disable("P1")
    assert crew.session(s.token, now_ms=NOW + 1) is None
    with pytest.raises(Forbidden):
        crew.create_session(person, now_ms=NOW + 2)


def test_end_sessions_and_purge(crew: AccountStore) -> None:
    login(crew)
    login(crew)
    assert crew.end_sessions("P1") == 2
    login(crew)
    assert crew.purge_expired(now_ms=NOW + 29 * MINUTE) == 0
    assert crew.purge_expired(now_ms=NOW + 30 * MINUTE) == 1


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 10_000])
def test_unknown_tokens_find_nothing(crew: AccountStore, token: str) -> None:
    assert crew.session(token, now_ms=NOW) is None


def test_csrf(crew: AccountStore) -> None:
    s = login(crew)
    check_csrf(s, s.csrf_token)
    crew.check_csrf(s, s.csrf_token)
    for bad in [None, "", s.token, s.csrf_token[:-1], s.csrf_token + "x", "é" * 10]:
        with pytest.raises(CsrfRejected) as caught:
            check_csrf(s, bad)
        assert (caught.value.status, caught.value.code) == (403, "csrf-rejected")
        assert isinstance(caught.value, Forbidden)
