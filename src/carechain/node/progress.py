"""Where a node keeps the state of its recovery work, for the admin console to read.

Three rows of the node's own `meta` (JSON, each replaced whole in one durable write, so a
reader never sees half of one), kept in the store the serving node already reads, on
either engine — a rebuild run by `carechain hub rebuild` while the hub serves writes the
rows the console shows, with no file or process of its own:

    recovery:rebuild       {"state": "running"|"complete"|"incomplete"|"failed",
                            "started_ms", "updated_ms", "done", "total", "placed",
                            "entries_per_s", "lost", "heads", "heads_proven", "error"}
    recovery:restore       {"at_ms", "file", "node", "entries", "seconds", "entries_per_s"}
                           written by `carechain backup restore` into the restored store
    recovery:verification  the last signed independent verification report an admin filed
                           {"document": {report, signer, signature}, "filed_ms", "filed_by"}
"""

from __future__ import annotations

import json
from typing import Any

from carechain.errors import CarechainError
from carechain.store import Store

__all__ = [
    "REBUILD_KEY",
    "RESTORE_KEY",
    "VERIFICATION_KEY",
    "encode_status",
    "read_status",
    "write_status",
]

REBUILD_KEY = "recovery:rebuild"
RESTORE_KEY = "recovery:restore"
VERIFICATION_KEY = "recovery:verification"


def encode_status(status: dict[str, Any]) -> bytes:
    """Return a status row's stored value."""
    return json.dumps(status, sort_keys=True).encode()


def write_status(store: Store, key: str, status: dict[str, Any]) -> None:
    """Durably replace one status row."""
    store.set_meta(key, encode_status(status))


def read_status(store: Store, key: str) -> dict[str, Any] | None:
    """Return one status row, or None if there is none (or it cannot be read)."""
    try:
        raw = store.get_meta(key)
    except CarechainError:
        return None
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
