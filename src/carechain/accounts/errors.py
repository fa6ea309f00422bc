"""The errors the accounts package raises on purpose, children of `CarechainError`.

    CarechainError
    ├── LoginFailed               wrong staff id, secret or second factor (one message for all)
    ├── SecondFactorRequired      the secret was right; a TOTP code is needed as well
    ├── AccountLocked             too many consecutive failures; try later or ask an admin
    └── Forbidden
        └── CsrfRejected          a form's CSRF token does not match its session

Input that breaks a rule raises `carechain.errors.FieldInvalid`; a missing permission
raises `carechain.errors.Forbidden`. Login errors carry `events`: the audit bodies the
node should write for the attempt (see `carechain.accounts.audit`); they are attributes,
not `extra`, so they never reach a problem-details answer.
"""

from __future__ import annotations

from typing import Any

from carechain.errors import CarechainError, Forbidden

__all__ = ["AccountLocked", "CsrfRejected", "LoginFailed", "SecondFactorRequired"]

LOGIN_FAILED_DETAIL = "the staff id or secret is not right"


class LoginFailed(CarechainError):
    """The staff id, secret or second factor is wrong; the message never says which."""

    code = "login-failed"
    status = 401
    title = "Login failed"

    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        super().__init__(LOGIN_FAILED_DETAIL)
        self.events = events or []


class SecondFactorRequired(CarechainError):
    """The secret was right but the account also needs a TOTP code."""

    code = "second-factor-required"
    status = 401
    title = "Second factor required"

    def __init__(self) -> None:
        super().__init__("enter the 6-digit code from your authenticator app")
        self.events: list[dict[str, Any]] = []


class AccountLocked(CarechainError):
    """The account is locked after too many consecutive failed logins."""

    code = "account-locked"
    status = 429
    title = "Account locked"

    def __init__(self, events: list[dict[str, Any]] | None = None) -> None:
        super().__init__("too many failed logins: try again later or ask an admin to unlock")
        self.events = events or []


class CsrfRejected(Forbidden):
    """A submitted CSRF token is missing or does not match the session's."""

    code = "csrf-rejected"
    title = "Form token rejected"

    def __init__(self) -> None:
        super().__init__("the form token does not match this session: reload the page")
