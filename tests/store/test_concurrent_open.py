"""Two processes sharing a data directory may open a new SQLite file at the same moment (two
hub processes started together): each migration runs once, and neither fails."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from carechain.accounts._db import MIGRATIONS as ACCOUNT_MIGRATIONS
from carechain.accounts._db import SqliteDatabase
from carechain.store.sqlite import MIGRATIONS, SqliteStore, connect_sqlite

OPENERS: dict[str, tuple[Callable[[Path], object], int]] = {
    "store": (SqliteStore, len(MIGRATIONS)),
    "accounts": (SqliteDatabase, len(ACCOUNT_MIGRATIONS)),
}


@pytest.mark.parametrize("what", list(OPENERS))
def test_a_new_file_opened_at_once_from_many_connections(tmp_path: Path, what: str) -> None:
    opener, versions = OPENERS[what]
    for trial in range(10):
        path = tmp_path / f"{what}-{trial}.db"
        start = threading.Barrier(6)
        errors: list[BaseException] = []

        def open_it(path: Path = path, start: threading.Barrier = start,
                    errors: list[BaseException] = errors) -> None:
            start.wait()
            try:
                opener(path)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        db = connect_sqlite(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == versions
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()
