"""The errors the backup package raises on purpose, children of `CarechainError`.

    CarechainError
    └── BackupError               a backup cannot be made, checked or restored
        ├── BackupTruncated       the file ends early: chunks, manifest or end mark missing
        ├── BackupCorrupt         bytes differ from what the signed manifest commits to
        ├── BackupForeign         another trust, another node, or a key the trust did not certify
        ├── BackupSealed          none of the keys the backup is sealed to is the caller's
        └── RestoreTargetNotEmpty the data directory or database to restore into holds data

A wrong operator secret is `KeyStoreLocked` (`keystore-locked`), as everywhere else.
"""

from __future__ import annotations

from carechain.errors import CarechainError

__all__ = [
    "BackupCorrupt",
    "BackupError",
    "BackupForeign",
    "BackupSealed",
    "BackupTruncated",
    "RestoreTargetNotEmpty",
]


class BackupError(CarechainError):
    """A backup cannot be made, checked or restored."""

    code = "backup-error"
    status = 422
    title = "Backup error"


class BackupTruncated(BackupError):
    """The file ends before its end mark: a chunk, the manifest or the end mark is missing."""

    code = "backup-truncated"
    title = "Backup file is truncated"


class BackupCorrupt(BackupError):
    """The file's bytes differ from what its signed manifest commits to, or do not decrypt."""

    code = "backup-corrupt"
    title = "Backup file is altered or damaged"


class BackupForeign(BackupError):
    """The backup is of another trust or another node, or signed by an uncertified key."""

    code = "backup-foreign"
    title = "Backup is not of this trust or node"


class BackupSealed(BackupError):
    """None of the keys the backup's content key is sealed to is the caller's."""

    code = "backup-sealed"
    status = 403
    title = "Backup is not sealed to this key"


class RestoreTargetNotEmpty(BackupError):
    """The data directory or database to restore into already holds data."""

    code = "restore-target-not-empty"
    status = 409
    title = "Restore target is not empty"
