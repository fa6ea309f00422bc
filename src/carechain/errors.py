"""The error tree: every error carechain raises on purpose, each with a stable code.

    CarechainError
    ├── InvalidInput              the caller sent something that breaks a rule (4xx)
    │   ├── FieldInvalid          one named field breaks one named rule
    │   │   └── SearchParameterInvalid  a FHIR search parameter unknown or badly formed
    │   ├── UnknownKind           an entry kind that no schema describes
    │   ├── BodyTooLarge          the request or entry body is over the size limit
    │   ├── FormularyBreach       a medication breaks the formulary (maybe with a reason)
    │   └── MalformedEntry        bytes that do not decode as a canonical entry
    ├── NotFound                  no such record, entry or node
    ├── Forbidden                 the caller may not do this
    ├── EntryRejected             an entry failed verification and was not stored
    │   ├── BadEncoding           not the canonical encoding of itself
    │   ├── BadId                 the id does not match the content
    │   ├── BadSignature          the signature does not verify under the author's key
    │   ├── UnknownAuthor         no certificate from the trust root for the author key
    │   ├── CertificateInvalid    certificate not yet valid, expired, or wrongly signed
    │   ├── Revoked               the author key was revoked before the entry's time
    │   ├── RoleNotAllowed        the author's role may not write this (a hub writes no record)
    │   ├── BadParents            a parent is missing, or belongs to another record
    │   └── Undecryptable         a body this node should read does not decrypt
    ├── NotAuthenticated          no valid token or session; an unsigned sync request
    ├── KeyStoreLocked            the operator secret is missing or wrong
    └── StoreError                the local store refused an operation

Every class has a `code` (the last part of its RFC 9457 problem `type` URI) and an HTTP
status. `carechain.edge.problems` is the one place that turns these into HTTP answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://carechain.invalid/problems/"


class CarechainError(Exception):
    """Base of every deliberate carechain error."""

    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type_uri(self) -> str:
        """Return the stable problem type URI of this error."""
        return PROBLEM_BASE + self.code


class InvalidInput(CarechainError):
    code = "invalid-input"
    status = 422
    title = "Invalid input"


class FieldInvalid(InvalidInput):
    """One named field breaks one named rule."""

    code = "field-invalid"
    title = "A field breaks a rule"

    def __init__(self, field: str, rule: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{field}: {rule}", field=field, rule=rule)
        self.field = field
        self.rule = rule


class SearchParameterInvalid(FieldInvalid):
    """A FHIR search or read names a parameter the server does not take, or a bad value."""

    code = "search-parameter-invalid"
    status = 400
    title = "A search parameter is not valid"


class UnknownKind(InvalidInput):
    code = "unknown-kind"
    title = "Unknown entry kind"


class BodyTooLarge(InvalidInput):
    code = "body-too-large"
    status = 413
    title = "Body too large"


class FormularyBreach(InvalidInput):
    """A medication breaks formulary rules: refused, or allowed with an override reason."""

    code = "formulary-breach"
    title = "Medication breaks the formulary"


class MalformedEntry(InvalidInput):
    code = "malformed-entry"
    status = 400
    title = "Malformed entry"


class NotFound(CarechainError):
    code = "not-found"
    status = 404
    title = "Not found"


class Forbidden(CarechainError):
    code = "forbidden"
    status = 403
    title = "Forbidden"


class EntryRejected(CarechainError):
    code = "entry-rejected"
    status = 422
    title = "Entry rejected"


class BadEncoding(EntryRejected):
    code = "bad-encoding"
    title = "Entry is not canonically encoded"


class BadId(EntryRejected):
    code = "bad-id"
    title = "Entry id does not match its content"


class BadSignature(EntryRejected):
    code = "bad-signature"
    title = "Entry signature does not verify"


class UnknownAuthor(EntryRejected):
    code = "unknown-author"
    title = "Entry author is not certified by the trust"


class CertificateInvalid(EntryRejected):
    code = "certificate-invalid"
    title = "Author certificate is not valid at the entry's time"


class Revoked(EntryRejected):
    code = "revoked"
    title = "Author key was revoked before the entry's time"


class RoleNotAllowed(EntryRejected):
    code = "role-not-allowed"
    title = "The author's role may not write this entry"


class BadParents(EntryRejected):
    code = "bad-parents"
    title = "Entry parents are missing or belong to another record"


class Undecryptable(EntryRejected):
    code = "undecryptable"
    title = "Entry body does not decrypt"


class NotAuthenticated(CarechainError):
    """No valid bearer token or session, or a sync request not signed by a certified node."""

    code = "not-authenticated"
    status = 401
    title = "Not authenticated"


class KeyStoreLocked(CarechainError):
    code = "keystore-locked"
    status = 401
    title = "Key store is locked"


class StoreError(CarechainError):
    code = "store-error"
    status = 500
    title = "Store error"


def all_error_classes() -> list[type[CarechainError]]:
    """Return every error class in the tree, base first."""
    found: list[type[CarechainError]] = []
    pending: list[type[CarechainError]] = [CarechainError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
