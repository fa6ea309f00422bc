"""Bulk export: many records as NDJSON, one file per resource type (FHIR Bulk Data shape).

`write_ndjson(records, out_dir)` takes (state, signers) pairs lazily, so a vault can
export every record it holds without folding them all first; `progress` is called once
per record. Resources shared between records never are: every id is named from its own
record, so files can be concatenated and loaded as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from carechain.exports.fhir import Signer, record_resources
from carechain.exports.fhir._common import rest_ref

__all__ = ["write_ndjson"]


def write_ndjson(
    records: Iterable[tuple[dict[str, Any], Mapping[str, Signer]]],
    out_dir: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write every record's resources to `<Type>.ndjson` files; return the count per type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with ExitStack() as stack:
        files: dict[str, IO[str]] = {}
        for state, signers in records:
            for resource in record_resources(state, signers=signers, ref=rest_ref):
                kind = str(resource["resourceType"])
                out = files.get(kind)
                if out is None:
                    path = out_dir / f"{kind}.ndjson"
                    out = files[kind] = stack.enter_context(path.open("w", encoding="utf-8"))
                out.write(json.dumps(resource, separators=(",", ":"), ensure_ascii=False))
                out.write("\n")
                counts[kind] = counts.get(kind, 0) + 1
            if progress is not None:
                progress(1)
    return counts
