"""Processes for the sync crash test: a crew that documents and syncs, a hospital that
pulls. Each prints one line per acknowledged entry and is killed at random."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from carechain.errors import CarechainError
from carechain.node import Node
from carechain.sync.client import sync_with


def _round(node: Node, url: str) -> None:
    try:
        with httpx.Client(base_url=url, timeout=5.0) as http:
            sync_with(node, http)
    except (httpx.HTTPError, CarechainError, OSError):
        pass  # the hub may be down: keep documenting, try again later


def crew(path: Path, secret: str, url: str) -> None:
    """Document notes in a record addressed to the hospital, syncing every few entries."""
    node = Node.open(path, secret)
    # A job stood down before any hospital was chosen: its record is never addressed and
    # must never reach the hospital (as a crew killed between the two steps below leaves).
    node.open_record(user="P1", data={"callsign": "RRV-1"})
    record, stored = node.open_record(user="P1", data={"callsign": "RRV-1"})
    node.address_to(record=record, user="P1", node_name="hospital-a")
    print(stored.entry.hex, flush=True)
    n = 0
    while True:
        n += 1
        stored = node.append(
            record=record, user="P1", kind="note.added", data={"text": f"note {n}"}
        )
        print(stored.entry.hex, flush=True)
        if n % 4 == 0:
            _round(node, url)


def hospital(path: Path, secret: str, url: str) -> None:
    """Pull from the hub over and over."""
    node = Node.open(path, secret)
    print("up", flush=True)
    while True:
        _round(node, url)
        time.sleep(0.02)


if __name__ == "__main__":
    role, where, secret, hub = sys.argv[1:5]
    {"crew": crew, "hospital": hospital}[role](Path(where), secret, hub)
