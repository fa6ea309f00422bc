"""Check the proof verifiers against the transparency-dev/merkle RFC 6962 vectors, in place."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from carechain.transparency import ProofError, verify_consistency, verify_inclusion

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTDATA = REPO_ROOT.parent / "shared" / "reference" / "rfc6962-merkle" / "testdata"

# The reference is pinned (transparency-dev/merkle 417fb0c); a changed count means the
# vectors moved or were not found, which must fail loudly rather than test nothing.
EXPECTED_COUNTS = {"inclusion": 98, "consistency": 98}

# These folders test the subtree proofs of the Merkle Tree Certificates draft (a proof
# about an arbitrary [start, end) subtree), an API carechain does not have: RFC 9162
# only proves things about whole trees of a given size.
SUBTREE_FOLDERS = ("subtreeinclusion", "subtreeconsistency")


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
    """Fail, not skip, when the shared reference vectors are missing or changed."""
    for folder, count in EXPECTED_COUNTS.items():
        assert len(_vector_files(folder)) == count, folder


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


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param(
            folder,
            id=f"{folder}-{len(_vector_files(folder))}-vectors-skipped-MTC-subtree-API-not-RFC9162",
        )
        for folder in SUBTREE_FOLDERS
    ],
)
def test_subtree_vectors_are_out_of_scope(folder: str) -> None:
    """Skip the Merkle Tree Certificates subtree vectors: a different API from RFC 9162."""
    assert _vector_files(folder), f"{folder} vectors missing"
    pytest.skip(
        f"{folder}: proofs about an arbitrary [start, end) subtree (Merkle Tree "
        "Certificates draft), not RFC 9162 whole-tree proofs; carechain has no such API"
    )
