"""The package stands alone: stdlib and yaml only, a public API in __all__, JSON results."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import carechain.clinical as clinical
from carechain.clinical import ClinicalValueError, FormularyError

PACKAGE = Path(clinical.__file__).parent
DOCS = Path(__file__).parents[2] / "docs" / "clinical.md"


def imported_modules(path: Path) -> set[str]:
    """Return the absolute modules a source file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            assert node.module is not None
            names.add(node.module)
    return names


def test_imports_only_stdlib_yaml_and_itself() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top == "yaml"
                or module == "carechain.clinical"
                or module.startswith("carechain.clinical.")
            )
            assert allowed, f"{path.name} imports {module}"


def test_all_names_exist_and_are_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in clinical.__all__:
        assert hasattr(clinical, name), name
        assert re.search(rf"\b{name}\b", docs), f"{name} is not in docs/clinical.md"


def test_every_rule_id_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    rules = set(clinical.OVERRIDABLE) | {
        "news2.aggregate",
        "news2.single-3",
        "news2.incomplete",
        "news2.not-validated",
        "qsofa.positive",
        "sepsis.screen",
        "sepsis.infection-unknown",
        "sepsis.incomplete",
        "fast.pre-alert",
        "fast.positive",
        "fast.incomplete",
        "stemi.st-elevation",
        "stemi.new-lbbb",
        "stemi.interpretation",
    }
    prompts_source = (PACKAGE / "prompts.py").read_text(encoding="utf-8")
    for rule in rules:
        assert f"`{rule}`" in docs, f"{rule} is not in docs/clinical.md"
    for rule in rules - set(clinical.OVERRIDABLE):
        assert f'"{rule}"' in prompts_source, f"{rule} is not raised by prompts.py"


def test_errors() -> None:
    error = ClinicalValueError("pulse", "must be a whole number")
    assert isinstance(error, ValueError)
    assert (error.field, error.rule, str(error)) == (
        "pulse",
        "must be a whole number",
        "pulse: must be a whole number",
    )
    formulary = FormularyError("unit", "is required", drug="morphine")
    assert isinstance(formulary, ClinicalValueError)
    assert str(formulary) == "formulary drug 'morphine', field 'unit': is required"
    assert str(FormularyError("drugs", "must be a list")) == (
        "formulary field 'drugs': must be a list"
    )
