"""The survivors of a lost hub: the nodes whose stores say where the hub's log held what.

A survivor is any node's data directory (a vault, a hospital, a crew node), with its store
(the directory's SQLite file, or a PostgreSQL URL). Its store is read, never written (its
schema is brought up to date if it is older), and no secret is needed: every entry is
signed, and the rebuilt hub checks each one as it takes it. From each survivor come

- the places it noted in the hub's log (`hub_positions`, noted by `sync.receive` for every
  entry it took from the hub, with the entry itself when it holds it);
- the places of the entries it pushed, from the hub's answers (`at-hub:<id>` marks);
- the heads of the hub's log it accepted (`head:<log>`) and those it was gossiped and
  has not checked yet (`pending:<log>:…`): what proves how long the log was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carechain.entries import Entry, decode_signed
from carechain.errors import CarechainError, InvalidInput
from carechain.node.home import NodeHome
from carechain.store import Positioned, SqliteStore, Store, open_store
from carechain.sync.wire import decode_head, decode_message
from carechain.transparency import HeadSignatureError, SignedTreeHead, log_id_from_key, verify_head
from carechain.trust import DIRECTORY_RECORD, Certificate, Directory

__all__ = [
    "PAGE",
    "Survivor",
    "decode_row",
    "held_heads",
    "node_location",
    "open_survivor",
]

PAGE = 20_000  # places read from a survivor at a time


@dataclass
class Survivor:
    """One surviving node's store, and what it knows of the lost hub's log."""

    name: str
    store: Store
    cert: Certificate
    heads: list[SignedTreeHead] = field(default_factory=list)
    refused_heads: list[str] = field(default_factory=list)

    def pushed(self, hub: str) -> list[tuple[int, bytes]]:
        """Return (position, entry id) of every entry this node pushed that the hub named
        `hub` acknowledged at a position, with an inclusion proof this node checked."""
        out: list[tuple[int, bytes]] = []
        for key, value in self.store.meta_items("at-hub:"):
            try:
                mark = decode_message(value)
                entry_id = bytes.fromhex(key.removeprefix("at-hub:"))
            except (CarechainError, ValueError):
                continue
            if mark.get("hub") == hub and isinstance(mark.get("seq"), int):
                out.append((int(mark["seq"]), entry_id))
        return out

    def held(self, log: bytes, after: int, limit: int) -> list[Positioned]:
        """Return the noted places after `after` with their rows (see `Store.positioned`)."""
        return self.store.positioned(log, after, limit)

    def entry(self, entry_id: bytes) -> Entry | None:
        """Return an entry this store holds, as stored (the rebuilt hub checks it)."""
        try:
            found = self.store.get(entry_id)
        except CarechainError:
            return None  # a row that does not decode is no copy of the entry
        return None if found is None else found.entry

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def _certificate(store: Store, root_public: bytes, name: str) -> Certificate:
    """Return the survivor's own certificate from the directory its store holds."""
    directory = Directory(root_public)
    for stored in store.record(DIRECTORY_RECORD):
        try:
            directory.check_signature(stored.entry)
            directory.absorb(stored.entry)
        except CarechainError:
            continue
    for cert in directory.nodes():
        if cert.name == name:
            return cert
    raise InvalidInput(f"survivor {name!r}: its store holds no certificate of its own")


def node_location(value: str) -> tuple[Path, str | None]:
    """Split a survivor as given on the command line: `DIR`, or `DIR=URL` for a node whose
    store is not its data directory's (a vault on PostgreSQL)."""
    path, sep, url = value.partition("=")
    if sep and "://" in url:
        return Path(path), url
    return Path(value), None


def _open_store(path: Path, store_url: str | None) -> Store:
    if store_url is not None:
        return open_store(store_url)
    home = NodeHome(path)
    if not home.store_file.exists():
        raise InvalidInput(f"{path} holds no node store")
    return SqliteStore(home.store_file)


def open_survivor(
    path: Path, *, root_public: bytes, hub_key: bytes, store_url: str | None = None
) -> Survivor:
    """Open a surviving node's data directory (and its store at `store_url`, if not the
    directory's) for reading, with the heads of the hub's log (signed by `hub_key`) it
    holds."""
    info = NodeHome(path).info()
    if info.root_public and bytes.fromhex(info.root_public) != root_public:
        raise InvalidInput(f"survivor {info.name!r} belongs to another trust")
    store = _open_store(path, store_url)
    try:
        survivor = Survivor(info.name, store, _certificate(store, root_public, info.name))
    except BaseException:
        store.close()
        raise
    log = log_id_from_key(hub_key).hex()
    for key, raw in [*store.meta_items(f"head:{log}"), *store.meta_items(f"pending:{log}:")]:
        if not raw:
            continue
        try:
            head = decode_head(raw)
            verify_head(head, hub_key)
        except (CarechainError, HeadSignatureError, ValueError) as exc:
            survivor.refused_heads.append(f"{key}: {exc}")
            continue
        survivor.heads.append(head)
    return survivor


def decode_row(signed: bytes, signature: bytes) -> Entry | CarechainError:
    """Return a stored row as an entry, or why it does not decode."""
    try:
        return decode_signed(signed, signature)
    except CarechainError as exc:
        return exc


def held_heads(path: Path, log: bytes, store_url: str | None = None) -> list[SignedTreeHead]:
    """Return the heads of a hub's log (by log id) a node holds: the last one it accepted
    and those it was gossiped and has not checked yet (signatures unchecked: the caller
    checks them against the hub's certified key)."""
    store = _open_store(path, store_url)
    try:
        items = [*store.meta_items(f"head:{log.hex()}"), *store.meta_items(f"pending:{log.hex()}:")]
    finally:
        store.close()
    out: list[SignedTreeHead] = []
    for _, raw in items:
        try:
            if raw:
                out.append(decode_head(raw))
        except CarechainError:
            continue
    return out
