"""The writer the NEMSIS builder works with: elements in the NEMSIS namespace, a nil element
with the NV or PN that says why a value is absent, and the xs:dateTime NEMSIS accepts."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from lxml import etree

from carechain.exports.nemsis import _codes as c
from carechain.exports.nemsis.validate import DATA

NS = "http://www.nemsis.org"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


@cache
def _nillable() -> frozenset[str]:
    """Return the names of the elements the XSDs let be nil (with an NV or PN)."""
    found = set()
    for xsd in (DATA / "xsd").glob("*.xsd"):
        for el in etree.parse(str(xsd)).iter("{http://www.w3.org/2001/XMLSchema}element"):
            if el.get("name") and el.get("nillable") == "true":
                found.add(str(el.get("name")))
    return frozenset(found)


class _Doc:
    """A small writer over lxml: elements in the NEMSIS namespace, nil with NV or PN."""

    def __init__(self, parent: etree._Element) -> None:
        self.parent = parent

    def sub(self, name: str) -> _Doc:
        return _Doc(etree.SubElement(self.parent, f"{{{NS}}}{name}"))

    def value(self, name: str, value: Any, *, nv: str = c.NOT_RECORDED,
              pn: str | None = None, **attrs: str) -> None:
        """Write a value, or a nil element with the NV (or PN) that says why it is absent."""
        if (value is None or value == "") and name not in _nillable():
            return  # optional and not nillable: absent says "not recorded"
        el = etree.SubElement(self.parent, f"{{{NS}}}{name}")
        if value is None or value == "":
            el.set(f"{{{XSI}}}nil", "true")
            el.set("PN" if pn else "NV", pn or nv)
            return
        el.text = str(value)
        for k, v in attrs.items():
            el.set(k, v)

    def optional(self, name: str, value: Any) -> None:
        """Write an element only when there is a value."""
        if value is not None and value != "":
            self.value(name, value)


def _dt(value: Any) -> str | None:
    """Return an xs:dateTime NEMSIS accepts (seconds, an explicit offset), or None."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment.replace(microsecond=0).isoformat()
