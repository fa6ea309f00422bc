"""A writer for the crash test: appends entries and prints each id once it is acknowledged."""

from __future__ import annotations

import sys
from pathlib import Path

from carechain.node import Node


def main() -> None:
    """Open a record, then append notes forever, printing each acknowledged id."""
    node = Node.open(Path(sys.argv[1]), sys.argv[2])
    record, stored = node.open_record(user="P1", data={"callsign": "RRV-1"})
    print(stored.entry.hex, flush=True)
    n = 0
    while True:
        n += 1
        stored = node.append(
            record=record, user="P1", kind="note.added", data={"text": f"note {n}"}
        )
        print(stored.entry.hex, flush=True)


if __name__ == "__main__":
    main()
