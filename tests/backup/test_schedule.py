"""Scheduled backups: taken in the background, the newest kept, the last result recorded
in meta and shown on the hub's admin console; the serve settings that start them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carechain.backup import verify_backup
from carechain.backup.schedule import (
    LAST_KEY,
    BackupScheduler,
    backup_name,
    last_backup,
    parse_interval,
)
from carechain.config import Settings
from carechain.errors import FieldInvalid
from carechain.testing import Trust
from tests.backup.support import SECRET, World
from tests.web.test_admin_support import by_testid, close, console_site, login_admin


@pytest.mark.parametrize(("text", "seconds"), [
    ("6h", 21_600), ("30m", 1800), ("90s", 90), ("1d", 86_400), ("45", 45), ("0.5h", 1800),
])
def test_intervals_are_read_the_way_operators_write_them(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "6x", "h", "-1h", "1 hour"])
def test_an_unreadable_interval_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        parse_interval(text)
    assert caught.value.field == "backup_every_s"


@pytest.mark.parametrize(("every", "directory", "keep", "field"), [
    (3600.0, None, 7, "backup_every_s"),
    (None, Path("b"), 7, "backup_every_s"),
    (0.5, Path("b"), 7, "backup_every_s"),
    (31 * 86_400.0, Path("b"), 7, "backup_every_s"),
    (3600.0, Path("b"), 0, "backup_keep"),
])
def test_backup_settings_are_checked(every: float | None, directory: Path | None, keep: int,
                                     field: str) -> None:
    with pytest.raises(FieldInvalid) as caught:
        Settings(data_dir=Path("n"), backup_every_s=every, backup_dir=directory,
                 backup_keep=keep)
    assert caught.value.field == field


def test_the_scheduler_keeps_the_newest_and_records_the_last(world: World,
                                                             tmp_path: Path) -> None:
    scheduler = BackupScheduler(world.node, world.home, tmp_path / "backups", every_s=0.2,
                                keep=2)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = last_backup(world.node)
            if done is not None and len(list((tmp_path / "backups").iterdir())) >= 2:
                made = sorted((tmp_path / "backups").iterdir())
                if len(made) == 2 and done["file"] == made[-1].name:
                    break
            time.sleep(0.1)
        third = scheduler.run_once()
    finally:
        scheduler.stop()
    files = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert len(files) == 2 and files[-1] == third["file"]
    assert third["ok"] and third["entries"] == world.node.store.count()
    assert json.loads(world.node.store.get_meta(LAST_KEY) or b"{}")["file"] == third["file"]
    assert verify_backup(tmp_path / "backups" / files[-1], world.trust.root.public).ok


def test_a_failed_backup_is_recorded_with_its_error(world: World, tmp_path: Path) -> None:
    blocker = tmp_path / "backups"
    scheduler = BackupScheduler(world.node, world.home, blocker, every_s=3600, keep=2)
    scheduler.start()
    scheduler.stop()
    blocker.rmdir()
    blocker.write_text("a file where the backups should go")  # refused even to root

    result = scheduler.run_once()

    assert not result["ok"] and "Not a directory" in result["error"]
    assert last_backup(world.node) == result


def test_names_sort_by_time() -> None:
    names = [backup_name("hub", ms) for ms in (1_700_000_000_999, 1_700_000_001_000,
                                                1_700_000_060_000)]
    assert names == sorted(names) and names[0] == "hub-20231114T221320999Z.ccbk"


def test_the_admin_console_shows_the_schedule_and_the_last_backup(tmp_path: Path,
                                                                  trust: Trust) -> None:
    site = console_site(tmp_path / "hub", trust)
    try:
        login_admin(site)
        assert "no-backups" in site.client.get("/admin").text
        scheduler = BackupScheduler(site.node, tmp_path / "hub", tmp_path / "backups",
                                    every_s=6 * 3600, keep=7)
        scheduler.start()
        scheduler.stop()
        page = site.client.get("/admin").text
        assert by_testid(page, "backup-schedule").startswith("every 6h, keeping 7 in")
        assert by_testid(page, "backup-last") == "none yet"

        result = scheduler.run_once()

        page = site.client.get("/admin").text
        assert 'data-ok="true"' in page and by_testid(page, "backup-file") == result["file"]
        assert by_testid(page, "backup-counts").startswith(
            f"{site.node.store.count()} entries (to seq {result['last_seq']})")

        BackupScheduler.unschedule(site.node)  # served again without --backup-every

        page = site.client.get("/admin").text
        assert by_testid(page, "backup-schedule") == "not scheduled"
        assert by_testid(page, "backup-file") == result["file"]
    finally:
        close(site)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_takes_backups_in_the_background(world: World, tmp_path: Path) -> None:
    world.node.close()
    args = [sys.executable, "-m", "carechain", "serve", "--dir", str(world.home), "--port",
            str(_free_port()), "--backup-every", "1s", "--backup-dir",
            str(tmp_path / "backups"), "--backup-keep", "2", "--secret", SECRET]
    if world.database:
        args += ["--database", world.database]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(seen) < 3:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            seen.update(p.name for p in (tmp_path / "backups").glob("*.ccbk"))
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    kept = sorted((tmp_path / "backups").glob("*.ccbk"))
    assert len(seen) >= 3 and len(kept) == 2  # pruned to --backup-keep
    assert verify_backup(kept[-1], world.trust.root.public).ok
    node = world.reopen()
    assert json.loads(node.store.get_meta(LAST_KEY) or b"{}")["ok"] is True
