"""Conformance of the sync routes (issue 11, item 8): a 405 names the allowed methods,
and the OpenAPI document lists each sync route's status codes and content types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carechain.app import create_app
from carechain.errors import PROBLEM_BASE
from carechain.testing import Trust, make_node


@pytest.fixture
def client(tmp_path: Path, trust: Trust) -> Iterator[TestClient]:
    node = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    with TestClient(create_app(node)) as c:
        yield c
    node.close()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/sync/v1/push", "POST"),
        ("PUT", "/sync/v1/heads", "POST"),
        ("DELETE", "/sync/v1/info", "GET"),
        ("POST", "/sync/v1/pull", "GET"),
        ("GET", "/sync/v1/directory", "POST"),
    ],
)
def test_a_405_names_the_allowed_methods(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allowed
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == PROBLEM_BASE + "method-not-allowed"


ROUTES: dict[tuple[str, str], set[int]] = {
    ("get", "/sync/v1/info"): set(),
    ("post", "/sync/v1/directory"): {400, 413, 422},
    ("post", "/sync/v1/push"): {400, 401, 403, 413, 422},
    ("get", "/sync/v1/pull"): {401, 403, 422},
    ("get", "/sync/v1/entries"): {401, 403, 422},
    ("get", "/sync/v1/consistency"): {401, 403, 422},
    ("post", "/sync/v1/heads"): {400, 401, 403, 413, 422},
}


@pytest.mark.parametrize(("method", "path"), list(ROUTES))
def test_the_openapi_document_lists_each_sync_answer(
    client: TestClient, method: str, path: str
) -> None:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    operation = doc["paths"][path][method]
    responses = operation["responses"]
    assert set(responses["200"]["content"]) == {"application/cbor"}
    problems = {int(code) for code in responses if code != "200"}
    assert problems == ROUTES[(method, path)]
    for code in problems:
        assert set(responses[str(code)]["content"]) == {"application/problem+json"}
        assert responses[str(code)]["description"]
    if method == "post":
        assert set(operation["requestBody"]["content"]) == {"application/cbor"}
