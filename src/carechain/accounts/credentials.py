"""Secrets: PIN and password rules, Argon2id hashes, and sealed TOTP secrets.

A secret is normalised (NFKC), keyed with HMAC-SHA256 under a pepper derived from the
node's accounts key, then hashed with Argon2id (libsodium, through PyNaCl). The pepper
means the accounts file alone is no help in guessing a 4-digit PIN offline. TOTP shared
secrets are sealed with XSalsa20-Poly1305 (`nacl.secret.SecretBox`) under a second key
derived from the same accounts key. Codes follow RFC 6238: 6 digits, 30 s, SHA-1.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from itertools import pairwise

import nacl.exceptions
import nacl.pwhash.argon2id
import nacl.secret
import pyotp

from carechain.errors import FieldInvalid, KeyStoreLocked

__all__ = [
    "FAST_FOR_TESTS",
    "INTERACTIVE",
    "HashCost",
    "SecretKeys",
    "check_password",
    "check_pin",
    "hash_secret",
    "new_totp_secret",
    "provisioning_uri",
    "totp_step",
    "verify_secret",
]

ACCOUNTS_KEY_BYTES = 32
PASSWORD_MIN = 12
PASSWORD_MAX = 256
TOTP_STEP_S = 30
_OFFSETS: tuple[int, ...] = (0, -1, 1)  # this step first, then one either side

_PIN = re.compile(r"[0-9]{4,8}")
_CODE = re.compile(r"[0-9]{6}")
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})
# Bases of the passwords most often found in breach lists, plus this service's own words;
# a password that is one of these with digits or symbols around it is refused.
_COMMON = frozenset({
    "password", "passwort", "passwd", "qwerty", "qwertyuiop", "letmein", "welcome",
    "changeme", "admin", "administrator", "iloveyou", "monkey", "dragon", "football",
    "sunshine", "princess", "trustno", "abc", "secret", "carechain", "ambulance",
    "paramedic", "hospital", "nhs", "login", "summer", "winter", "spring", "autumn",
})


@dataclass(frozen=True)
class HashCost:
    """Argon2id cost: `ops` passes over `mem` bytes of memory."""

    ops: int
    mem: int


INTERACTIVE = HashCost(nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                       nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE)
"""libsodium's interactive profile: 2 passes over 64 MiB, about 0.1 s; the default."""
FAST_FOR_TESTS = HashCost(nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN)
"""The cheapest cost libsodium allows: for tests only, never for a real node."""


class SecretKeys:
    """The keys derived from a node's 32-byte accounts key: a pepper and a sealing key."""

    def __init__(self, secret_key: bytes) -> None:
        if not isinstance(secret_key, bytes) or len(secret_key) != ACCOUNTS_KEY_BYTES:
            raise FieldInvalid("secret_key", f"must be {ACCOUNTS_KEY_BYTES} bytes")
        self.pepper = _derive(secret_key, b"cc.acct.pepper")
        self._box = nacl.secret.SecretBox(_derive(secret_key, b"cc.acct.totp"))
        self._dummies: dict[HashCost, str] = {}

    def dummy_hash(self, cost: HashCost) -> str:
        """Return a hash of a random secret, to check unknown staff ids against in equal time."""
        if cost not in self._dummies:
            self._dummies[cost] = hash_secret(self, secrets.token_urlsafe(32), cost)
        return self._dummies[cost]

    def seal(self, text: str) -> bytes:
        """Encrypt `text` under the sealing key with a random nonce."""
        return bytes(self._box.encrypt(text.encode("utf-8")))

    def unseal(self, blob: bytes) -> str:
        """Decrypt what `seal` made; raise KeyStoreLocked under the wrong accounts key."""
        try:
            return bytes(self._box.decrypt(blob)).decode("utf-8")
        except nacl.exceptions.CryptoError as exc:
            raise KeyStoreLocked("the accounts key does not open this accounts file") from exc


def _derive(key: bytes, label: bytes) -> bytes:
    return hashlib.blake2b(b"", digest_size=32, key=key, person=label).digest()


def _keyed(keys: SecretKeys, secret: str) -> bytes:
    text = unicodedata.normalize("NFKC", secret).encode("utf-8")
    return hmac.new(keys.pepper, text, hashlib.sha256).digest()


def hash_secret(keys: SecretKeys, secret: str, cost: HashCost) -> str:
    """Return the Argon2id hash string of a peppered PIN or password."""
    out: bytes = nacl.pwhash.argon2id.str(_keyed(keys, secret), opslimit=cost.ops,
                                          memlimit=cost.mem)
    return out.decode("ascii")


def verify_secret(keys: SecretKeys, stored: str, secret: str) -> bool:
    """Return whether `secret` matches the stored hash."""
    try:
        return bool(nacl.pwhash.argon2id.verify(stored.encode("ascii"), _keyed(keys, secret)))
    except nacl.exceptions.InvalidkeyError:
        return False


def _straight_run(text: str) -> bool:
    """Return whether each character is one step up (or each one down) from the last."""
    if text.isascii() and text.isdigit():
        steps = {(int(b) - int(a)) % 10 for a, b in pairwise(text)}
        return steps in ({1}, {9})
    steps = {ord(b) - ord(a) for a, b in pairwise(text)}
    return steps in ({1}, {-1})


def check_pin(pin: str) -> str:
    """Return `pin` if it is 4 to 8 digits and not a repeat or a run, else raise."""
    if not _PIN.fullmatch(pin):
        raise FieldInvalid("secret", "a PIN must be 4 to 8 digits")
    if len(set(pin)) == 1 or _straight_run(pin):
        raise FieldInvalid("secret", "a PIN must not be one repeated digit or a run like 1234")
    return pin


def check_password(password: str, *, staff_id: str = "", display_name: str = "") -> str:
    """Return `password` if it is long enough and not obviously weak, else raise."""
    text = unicodedata.normalize("NFKC", password)
    if len(text) < PASSWORD_MIN:
        raise FieldInvalid("secret", f"a password must be at least {PASSWORD_MIN} characters")
    if len(text) > PASSWORD_MAX:
        raise FieldInvalid("secret", f"a password must be at most {PASSWORD_MAX} characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise FieldInvalid("secret", "a password must not contain control characters")
    lowered = text.casefold()
    if any(lowered == (lowered[:k] * len(lowered))[: len(lowered)] for k in range(1, 5)):
        raise FieldInvalid("secret", "a password must not be a short pattern repeated")
    if _straight_run(lowered):
        raise FieldInvalid("secret", "a password must not be a run like abcdefghijkl")
    names = [staff_id, *display_name.split()]
    if any(len(n) >= 3 and n.casefold() in lowered for n in names):
        raise FieldInvalid("secret", "a password must not contain your staff id or name")
    core = _EDGES.sub("", lowered).translate(_LEET)
    if core in _COMMON:
        raise FieldInvalid("secret", "a password must not be a common password")
    return password


def new_totp_secret() -> str:
    """Return a fresh random base32 TOTP shared secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, staff_id: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app scans to add this account."""
    return pyotp.TOTP(secret, interval=TOTP_STEP_S).provisioning_uri(
        name=staff_id, issuer_name=issuer
    )


def totp_step(secret: str, code: str, now_ms: int) -> int | None:
    """Return the time step (±1 of now) whose RFC 6238 code is `code`, or None."""
    code = code.replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_S)
    now_s = now_ms // 1000
    for offset in _OFFSETS:
        if hmac.compare_digest(totp.at(now_s, counter_offset=offset), code):
            return now_s // TOTP_STEP_S + offset
    return None
