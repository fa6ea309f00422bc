"""`carechain serve --mllp-port`: a served crew node answers a monitor over MLLP; the
option is refused on a node that is not a crew node."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from carechain.devices import frame
from carechain.testing import make_node, make_trust

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hl7" / "ihe-pcd01-e11-physio-monitor.hl7"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(home: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "carechain", "serve", "--dir", str(home), "--port",
         str(_free_port()), "--secret", "operator-secret", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())


def test_a_served_crew_node_answers_a_monitor(tmp_path: Path) -> None:
    make_node(tmp_path / "crew", make_trust(tmp_path / "trust")).close()
    port = _free_port()
    process = _serve(tmp_path / "crew", "--mllp-port", str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline, "the listener did not open"
                time.sleep(0.1)
        with sock:
            sock.sendall(frame(FIXTURE.read_bytes()))
            answer = b""
            while not answer.endswith(b"\x1c\r"):
                chunk = sock.recv(4096)
                assert chunk
                answer += chunk
        # Nothing is attached on a fresh node: refused with the reason, nothing stored.
        assert b"MSA|AE|HP0122182658686QQ000CND119C0WS61|" in answer
        assert b"not attached" in answer
    finally:
        process.terminate()
        process.wait(20)


def test_the_listener_is_for_crew_nodes(tmp_path: Path) -> None:
    make_node(tmp_path / "hub", make_trust(tmp_path / "trust"), role="hub", name="hub-1").close()
    process = _serve(tmp_path / "hub", "--mllp-port", str(_free_port()))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert b"--mllp-port is for crew nodes" in err
