"""Scheduled backups: a thread of the serving node takes one every interval, keeps the
newest few, and records the last result in the store's `meta` for the admin console.

    meta "backup:schedule"  JSON {"every_s", "dir", "keep"}: what this node was started with
    meta "backup:last"      JSON {"at_ms", "ok", "file", "error", "entries", "meta",
                            "accounts", "last_seq", "bytes", "seconds"}: the last attempt
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carechain.backup.create import create_backup
from carechain.errors import CarechainError, FieldInvalid
from carechain.node import Node

__all__ = [
    "LAST_KEY",
    "SCHEDULE_KEY",
    "BackupScheduler",
    "backup_name",
    "last_backup",
    "parse_interval",
    "schedule_of",
]

LAST_KEY = "backup:last"
SCHEDULE_KEY = "backup:schedule"
SUFFIX = ".ccbk"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_log = logging.getLogger(__name__)


def parse_interval(text: str) -> float:
    """Return seconds from `90s`, `30m`, `6h`, `1d` or a plain number of seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not found:
        raise FieldInvalid("backup_every_s", "give an interval such as 6h, 30m, 90s or 1d")
    return float(found.group(1)) * _UNITS[found.group(2) or "s"]


def backup_name(node: str, at_ms: int) -> str:
    """Return the file name of a scheduled backup taken at `at_ms` (sorts by time)."""
    stamp = datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{node}-{stamp}{at_ms % 1000:03d}Z{SUFFIX}"


def _read(node: Node, key: str) -> dict[str, Any] | None:
    raw = node.store.get_meta(key)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def last_backup(node: Node) -> dict[str, Any] | None:
    """Return the last scheduled backup's result, as recorded in meta."""
    return _read(node, LAST_KEY)


def schedule_of(node: Node) -> dict[str, Any] | None:
    """Return the backup schedule the node was last served with."""
    return _read(node, SCHEDULE_KEY)


class BackupScheduler:
    """Take a backup of a serving node every `every_s` seconds into `directory`."""

    def __init__(
        self, node: Node, home: Path, directory: Path, *, every_s: float, keep: int
    ) -> None:
        self.node = node
        self.home = home
        self.directory = directory
        self.every_s = every_s
        self.keep = keep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Record the schedule and start the thread (the first backup after one interval)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        schedule = {"every_s": self.every_s, "dir": str(self.directory), "keep": self.keep}
        self.node.store.set_meta(SCHEDULE_KEY, json.dumps(schedule).encode())
        self._thread = threading.Thread(target=self._run, name="carechain-backup", daemon=True)
        self._thread.start()

    @staticmethod
    def unschedule(node: Node) -> None:
        """Record that this node now runs without scheduled backups (if it had them)."""
        if node.store.get_meta(SCHEDULE_KEY) is not None:
            node.store.set_meta(SCHEDULE_KEY, b"{}")

    def stop(self) -> None:
        """Stop the thread (a backup under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()

    def run_once(self) -> dict[str, Any]:
        """Take one backup now, prune old ones, record and return the result."""
        at = self.node.clock_ms()
        out = self.directory / backup_name(self.node.info.name, at)
        started = time.monotonic()
        result: dict[str, Any] = {"at_ms": at, "ok": False, "file": out.name}
        try:
            made = create_backup(self.node, self.home, out, now_ms=at)
            m = made.manifest
            result.update(
                ok=True,
                entries=m["entries"],
                meta=m["meta"],
                accounts=m["accounts"],
                last_seq=m["last_seq"],
                bytes=made.bytes,
            )
            self._prune()
        except (CarechainError, OSError) as exc:
            result["error"] = exc.detail if isinstance(exc, CarechainError) else str(exc)
            _log.error("scheduled backup failed: %s", result["error"])
        result["seconds"] = round(time.monotonic() - started, 3)
        try:
            self.node.store.set_meta(LAST_KEY, json.dumps(result).encode())
        except CarechainError as exc:
            _log.error("cannot record the backup result: %s", exc.detail)
        return result

    def _prune(self) -> None:
        """Keep the newest `keep` backups of this node in the directory."""
        mine = sorted(self.directory.glob(f"{self.node.info.name}-*{SUFFIX}"))
        for old in mine[: max(0, len(mine) - self.keep)]:
            old.unlink(missing_ok=True)
