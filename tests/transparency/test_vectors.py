"""Check the proof verifiers against the transparency-dev/merkle RFC 6962 vectors.

The vectors are kept in the repository (tests/fixtures/rfc6962-merkle, see SOURCES.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from carechain.transparency import ProofError, verify_consistency, verify_inclusion

TESTDATA = Path(__file__).resolve().parents[1] / "fixtures" / "rfc6962-merkle" / "testdata"

# The copy is pinned (transparency-dev/merkle 417fb0c); a changed count means the vectors
# moved or were not found, which must fail loudly rather than test nothing. Its subtree
# folders (the Merkle Tree Certificates draft's proofs about an arbitrary [start, end)
# subtree) are not copied: carechain has no such API, RFC 9162 proves whole trees only.
EXPECTED_COUNTS = {"inclusion": 98, "consistency": 98}


def _vector_files(folder: str) -> list[Path]:
    return sorted((TESTDATA / folder).rglob("*.json"))


def _params(folder: str) -> list[Any]:
    return [
        pytest.param(path, id=path.relative_to(TESTDATA / folder).as_posix())
        for path in _vector_files(folder)
    ]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(item) for item in vector["proof"] or []]


def test_reference_vectors_are_present() -> None:
    """Fail, not skip, when the vectors are missing or changed."""
    for folder, count in EXPECTED_COUNTS.items():
        assert len(_vector_files(folder)) == count, folder


def test_nothing_reads_files_outside_the_repository() -> None:
    """Keep every fixture inside the repository: a fresh clone passes on its own."""
    root = Path(__file__).resolve().parents[2]
    assert TESTDATA.is_relative_to(root)
    # Spelt in parts so that this file does not match itself.
    outside = ("../" + "shared", "shared" + "/reference")
    for folder in ("src", "tests", "scripts", "bench", ".ci"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".sh", ".toml", ".yaml", ""}:
                text = path.read_text(encoding="utf-8", errors="replace")
                assert not any(word in text for word in outside), path


@pytest.mark.parametrize("path", _params("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    """Accept every wantErr=false inclusion vector and reject every wantErr=true one."""
    vector = json.loads(path.read_text())
    args = (
        _b64(vector["leafHash"]),
        vector["leafIdx"],
        vector["treeSize"],
        _proof(vector),
        _b64(vector["root"]),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _params("consistency"))
def test_consistency_vector(path: Path) -> None:
    """Accept every wantErr=false consistency vector and reject every wantErr=true one."""
    vector = json.loads(path.read_text())
    args = (
        vector["size1"],
        vector["size2"],
        _proof(vector),
        _b64(vector["root1"]),
        _b64(vector["root2"]),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)
