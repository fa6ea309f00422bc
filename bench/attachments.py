"""Attachments over the running chain: how long a photo of 1 MB and of 10 MB takes to
attach on the crew's tablet (an HTTP upload, through the door), to become readable whole
at the hospital (crew → hub → hospital over real sync), and what it adds to reading the
record's page on the tablet afterwards (its chunks are decrypted with every fold).

    .venv/bin/python bench/attachments.py [--sizes 1,10] [--interval 0.5]

Runs the demo chain (every node a real server on 127.0.0.1) in a temporary folder.
Prints one line per size; wall-clock figures, for docs/benchmarks.md only.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from carechain.accounts import FAST_FOR_TESTS
from carechain.demo.cases import chest_pain_stemi
from carechain.demo.chain import DemoChain
from carechain.sync.heads import HeadKeeper

CREW, HOSPITAL = "crew-ambulance-412", "hospital-essex-cardiothoracic"
PIN, ED_PASSWORD = "482913", "emergency dept demo 23"


def _jpeg_of(size: int) -> bytes:
    """A real JPEG of `size` bytes: a small image of noise, padded to size with comment
    segments (each at most 65,533 bytes) before its image data."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(out, "JPEG")
    small = out.getvalue()
    body, padding = small[2:], b""
    while len(padding) + len(small) < size:
        chunk = os.urandom(min(65_533, size - len(small) - len(padding) - 4))
        padding += b"\xff\xfe" + (len(chunk) + 2).to_bytes(2, "big") + chunk
    return (b"\xff\xd8" + padding + body)[:max(size, len(small))]


def _login(client: httpx.Client, staff_id: str, secret: str) -> None:
    client.get("/login")
    r = client.post("/login", data={"staff_id": staff_id, "secret": secret, "totp": "",
                                    "next": "/"})
    r.raise_for_status()


def _page_ms(client: httpx.Client, path: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,10", help="file sizes in MB, comma-separated")
    parser.add_argument("--interval", type=float, default=0.5, help="sync interval, s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        chain = DemoChain(Path(folder), interval=args.interval, cost=FAST_FOR_TESTS)
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
                for mb in (float(s) for s in args.sizes.split(",")):
                    _one(chain, tablet, ed, int(mb * 1024 * 1024) - 1024)
            for name, demo in chain.nodes.items():
                for alert in HeadKeeper(demo.node.store, demo.node.directory).alerts():
                    print(f"ALERT on {name}: {alert.to_dict()}")
        finally:
            chain.stop()


def _one(chain: DemoChain, tablet: httpx.Client, ed: httpx.Client, size: int) -> None:
    node = chain.nodes[CREW].node
    case = chest_pain_stemi()
    record, _ = node.open_record(user="P100234", data=case.opened)
    for kind, data in case.at(datetime.now(UTC) - timedelta(minutes=30)):
        if kind == "disposition.recorded":
            data = {**data, "hospital_node": HOSPITAL}
        node.append(record=record, user="P100234", kind=kind, data=data)
    page = f"/crew/records/{record.hex()}/attachments"
    before_ms = _page_ms(tablet, f"/crew/records/{record.hex()}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', tablet.get(page).text)
    assert csrf
    content = _jpeg_of(size)
    start = time.perf_counter()
    r = tablet.post(f"/crew/attachments/{record.hex()}",
                    data={"csrf": csrf.group(1), "category": "wound"},
                    files={"photo": ("big.jpg", content, "image/jpeg")})
    attached_s = time.perf_counter() - start
    found = re.search(r"added=([0-9a-f]{32})", str(r.url))
    assert found, r.text[:500]
    path = f"/hospital/records/{record.hex()}/attachments/{found.group(1)}"
    while True:
        got = ed.get(path)
        if got.status_code == 200:
            assert got.content == content
            break
        time.sleep(0.05)
    whole_s = time.perf_counter() - start
    after_ms = _page_ms(tablet, f"/crew/records/{record.hex()}")
    print(f"{len(content) / 1024 / 1024:5.1f} MB: attached in {attached_s:.2f} s, "
          f"whole at the hospital {whole_s:.2f} s after the upload began; "
          f"crew record page {before_ms:.0f} ms before, {after_ms:.0f} ms after (median of 5)")


if __name__ == "__main__":
    main()
