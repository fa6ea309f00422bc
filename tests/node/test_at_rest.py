"""Read without the operator secret, a node's data directory gives up no clinical value
and no private key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from carechain.demo import chest_pain_stemi
from carechain.testing import Trust, make_node

SECRETS = [
    "Pemberton",
    "Arthur",
    "9434765919",
    "943 476 5919",
    "Mill Lane Surgery",
    "Central crushing chest pain",
    "ramipril",
    "Margaret",
    "ST elevation II",
    "Essex Cardiothoracic",
    "CO1 1AA",
    "1959-03-14",
    "glyceryl trinitrate",
    "AS2291",
]


def _raw_bytes(path: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file())


def test_data_directory_holds_no_clinical_plaintext_and_no_private_key(
    tmp_path: Path, trust: Trust
) -> None:
    node = make_node(tmp_path / "crew", trust)
    case = chest_pain_stemi()
    record, _ = node.open_record(user="P100234", data=case.opened)
    for kind, data in case.at(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)):
        node.append(record=record, user="P100234", kind=kind, data=data)
    # The values are really in the record, readable with the key...
    state = node.state(record)
    assert state["sections"]["patient"]["family_name"] == "Pemberton"
    keys = node.keys
    # ...and nowhere in the files, while the node runs (WAL present) and after it closes.
    for phase in ("open", "closed"):
        raw = _raw_bytes(tmp_path / "crew")
        for value in SECRETS:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert value.encode(encoding) not in raw, (phase, value, encoding)
        for private in (keys.seed, keys.box_private):
            assert private not in raw, phase
            assert private.hex().encode() not in raw, phase
        node.close()
