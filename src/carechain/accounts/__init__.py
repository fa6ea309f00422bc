"""People, roles, login, sessions, permissions and audit events for one node.

Each node keeps its own accounts in its own SQLite file (`AccountStore`). Crew log in
with staff id and PIN, offline; hospital, hub and vault staff with a password; admins add
a TOTP code. The package imports nothing of the web layer or the node: the web layer calls
it, and writes the audit bodies it returns into the signed log. Policy and settings are in
docs/accounts.md.

    CarechainError
    ├── LoginFailed               wrong staff id, secret or second factor (one message)
    ├── SecondFactorRequired      secret right, TOTP code needed
    ├── AccountLocked             5 failures in a row: locked for 15 minutes
    └── Forbidden
        └── CsrfRejected          a form's CSRF token does not match its session
"""

from carechain.accounts.audit import (
    AUDIT_ACTIONS,
    AUDIT_VERSION,
    OUTCOMES,
    Outcome,
    audit_event,
    filter_audit,
)
from carechain.accounts.breakglass import BREAK_GLASS_MS
from carechain.accounts.credentials import (
    FAST_FOR_TESTS,
    INTERACTIVE,
    HashCost,
    check_password,
    check_pin,
    provisioning_uri,
)
from carechain.accounts.errors import (
    AccountLocked,
    CsrfRejected,
    LoginFailed,
    SecondFactorRequired,
)
from carechain.accounts.models import NodeRole, Person, Role, SecretKind, Session
from carechain.accounts.roles import (
    ACTIONS,
    NODE_ROLES,
    PERMISSIONS,
    ROLES,
    ROLES_ON_NODE,
    can,
    require,
)
from carechain.accounts.service import LOCK_MS, MAX_FAILURES
from carechain.accounts.sessions import SESSION_POLICIES, SessionPolicy, check_csrf
from carechain.accounts.store import AccountStore

__all__ = [
    "ACTIONS",
    "AUDIT_ACTIONS",
    "AUDIT_VERSION",
    "BREAK_GLASS_MS",
    "FAST_FOR_TESTS",
    "INTERACTIVE",
    "LOCK_MS",
    "MAX_FAILURES",
    "NODE_ROLES",
    "OUTCOMES",
    "PERMISSIONS",
    "ROLES",
    "ROLES_ON_NODE",
    "SESSION_POLICIES",
    "AccountLocked",
    "AccountStore",
    "CsrfRejected",
    "HashCost",
    "LoginFailed",
    "NodeRole",
    "Outcome",
    "Person",
    "Role",
    "SecondFactorRequired",
    "SecretKind",
    "Session",
    "SessionPolicy",
    "audit_event",
    "can",
    "check_csrf",
    "check_password",
    "check_pin",
    "filter_audit",
    "provisioning_uri",
    "require",
]
