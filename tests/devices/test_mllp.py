"""PCD-01 over a real MLLP socket on 127.0.0.1: every fixture, its ACK and what is stored;
a monitor that disconnects mid-frame, sends a message in pieces, oversizes or floods."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from carechain.devices import MllpListener, default_map, frame
from carechain.errors import Forbidden
from carechain.node.audit import read_audit
from carechain.operations import Actor
from tests.devices.conftest import ACME, OURS, PHILIPS, Crew

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hl7"


_UNREAD: dict[int, bytes] = {}  # bytes past the last ACK read, per open socket


def _connect(crew: Crew) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", crew.listener.port), timeout=10)
    _UNREAD.pop(sock.fileno(), None)  # left by an earlier socket with the same number
    return sock


def _read_ack(sock: socket.socket) -> dict[str, str]:
    """Read the next MLLP-framed ACK; several may arrive in one read when the test is slow
    to read them, so what follows one is kept for the next call."""
    data = _UNREAD.pop(sock.fileno(), b"")
    while b"\x1c\r" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before an ACK")
        data += chunk
    end = data.index(b"\x1c\r") + 2
    data, rest = data[:end], data[end:]
    if rest:
        _UNREAD[sock.fileno()] = rest
    assert data.startswith(b"\x0b")
    segments = {line.split("|")[0]: line for line in data[1:-2].decode().split("\r") if line}
    msa = segments["MSA"].split("|")
    return {"code": msa[1], "control": msa[2], "text": msa[3] if len(msa) > 3 else "",
            "err": segments.get("ERR", "")}


def _send(crew: Crew, name: str) -> dict[str, str]:
    with _connect(crew) as sock:
        sock.sendall(frame((FIXTURES / name).read_bytes()))
        return _read_ack(sock)


# fixture → (ACK code, the frames it stores: fields each must carry)
CASES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "ihe-pcd01-e11-physio-monitor.hl7": ("AA", [{
        "systolic_bp": 117, "diastolic_bp": 82, "heart_rate": 80, "respiratory_rate": 30,
        "spo2": 99, "source": PHILIPS}]),
    "ihe-pcd01-e12-episodic.hl7": ("AA", [{
        "systolic_bp": 111, "diastolic_bp": 60, "heart_rate": 63, "source": ACME,
        "at": "2011-06-02T04:58:42+00:00"}]),
    "variant-flattened.hl7": ("AA", [{"heart_rate": 112, "spo2": 91, "respiratory_rate": 24}]),
    "variant-no-pid.hl7": ("AA", [{"spo2": 94, "at": "2026-12-03T10:15:00+00:00"}]),
    "variant-ucum-units.hl7": ("AA", [{"systolic_bp": 120, "diastolic_bp": 75,
                                       "etco2_kpa": 5.07, "heart_rate": 101}]),
    "variant-several-obr.hl7": ("AA", [
        {"heart_rate": 100, "at": "2026-12-03T10:14:00+00:00"},
        {"heart_rate": 104, "at": "2026-12-03T10:14:30+00:00"},
        {"heart_rate": 108, "at": "2026-12-03T10:15:00+00:00"}]),
    "variant-unknown-code.hl7": ("AA", [{"heart_rate": 99}]),
    "variant-only-unknown.hl7": ("AE", []),
    "variant-wrong-unit.hl7": ("AE", []),
    "variant-clock-ahead.hl7": ("AE", []),  # the monitor's clock says 2099: not stored
    "variant-out-of-range.hl7": ("AE", []),
    "variant-not-oru.hl7": ("AR", []),
    "variant-garbage.hl7": ("AR", []),
}


def test_every_fixture_is_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.hl7")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_fixture_over_mllp(crew: Crew, name: str) -> None:
    code, expected = CASES[name]
    answer = _send(crew, name)
    assert answer["code"] == code, answer
    frames = crew.frames()
    assert len(frames) == len(expected)
    for got, want in zip(sorted(frames, key=lambda f: f["at"]), expected, strict=True):
        assert {k: got.get(k) for k in want} == want
        assert got["author"] == "P1"
    if code != "AA":
        assert answer["text"] and answer["err"].split("|")[4] == "E"


def test_the_ack_echoes_the_control_id_and_names_unknown_codes(crew: Crew) -> None:
    answer = _send(crew, "ihe-pcd01-e11-physio-monitor.hl7")
    assert answer["control"] == "HP0122182658686QQ000CND119C0WS61"
    warned = _send(crew, "variant-unknown-code.hl7")
    assert warned["control"] == "UNK1" and "MDC_MASS_BODY_ACTUAL" in warned["err"]
    assert warned["err"].split("|")[4] == "W"
    refused = _send(crew, "variant-wrong-unit.hl7")
    assert "MDC_PULS_OXIM_SAT_O2" in refused["text"]


def test_a_refused_message_stores_nothing_even_its_good_values(crew: Crew) -> None:
    # variant-out-of-range carries a good heart rate beside an impossible SpO2.
    assert _send(crew, "variant-out-of-range.hl7")["code"] == "AE"
    assert crew.frames() == []


def test_an_unattached_monitor_is_heard_but_not_stored(crew: Crew) -> None:
    crew.monitors.detach(crew.actor, OURS)
    answer = _send(crew, "variant-flattened.hl7")
    assert answer["code"] == "AE" and "not attached" in answer["text"]
    assert crew.frames() == []
    heard = {h.monitor: h for h in crew.monitors.recent()}
    assert OURS in heard and heard[OURS].sending_facility == "Carechain tests"
    crew.monitors.attach(crew.actor, crew.record, OURS)
    assert _send(crew, "variant-flattened.hl7")["code"] == "AA"
    assert len(crew.frames()) == 1


def test_attaching_needs_a_writer_and_is_audited(crew: Crew) -> None:
    attached = [e for e in read_audit(crew.node) if e["action"] == "device.attach"]
    assert {e["detail"]["monitor"] for e in attached} == {PHILIPS, ACME, OURS}
    assert {(e["staff_id"], e["record"]) for e in attached} == {("P1", crew.record.hex())}
    reader = Actor("person", "R1", "call_handler", "web", "R1")
    with pytest.raises(Forbidden):
        crew.monitors.attach(reader, crew.record, "another")
    assert crew.monitors.attachment("another") is None


def test_a_disconnect_mid_frame_stores_nothing_and_the_next_connection_works(
    crew: Crew,
) -> None:
    message = frame((FIXTURES / "variant-flattened.hl7").read_bytes())
    with _connect(crew) as sock:
        sock.sendall(message[: len(message) // 2])
    assert _send(crew, "variant-no-pid.hl7")["code"] == "AA"
    assert [f.get("spo2") for f in crew.frames()] == [94]


def test_a_message_sent_in_pieces_and_noise_between_frames(crew: Crew) -> None:
    message = frame((FIXTURES / "variant-flattened.hl7").read_bytes())
    with _connect(crew) as sock:
        sock.sendall(b"\r\n noise \r\n")
        for i in range(0, len(message), 7):
            sock.sendall(message[i:i + 7])
        assert _read_ack(sock)["code"] == "AA"
        sock.sendall(b"more noise" + frame((FIXTURES / "variant-no-pid.hl7").read_bytes()))
        assert _read_ack(sock)["code"] == "AA"
    assert len(crew.frames()) == 2


def test_an_unfinished_frame_is_dropped_after_the_idle_time(crew: Crew) -> None:
    with _connect(crew) as sock:
        sock.sendall(b"\x0bMSH|^~\\&|half")
        sock.settimeout(10)
        assert sock.recv(100) == b""  # the listener closed the silent connection
    assert crew.frames() == []


def test_an_oversized_message_is_refused_and_the_connection_closed(crew: Crew) -> None:
    with _connect(crew) as sock:
        sock.sendall(b"\x0bMSH|" + b"x" * (70 * 1024))
        answer = _read_ack(sock)
        assert answer["code"] == "AR" and "larger than" in answer["text"]
        assert sock.recv(100) == b""
    assert crew.frames() == []


def test_a_flood_is_answered_in_order_without_losing_a_message(crew: Crew) -> None:
    body = (FIXTURES / "variant-flattened.hl7").read_bytes()
    count = 40
    with _connect(crew) as sock:
        # Everything at once, without reading an ACK until the end: the listener reads
        # one message, answers it, then reads the next, so TCP holds the rest.
        sock.sendall(b"".join(frame(body.replace(b"|FLAT1|", f"|FL{i}|".encode()))
                              for i in range(count)))
        answers = [_read_ack(sock) for _ in range(count)]
    assert [a["control"] for a in answers] == [f"FL{i}" for i in range(count)]
    assert {a["code"] for a in answers} == {"AA"}
    assert len(crew.frames()) == count


def test_connections_beyond_the_limit_are_closed(crew: Crew) -> None:
    small = MllpListener(crew.monitors, default_map(), port=0, max_connections=1)
    small.start()
    try:
        with socket.create_connection(("127.0.0.1", small.port), timeout=10) as first:
            first.sendall(b"\x0b")
            with socket.create_connection(("127.0.0.1", small.port), timeout=10) as second:
                assert second.recv(100) == b""
    finally:
        small.stop()
