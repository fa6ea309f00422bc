"""The hazard log is tested like the rest of the docs: every test it names as proof of a
control exists, and every hazard has the DCB0129 fields and a rating that matches the
matrix."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "hazard-log.md"
FIELDS = (
    "cause",
    "effect",
    "possible harm",
    "initial risk",
    "control",
    "tests",
    "residual risk",
    "status",
)
MATRIX = {
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")


def _hazards() -> dict[str, str]:
    text = LOG.read_text(encoding="utf-8")
    parts = re.split(r"^## (H-\d{3}) ", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _row(body: str, name: str) -> str:
    found = re.search(rf"^\| {re.escape(name)} \| (.*) \|$", body, re.M)
    assert found, name
    return found.group(1)


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_ids_are_unique_and_in_order() -> None:
    ids = list(_hazards())
    assert ids == sorted(set(ids)) and ids


@pytest.mark.parametrize(("hazard", "body"), sorted(_hazards().items()))
def test_each_hazard_is_complete_and_rated_by_the_matrix(hazard: str, body: str) -> None:
    for name in FIELDS:
        assert _row(body, name).strip(), f"{hazard}: {name}"
    for name in ("initial risk", "residual risk"):
        found = re.match(r"(\w+) × ([\w ]+?) = \*\*(\d)\*\*", _row(body, name))
        assert found, f"{hazard}: {name}"
        severity, likelihood, rating = found.groups()
        assert MATRIX[likelihood][SEVERITIES.index(severity)] == int(rating), hazard


@pytest.mark.parametrize(("hazard", "body"), sorted(_hazards().items()))
def test_every_named_test_exists(hazard: str, body: str) -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", _row(body, "tests"))
    assert named, f"{hazard} names no test"
    for file, test in named:
        assert test in _tests_in(ROOT / file), f"{hazard}: {file}::{test}"
