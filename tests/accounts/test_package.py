"""The package stands apart: what it imports, what it exports, and its documented errors."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import carechain.accounts as accounts
from carechain.accounts import AccountLocked, CsrfRejected, LoginFailed, SecondFactorRequired
from carechain.errors import CarechainError

PACKAGE = Path(accounts.__file__).parent
DOCS = Path(__file__).parents[2] / "docs" / "accounts.md"
ALLOWED_THIRD_PARTY = {"nacl", "pyotp", "psycopg"}


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


def test_imports_only_stdlib_nacl_pyotp_errors_and_itself() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in ALLOWED_THIRD_PARTY
                or module == "carechain.errors"
                or module == "carechain.accounts"
                or module.startswith("carechain.accounts.")
            )
            assert allowed, f"{path.name} imports {module}"


def test_modules_stay_small() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 300, path.name


def test_all_names_exist_and_are_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in accounts.__all__:
        assert hasattr(accounts, name), name
        assert re.search(rf"\b{name}\b", docs), f"{name} is not in docs/accounts.md"


def test_errors_join_the_tree_with_stable_documented_codes() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    expected = {
        LoginFailed: ("login-failed", 401),
        SecondFactorRequired: ("second-factor-required", 401),
        AccountLocked: ("account-locked", 429),
        CsrfRejected: ("csrf-rejected", 403),
    }
    for cls, (code, status) in expected.items():
        assert issubclass(cls, CarechainError)
        assert (cls.code, cls.status) == (code, status)
        assert f"`{code}`" in docs
    codes = [c.code for c in carechain_error_classes()]
    assert len(codes) == len(set(codes)), "error codes must be unique across the tree"


def carechain_error_classes() -> list[type[CarechainError]]:
    from carechain.errors import all_error_classes

    return all_error_classes()
