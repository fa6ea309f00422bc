"""Validate a NEMSIS 3.5.1 EMSDataSet: the XSD (lxml) and the national Schematron (saxonche).

The Schematron needs XSLT 2, so it is compiled with the ISO skeleton the way NEMSIS builds
it: `iso_dsdl_include.xsl` → `iso_abstract_expand.xsl` → `iso_svrl_for_xslt2.xsl` with
`allow-foreign=true`. Compiling takes seconds, so the compiled XSLT is kept in a cache file
(`compiled_schematron()`), built on first use and rebuilt when the `.sch` changes.

    result = validate(xml_bytes)
    result.ok                # no XSD error and no [FATAL]/[ERROR] Schematron assertion
    result.xsd_errors        # lxml's messages, with line numbers
    result.schematron        # every failed assertion: (role, location, text)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from lxml import etree

__all__ = ["DATA", "Assertion", "Validation", "compiled_schematron", "validate"]

DATA = Path(__file__).parent / "data"
SCH = DATA / "schematron" / "EMSDataSet.sch"
SKELETON = DATA / "iso-schematron-xslt2"
XSD = DATA / "xsd" / "EMSDataSet_v3.xsd"
SVRL = "http://purl.oclc.org/dsdl/svrl"
BLOCKING = ("[FATAL]", "[ERROR]")

_compile_lock = threading.Lock()


@dataclass(frozen=True)
class Assertion:
    """One failed Schematron assertion or successful report."""

    role: str
    location: str
    text: str

    @property
    def blocking(self) -> bool:
        """Tell whether NEMSIS rejects a chart for it ([FATAL] or [ERROR])."""
        return self.role.upper() in BLOCKING or self.role.upper().strip("[]") in (
            "FATAL", "ERROR")


@dataclass(frozen=True)
class Validation:
    """The result of validating one document."""

    xsd_errors: tuple[str, ...]
    schematron: tuple[Assertion, ...] = field(default=())

    @property
    def errors(self) -> list[str]:
        """Return every problem that makes the document invalid."""
        return list(self.xsd_errors) + [
            f"{a.role} {a.location}: {a.text}" for a in self.schematron if a.blocking]

    @property
    def ok(self) -> bool:
        """Tell whether the document passes the XSD and raises no [FATAL]/[ERROR]."""
        return not self.errors


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _cache_dir() -> Path:
    """Return where the compiled Schematron is kept: beside the package data if writable."""
    configured = os.environ.get("CARECHAIN_NEMSIS_CACHE")
    if configured:
        return Path(configured)
    beside = DATA / "compiled"
    try:
        beside.mkdir(exist_ok=True)
        probe = beside / ".probe"
        probe.touch()
        probe.unlink()
        return beside
    except OSError:
        return Path(tempfile.gettempdir()) / "carechain-nemsis"


def _compile(out: Path) -> None:
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        step = str(SCH)
        with tempfile.TemporaryDirectory() as tmp:
            for i, (sheet, params) in enumerate((
                ("iso_dsdl_include.xsl", {}),
                ("iso_abstract_expand.xsl", {}),
                ("iso_svrl_for_xslt2.xsl", {"allow-foreign": "true"}),
            )):
                executable = xslt.compile_stylesheet(stylesheet_file=str(SKELETON / sheet))
                for name, value in params.items():
                    executable.set_parameter(name, proc.make_string_value(value))
                # Each stage must sit beside the schema so relative includes still resolve.
                target = Path(tmp) / f"stage{i}.xml" if i < 2 else out.with_suffix(".tmp")
                executable.transform_to_file(source_file=step, output_file=str(target))
                step = str(target)
            os.replace(out.with_suffix(".tmp"), out)


def compiled_schematron() -> Path:
    """Return the compiled Schematron XSLT, compiling it once per `.sch` version."""
    digest = hashlib.sha256(SCH.read_bytes()).hexdigest()[:16]
    out = _cache_dir() / f"EMSDataSet-{digest}.xsl"
    if out.exists():
        return out
    with _compile_lock:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            _compile(out)
    return out


def _schematron(document: bytes) -> tuple[Assertion, ...]:
    from saxonche import PySaxonApiError, PySaxonProcessor

    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        executable = xslt.compile_stylesheet(stylesheet_file=str(compiled_schematron()))
        node = proc.parse_xml(xml_text=document.decode("utf-8"))
        try:
            svrl = executable.transform_to_string(xdm_node=node)
        except PySaxonApiError as exc:  # a rule could not even be evaluated on this chart
            return (Assertion("[FATAL]", "/", f"the Schematron could not run: {exc}"),)
    root = etree.fromstring(svrl.encode("utf-8"))
    found = []
    for tag in ("failed-assert", "successful-report"):
        for el in root.iter(f"{{{SVRL}}}{tag}"):
            text = " ".join(" ".join("".join(str(x) for x in t.itertext()).split())
                            for t in el.iter(f"{{{SVRL}}}text"))
            found.append(Assertion(el.get("role", ""), el.get("location", ""), text))
    return tuple(found)


def validate(document: bytes, *, schematron: bool = True) -> Validation:
    """Validate an EMSDataSet document against the XSD and (by default) the Schematron."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as exc:
        return Validation((f"not well-formed XML: {exc}",))
    schema = _schema()
    xsd_errors = () if schema.validate(tree) else tuple(
        f"line {e.line}: {e.message}" for e in cast(Iterable[Any], schema.error_log))
    if not schematron:
        return Validation(xsd_errors)
    return Validation(xsd_errors, _schematron(document))
