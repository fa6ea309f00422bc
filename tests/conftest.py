"""Shared fixtures: a trust root and enrolled nodes in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.node import Node
from carechain.testing import Trust, make_node, make_trust


@pytest.fixture
def trust(tmp_path: Path) -> Trust:
    """Return a fresh trust root."""
    return make_trust(tmp_path / "trust")


@pytest.fixture
def crew(tmp_path: Path, trust: Trust) -> Iterator[Node]:
    """Return an enrolled crew node."""
    node = make_node(tmp_path / "crew", trust)
    yield node
    node.close()


OPENED = {"callsign": "RRV-412"}
