"""PIN and password rules, Argon2id hashing with a pepper, and TOTP codes."""

from __future__ import annotations

import pyotp
import pytest

from carechain.accounts import check_password, check_pin, provisioning_uri
from carechain.accounts.credentials import (
    FAST_FOR_TESTS,
    INTERACTIVE,
    SecretKeys,
    hash_secret,
    new_totp_secret,
    totp_step,
    verify_secret,
)
from carechain.errors import FieldInvalid, KeyStoreLocked

from .conftest import KEY, NOW


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("2580", True),
        ("40271", True),
        ("91827364", True),
        ("123", False),          # too short
        ("123456789", False),    # too long
        ("12a4", False),         # not all digits
        ("١٢٣٤٥", False),        # Arabic-Indic digits are not ASCII digits
        ("25 80", False),
        ("", False),
        ("0000", False),         # one digit repeated
        ("77777777", False),
        ("1234", False),         # straight runs, up and down, wrapping past 9
        ("9876", False),
        ("7890", False),
        ("3210", False),
    ],
)
def test_pin_rules(pin: str, ok: bool) -> None:
    if ok:
        assert check_pin(pin) == pin
    else:
        with pytest.raises(FieldInvalid) as caught:
            check_pin(pin)
        assert caught.value.field == "secret"


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("violet tractor harbour", None),
        ("correct horse battery", None),
        ("Zq8#mN2$pL5!", None),
        ("short one", "at least 12"),
        ("elevenchars", "at least 12"),
        ("x" * 257, "at most 256"),
        ("aaaaaaaaaaaa", "repeated"),
        ("AAAAaaaaAAAA", "repeated"),
        ("abcabcabcabc", "repeated"),
        ("12121212121212", "repeated"),
        ("abcdefghijklm", "run"),
        ("123456789012", "run"),
        ("zyxwvutsrqpo", "run"),
        ("Password1234!", "common"),
        ("Passw0rd2024", "common"),
        ("!!ChangeMe2024", "common"),
        ("qwertyuiop123", "common"),
        ("ambulance999!", "common"),
        ("my id is p1234 ok", "staff id or name"),
        ("sam smith forever", "staff id or name"),
        ("tab\there and more", "control"),
    ],
)
def test_password_rules(password: str, rule: str | None) -> None:
    if rule is None:
        assert check_password(password, staff_id="P1234", display_name="Sam Smith") == password
    else:
        with pytest.raises(FieldInvalid) as caught:
            check_password(password, staff_id="P1234", display_name="Sam Smith")
        assert caught.value.field == "secret"
        assert rule in caught.value.rule


def test_hash_verifies_only_the_same_secret_under_the_same_key() -> None:
    keys = SecretKeys(KEY)
    stored = hash_secret(keys, "2580", FAST_FOR_TESTS)
    assert stored.startswith("$argon2id$")
    assert "2580" not in stored
    assert verify_secret(keys, stored, "2580")
    assert not verify_secret(keys, stored, "2581")
    assert not verify_secret(SecretKeys(bytes(32)), stored, "2580")  # the pepper matters


def test_hashes_are_salted() -> None:
    keys = SecretKeys(KEY)
    assert hash_secret(keys, "2580", FAST_FOR_TESTS) != hash_secret(keys, "2580", FAST_FOR_TESTS)


def test_secret_is_normalised_before_hashing() -> None:
    keys = SecretKeys(KEY)
    stored = hash_secret(keys, "café au lait 2024", FAST_FOR_TESTS)  # é precomposed
    assert verify_secret(keys, stored, "cafe\u0301 au lait 2024")   # e + combining acute


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33), "x" * 32])
def test_accounts_key_must_be_32_bytes(key: object) -> None:
    with pytest.raises(FieldInvalid) as caught:
        SecretKeys(key)  # type: ignore[arg-type]
    assert caught.value.field == "secret_key"


def test_sealed_totp_secret_opens_only_under_its_key() -> None:
    sealed = SecretKeys(KEY).seal("JBSWY3DPEHPK3PXP")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert SecretKeys(KEY).unseal(sealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(KeyStoreLocked):
        SecretKeys(bytes(32)).unseal(sealed)


def test_totp_accepts_one_step_either_side_and_no_further() -> None:
    secret = new_totp_secret()
    totp = pyotp.TOTP(secret)
    now_s = NOW // 1000
    step = now_s // 30
    for offset in (-1, 0, 1):
        code = totp.at(now_s + 30 * offset)
        assert totp_step(secret, code, NOW) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.at(now_s + 30 * offset)
        if code not in {totp.at(now_s + 30 * o) for o in (-1, 0, 1)}:
            assert totp_step(secret, code, NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 345"])
def test_totp_refuses_malformed_codes(code: str) -> None:
    assert totp_step(new_totp_secret(), code, NOW) is None


def test_totp_matches_rfc6238_vector() -> None:
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890", T = 59 s → 94287082 (8 digits);
    # the 6-digit code is its last six digits.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp_step(secret, "287082", 59_000) == 1


def test_provisioning_uri_names_the_account_and_issuer() -> None:
    secret = new_totp_secret()
    uri = provisioning_uri(secret, staff_id="ADM1", issuer="carechain hub")
    assert uri.startswith("otpauth://totp/")
    assert "ADM1" in uri
    assert f"secret={secret}" in uri
    assert "issuer=carechain%20hub" in uri


def test_default_cost_is_libsodium_interactive_and_works() -> None:
    keys = SecretKeys(KEY)
    stored = hash_secret(keys, "2580", INTERACTIVE)
    assert "m=65536,t=2" in stored  # 64 MiB, 2 passes
    assert verify_secret(keys, stored, "2580")
