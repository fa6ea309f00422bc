"""Docs are tested: an undocumented command, option, error code or setting fails here."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path

import click
import pytest
import typer.main

import carechain
from carechain.cli import app
from carechain.config import Settings
from carechain.errors import all_error_classes

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _commands() -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):  # a group (Typer's groups are their own class)
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            out.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), ["carechain"])
    return out


def _section(text: str, heading: str) -> str:
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert found, f"docs/cli.md has no section '## {heading}'"
    return found.group(1)


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    section = _section((DOCS / "cli.md").read_text(), name)
    for param in command.params:
        option = param.param_type_name == "option"
        label = param.opts[0] if option else str(param.name).upper()
        assert f"`{label}`" in section, f"{name}: {label} is not documented"


def test_every_error_code_is_documented() -> None:
    for info in pkgutil.walk_packages(carechain.__path__, "carechain."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    text = (DOCS / "errors.md").read_text()
    for cls in all_error_classes():
        assert f"| `{cls.code}` | {cls.status} |" in text, f"{cls.__name__} ({cls.code})"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for f in dataclasses.fields(Settings):
        assert f"| `{f.name}` |" in text, f.name


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/demo" in readme and "bash scripts/test" in readme
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_every_doc_the_readme_links_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), link
