"""Verifiable backups of a node (DESIGN P5): create while serving, verify without the
operator secret, restore into a new data directory on either engine, all or nothing.

See docs/backup.md for the file format, who can open a backup and what verify proves.
"""

from carechain.backup._check import BackupInfo, KeyOpener, node_dir_opener, own_keys_opener
from carechain.backup._format import BackupReader
from carechain.backup.create import BackupResult, create_backup, recipients
from carechain.backup.errors import (
    BackupCorrupt,
    BackupError,
    BackupForeign,
    BackupSealed,
    BackupTruncated,
    RestoreTargetNotEmpty,
)
from carechain.backup.restore import RESTORED_KEY, RestoreResult, restore_backup
from carechain.backup.verify import VerifyReport, verify_backup

__all__ = [
    "RESTORED_KEY",
    "BackupCorrupt",
    "BackupError",
    "BackupForeign",
    "BackupInfo",
    "BackupReader",
    "BackupResult",
    "BackupSealed",
    "BackupTruncated",
    "KeyOpener",
    "RestoreResult",
    "RestoreTargetNotEmpty",
    "VerifyReport",
    "create_backup",
    "node_dir_opener",
    "own_keys_opener",
    "recipients",
    "restore_backup",
    "verify_backup",
]
