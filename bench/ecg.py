"""12-lead ECGs: how long each format takes to parse, and what drawing the 12-lead view
costs (the SVG's polylines: points and bytes), for the three fixtures; then, with
`--chain`, how long a 1 MB ECG takes to reach the hospital after it is attached, and to
show on the board's card once a STEMI pre-alert names it.

    .venv/bin/python bench/ecg.py [--repeat 5] [--chain] [--interval 0.5]

Parsing and drawing run in-process, no server; `--chain` runs the demo chain (every node a
real server on 127.0.0.1) in a temporary folder. Wall-clock figures, for
docs/benchmarks.md only.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.attachments import CREW, ED_PASSWORD, HOSPITAL, PIN, _login

from carechain.accounts import FAST_FOR_TESTS
from carechain.demo.cases import chest_pain_stemi
from carechain.demo.chain import DemoChain
from carechain.demo.ecg import simulated_stemi_dicom
from carechain.operations import records
from carechain.operations.actor import Actor
from carechain.operations.door import Door
from carechain.records.ecg import parse
from carechain.web.hospital.ecgs import paper

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ecg"
FILES = ("waveform_ecg.dcm", "minimum_aecg.xml", "sierra_1-04.xml")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--repeat", type=int, default=5)
    args.add_argument("--chain", action="store_true", help="also time a 1 MB ECG's journey")
    args.add_argument("--interval", type=float, default=0.5, help="sync interval, s")
    parsed = args.parse_args()
    repeat = parsed.repeat
    for name in FILES:
        content = (FIXTURES / name).read_bytes()
        parse_ms, draw_ms = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            ecg = parse(content)
            parse_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            drawing = paper(ecg)
            draw_ms.append((time.perf_counter() - start) * 1000)
        polylines = [lead["points"] for row in drawing["rows"] for lead in row["leads"]]
        points = sum(len(p.split()) for p in polylines if p)
        size = sum(len(p) for p in polylines)
        print(f"{name}: {len(content) / 1024:.0f} KB, {ecg.format}, {len(ecg.leads)} leads at "
              f"{ecg.sample_rate_hz:.0f} Hz; parse median {statistics.median(parse_ms):.1f} ms; "
              f"draw median {statistics.median(draw_ms):.1f} ms, {points} points, "
              f"{size / 1024:.0f} KB of SVG points")
    if parsed.chain:
        _chain(parsed.interval, repeat)


def _chain(interval: float, runs: int) -> None:
    """A simulated 1 MB DICOM 12-lead attached on the crew's tablet over HTTP: the time until
    the hospital draws it, and until the board's card links it once a STEMI pre-alert is
    written (through the door) right after the upload's answer."""
    content = simulated_stemi_dicom(seconds=87.0)
    with tempfile.TemporaryDirectory() as folder:
        chain = DemoChain(Path(folder), interval=interval, cost=FAST_FOR_TESTS)
        chain.start()
        try:
            crew, hospital = chain.nodes[CREW], chain.nodes[HOSPITAL]
            while not any(c.name == HOSPITAL for c in crew.node.directory.nodes("hospital")):
                time.sleep(0.1)
            with httpx.Client(base_url=crew.url, timeout=60, follow_redirects=True) as tablet, \
                    httpx.Client(base_url=hospital.url, timeout=60,
                                 follow_redirects=True) as ed:
                _login(tablet, "P100234", PIN)
                _login(ed, "ED4411", ED_PASSWORD)
                for _ in range(runs):
                    _journey(chain, tablet, ed, content)
        finally:
            chain.stop()


def _journey(chain: DemoChain, tablet: httpx.Client, ed: httpx.Client, content: bytes) -> None:
    crew = chain.nodes[CREW]
    case = chest_pain_stemi()
    record, _ = crew.node.open_record(user="P100234", data=case.opened)
    for kind, data in case.at(datetime.now(UTC) - timedelta(minutes=30)):
        if kind != "disposition.recorded":
            crew.node.append(record=record, user="P100234", kind=kind, data=data)
    page = tablet.get(f"/crew/records/{record.hex()}/attachments").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    start = time.perf_counter()
    r = tablet.post(f"/crew/attachments/{record.hex()}/ecg", data={"csrf": csrf.group(1)},
                    files={"ecg": ("stemi.dcm", content, "application/octet-stream")})
    attached_s = time.perf_counter() - start
    found = re.search(r"added=([0-9a-f]{32})", str(r.url))
    assert found, r.text[:500]
    door = Door(crew.node, crew.accounts)
    with door.unit() as uow:
        records.append(door, Actor.person(crew.accounts.person("P100234"), "json"), uow,
                       record=record, kind="disposition.recorded",
                       data={"outcome": "conveyed", "hospital_node": HOSPITAL,
                             "pre_alert": True, "pre_alert_category": "stemi"})
    url = f"/hospital/records/{record.hex()}/ecgs/{found.group(1)}"
    drawn_s = card_s = None
    while drawn_s is None or card_s is None:
        if drawn_s is None and ed.get(url).status_code == 200:
            drawn_s = time.perf_counter() - start
        if card_s is None and url in ed.get("/hospital").text:
            card_s = time.perf_counter() - start
        time.sleep(0.05)
    print(f"{len(content) / 1024 / 1024:.2f} MB DICOM ECG: attached in {attached_s:.2f} s; "
          f"drawn at the hospital {drawn_s:.2f} s and on the board's STEMI card "
          f"{card_s:.2f} s after the upload began")


if __name__ == "__main__":
    main()
