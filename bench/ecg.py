"""12-lead ECGs: how long each format takes to parse, and what drawing the 12-lead view
costs (the SVG's polylines: points and bytes), for the three fixtures.

    .venv/bin/python bench/ecg.py [--repeat 5]

In-process, no server; wall-clock figures, for docs/benchmarks.md only. Transport is that
of any attachment (bench/attachments.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from carechain.records.ecg import parse
from carechain.web.hospital.ecgs import paper

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ecg"
FILES = ("waveform_ecg.dcm", "minimum_aecg.xml", "sierra_1-04.xml")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--repeat", type=int, default=5)
    repeat = args.parse_args().repeat
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


if __name__ == "__main__":
    main()
