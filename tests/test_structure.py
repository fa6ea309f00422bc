"""The layout is part of the design: no module imports another package's private module,
and no module outgrows one head (CONVENTIONS: split around 450 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "carechain"
MAX_LINES = 450


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _package(path: Path) -> str:
    """Return the dotted package a module belongs to."""
    return ".".join(("carechain", *path.relative_to(SRC).parent.parts)).rstrip(".")


def _is_module(dotted: str) -> bool:
    """Return whether a dotted carechain name is a module or package (not a name in one)."""
    rel = Path(*dotted.split(".")[1:])
    return (SRC / rel).with_suffix(".py").exists() or (SRC / rel / "__init__.py").exists()


def _owner(parts: list[str], i: int) -> str:
    """Return the package a private part is private to: a private module (or package) is its
    parent package's; a private name in a module is the module's package's."""
    if _is_module(".".join(parts[: i + 1])):
        return ".".join(parts[:i])
    return ".".join(parts[: i - 1])


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_module_of_another_package_is_imported(path: Path) -> None:
    own = _package(path)
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "carechain":
                continue
            for i, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__"):
                    owner = _owner(parts, i)
                    assert own == owner or own.startswith(owner + "."), (
                        f"{path.relative_to(SRC)} imports {name}, private to {owner}")
                    break


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_every_module_fits_in_a_head(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines"
