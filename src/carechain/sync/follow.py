"""Follow a peer's live stream: receive, verify and store each new entry as it comes.

Resumes from the same per-peer cursor as pull, so a dropped connection loses nothing:
the next connection starts where the last stored page ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from carechain.entries import Entry, decode_entry
from carechain.node import Node
from carechain.node.replication import acknowledge
from carechain.sync.auth import sign_request
from carechain.sync.policy import allow_for
from carechain.sync.wire import decode_message

__all__ = ["follow"]

OnEntries = Callable[[list[Entry]], None]


def _store(node: Node, peer_key: str, entries: list[Entry], cursor: int) -> None:
    results = node.ingest(
        entries, allow=allow_for(node.store, node.info.role, node.keys.box_key_id)
    )
    acknowledge(node, [e for e, r in zip(entries, results, strict=True) if r.new])
    node.store.set_meta(f"pull:{peer_key}", str(cursor).encode())


async def follow(
    node: Node,
    base_url: str,
    peer_key: str,
    *,
    stop: asyncio.Event,
    on_entries: OnEntries | None = None,
) -> None:
    """Stream entries from the peer at base_url (http://host:port) until stop is set."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    while not stop.is_set():
        after = int(node.store.get_meta(f"pull:{peer_key}") or b"0")
        query = f"after={after}"
        headers = sign_request(node.keys, "GET", "/sync/v1/live", query, b"", node.clock_ms())
        uri = f"{scheme}://{parts.netloc}/sync/v1/live?{query}"
        # No per-message deflate: entries are ciphertext, which does not compress.
        async with connect(
            uri, additional_headers=headers, max_size=64 * 1024 * 1024, compression=None
        ) as ws:
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                message = decode_message(raw if isinstance(raw, bytes) else raw.encode())
                entries = [decode_entry(w) for _, w in message["entries"]]
                await asyncio.to_thread(_store, node, peer_key, entries, int(message["next"]))
                if on_entries is not None and entries:
                    on_entries(entries)
