"""What the crew app tests share (no tests here): a logged-in crew member driving the real
app over HTTP, a hospital in the directory, and readers for the rendered pages."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from carechain.errors import FieldInvalid
from carechain.node import Node
from carechain.records import kinds
from carechain.testing import Trust, make_node
from tests.web.conftest import PIN, Site

TECH = ("T200117", "739201")
DAY = "2024-05-01"


@dataclass
class Crew:
    """A crew member at the tablet: logs in, fills forms, reads pages."""

    site: Site
    token: str = field(default="")

    def login(self, staff_id: str = "P100234", pin: str = PIN) -> Crew:
        self.site.login(staff_id, pin)
        self.token = self.site.csrf("/crew")
        return self

    @property
    def node(self) -> Node:
        return self.site.node

    @property
    def client(self) -> httpx.Client:
        return self.site.client

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        body = {"csrf": self.token, **data} if csrf else dict(data)
        return self.client.post(path, data=body, follow_redirects=False)

    def open(self, callsign: str = "RRV-412", vehicle: str = "DA23 XKE") -> str:
        r = self.post("/crew/records", {"callsign": callsign, "vehicle": vehicle})
        assert r.status_code == 303, r.text
        return r.headers["location"].rsplit("/", 1)[1]

    def save(self, record: str, slug: str, data: dict[str, Any]) -> str:
        """Submit a section form that must be accepted; return the saved entry id."""
        r = self.post(f"/crew/records/{record}/{slug}", data)
        assert r.status_code == 303, (slug, r.status_code, errors_in(r.text))
        return r.headers["location"].split("saved=")[1].split("#")[0]

    def page(self, record: str, slug: str = "") -> str:
        r = self.client.get(f"/crew/records/{record}" + (f"/{slug}" if slug else ""))
        assert r.status_code == 200, r.text
        return r.text

    def state(self, record: str) -> dict[str, Any]:
        return self.node.state(bytes.fromhex(record))

    def count(self) -> int:
        return self.node.store.count()


def add_hospital(path: Path, trust: Trust, crew: Node, name: str = "hospital-a") -> Node:
    """Make a hospital node of the same trust and put it in the crew node's directory."""
    hospital = make_node(path / name, trust, role="hospital", name=name)
    crew.ingest([s.entry for s in hospital.store.since(0, 100)])
    return hospital


def error_of(page: str, field_id: str) -> str | None:
    """Return the text of the error shown next to a field, or None."""
    found = re.search(
        rf'<(?:p|ul) class="error[^"]*"[^>]* id="{re.escape(field_id)}-error"[^>]*>'
        r"(.*?)</(?:p|ul)>",
        page,
        re.S,
    )
    return None if found is None else html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def errors_in(page: str) -> dict[str, str]:
    """Return every field error on a page, by field id."""
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<p class="error"[^>]* id="([^"]+)-error"[^>]*>(.*?)</p>', page, re.S)
    }


def tag_of(page: str, element_id: str) -> str:
    """Return the opening tag of the element with this id."""
    found = re.search(rf'<[a-z]+ [^>]*\bid="{re.escape(element_id)}"[^>]*>', page, re.S)
    assert found, f"no element #{element_id}"
    return found.group(0)


def text_of(page: str, element_id: str) -> str:
    """Return the text inside the element with this id (tags removed)."""
    found = re.search(
        rf'<([a-z0-9]+) [^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S
    )
    assert found, f"no element #{element_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def value_of(page: str, name: str) -> str:
    """Return the value attribute of the input with this name."""
    found = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert found, f"no input {name}"
    return html.unescape(found.group(1))


def rule_of(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """Return the field and rule the kind's own schema refuses `data` with."""
    try:
        kinds.validate_body(kind, data)
    except FieldInvalid as exc:
        return exc.field, exc.rule
    raise AssertionError(f"{kind} accepted {data}")


def history_of(crew: Crew, record: str, kind: str) -> list[dict[str, Any]]:
    """Return the record's history entries of one kind, oldest first."""
    return [h for h in crew.state(record)["history"] if h["kind"] == kind]
