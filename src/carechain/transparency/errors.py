"""The errors the transparency package raises on purpose.

    TransparencyError             base of every deliberate transparency error
    ├── ProofError                an inclusion or consistency proof does not verify
    ├── HeadSignatureError        a signed tree head's signature does not verify
    └── LogMisbehaviour           two signed heads of one log cannot both be honest
        ├── LogRolledBack         the newer head is smaller than one already accepted
        └── LogForked             the newer head is not provably an extension of the older

Each class carries a stable `code` so the HTTP/problem-details layer can map it without
parsing messages. Misuse of the API (a negative size, a proof asked for past the end of
the tree) raises `ValueError` instead: that is a bug in the caller, not news about a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from carechain.transparency.heads import SignedTreeHead, TreeHead

__all__ = [
    "HeadSignatureError",
    "LogForked",
    "LogMisbehaviour",
    "LogRolledBack",
    "ProofError",
    "TransparencyError",
    "describe_head",
]


class TransparencyError(Exception):
    """Base of every deliberate transparency error."""

    code: ClassVar[str] = "transparency-error"


class ProofError(TransparencyError):
    """An inclusion or consistency proof does not verify; `reason` says which check failed."""

    code = "proof-invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HeadSignatureError(TransparencyError):
    """A signed tree head's signature does not verify under the log's key."""

    code = "head-signature-invalid"


def describe_head(head: TreeHead) -> str:
    """Return a short human description of a tree head: size, root prefix, timestamp."""
    return f"size {head.size} root {head.root.hex()[:16]}… at {head.timestamp_ms} ms"


class LogMisbehaviour(TransparencyError):
    """Two signed heads of one log that cannot both be honest; names both heads."""

    code = "log-misbehaviour"
    verdict: ClassVar[str] = "misbehaved"

    def __init__(self, old: SignedTreeHead, new: SignedTreeHead, reason: str) -> None:
        log = old.head.log_id.hex()[:16]
        super().__init__(
            f"log {log}… {self.verdict}: {reason}; "
            f"old head: {describe_head(old.head)}; new head: {describe_head(new.head)}"
        )
        self.old = old
        self.new = new
        self.reason = reason


class LogRolledBack(LogMisbehaviour):
    """The newer head is smaller than a head of the same log already accepted."""

    code = "log-rolled-back"
    verdict = "rolled back"


class LogForked(LogMisbehaviour):
    """The newer head is not provably an extension of the older one.

    `equivocation` is True when the two signed heads alone prove the fork (same size,
    different roots): that pair is portable evidence anyone can check. It is False when
    the log merely failed to prove consistency (a bad or missing proof).
    """

    code = "log-forked"
    verdict = "forked"

    def __init__(
        self,
        old: SignedTreeHead,
        new: SignedTreeHead,
        reason: str,
        *,
        equivocation: bool = False,
    ) -> None:
        super().__init__(old, new, reason)
        self.equivocation = equivocation
