"""The entry: canonical encoding, ids, signatures and sealed bodies (DESIGN §3)."""

from carechain.entries.hlc import HLC, Clock, FakeClock, HybridClock, SystemClock
from carechain.entries.model import ENTRY_CLASSES, Entry, Header, decode_entry, decode_signed
from carechain.entries.sealing import (
    Draft,
    Signer,
    make_encrypted,
    make_grant,
    make_plain,
    new_record_id,
    open_body,
    open_grant,
    open_user,
    seal_user,
)

__all__ = [
    "ENTRY_CLASSES",
    "HLC",
    "Clock",
    "Draft",
    "Entry",
    "FakeClock",
    "Header",
    "HybridClock",
    "Signer",
    "SystemClock",
    "decode_entry",
    "decode_signed",
    "make_encrypted",
    "make_grant",
    "make_plain",
    "new_record_id",
    "open_body",
    "open_grant",
    "open_user",
    "seal_user",
]
