"""Bulk FHIR export: resources per second, folding included, from a vault-like node.

    .venv/bin/python bench/export_bulk.py [--records 200]

Documents the demo cases on one node (records alternate between the two cases), then times
`carechain export fhir --bulk`'s work: fold each record (`Node.state`), build its resources
and write NDJSON. Prints records/s and resources/s for the fold + build + write, and for
build + write alone (states already folded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from carechain.demo import chest_pain_stemi, motorcyclist_femur
from carechain.exports.fhir.bulk import write_ndjson
from carechain.exports.source import signers_of
from carechain.node import Node
from carechain.testing import make_node, make_trust


def bulk_figures(node: Node, records: list[bytes], out: Path) -> dict[str, float]:
    """Time bulk NDJSON export of `records` from `node` into `out`: fold + build + write,
    then build + write alone; return resources, records/s and resources/s of each."""
    started = time.perf_counter()
    counts = write_ndjson(((node.state(r), signers_of(node, r)) for r in records), out / "a")
    whole = time.perf_counter() - started
    states = [(node.state(r), signers_of(node, r)) for r in records]
    started = time.perf_counter()
    write_ndjson(states, out / "b")
    build = time.perf_counter() - started
    total = sum(counts.values())
    return {"records": len(records), "resources": total,
            "records_s": len(records) / whole, "resources_s": total / whole,
            "build_records_s": len(records) / build, "build_resources_s": total / build}


def print_bulk(f: dict[str, float]) -> None:
    """Print the figures `bulk_figures` returns."""
    print(f"{f['records']:.0f} records, {f['resources']:.0f} resources "
          f"({f['resources'] / f['records']:.0f} each)")
    print(f"fold + build + write: {f['records_s']:,.0f} records/s, "
          f"{f['resources_s']:,.0f} resources/s")
    print(f"build + write:        {f['build_records_s']:,.0f} records/s, "
          f"{f['build_resources_s']:,.0f} resources/s")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        node = make_node(root / "node", make_trust(root / "trust"), role="crew", name="bench")
        base = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
        records = []
        for i in range(args.records):
            case = (chest_pain_stemi, motorcyclist_femur)[i % 2]()
            record, _ = node.open_record(user="P100234", data=case.opened)
            for kind, data in case.at(base):
                node.append(record=record, user="P100234", kind=kind, data=data)
            records.append(record)
        print_bulk(bulk_figures(node, records, root))
        node.close()


if __name__ == "__main__":
    main()
