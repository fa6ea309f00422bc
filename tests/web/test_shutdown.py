"""A served hospital exits promptly on SIGTERM while a dashboard stream is open (issue 10
item 8): before, uvicorn waited for every open event stream, up to its five-minute life."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from carechain.demo.cases import chest_pain_stemi
from carechain.testing import Trust
from tests.web.hospital_support import CLINICIAN, PASSWORD, make_ward

EXIT_BOUND_S = 10.0  # generous: it takes well under a second here


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the node did not start"
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the node did not answer")


@pytest.mark.parametrize("open_path", ["events", "board"])
def test_sigterm_ends_a_served_hospital_with_an_open_stream(
        tmp_path: Path, trust: Trust, open_path: str) -> None:
    ward = make_ward(tmp_path, trust)
    record = ward.document(chest_pain_stemi())
    ward.deliver()
    ward.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "carechain", "serve", "--dir", str(tmp_path / "h"),
         "--port", str(port), "--secret", "operator-secret"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_up(url, process)
        client = httpx.Client(base_url=url, timeout=60)
        r = client.post("/login", data={"staff_id": CLINICIAN, "secret": PASSWORD})
        assert r.status_code in (200, 303) and client.cookies
        path = (f"/hospital/records/{record.hex()}/events" if open_path == "events"
                else "/hospital/api/incoming?since=none&wait=25")
        opened = threading.Event()
        ended = threading.Event()

        def hold_open() -> None:
            try:
                if open_path == "board":  # a long poll that answers at once on a new version
                    version = client.get("/hospital/api/incoming").json()["version"]
                    opened.set()
                    client.get(f"/hospital/api/incoming?since={version}&wait=25")
                else:
                    with client.stream("GET", path) as stream:
                        for _ in stream.iter_lines():
                            opened.set()
            except httpx.HTTPError:
                pass
            finally:
                ended.set()

        threading.Thread(target=hold_open, daemon=True).start()
        assert opened.wait(10), "the stream did not open"
        time.sleep(0.5)  # the stream is now waiting for new entries
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(EXIT_BOUND_S)
        assert time.monotonic() - started < EXIT_BOUND_S
        assert code == 128 + signal.SIGTERM  # through its clean-up, as a SIGTERM'd process
        assert ended.wait(2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
