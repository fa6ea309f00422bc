"""Shorthands the crew app's section forms are written with."""

from __future__ import annotations

from typing import Any, get_args

from carechain.web.crew._fields import Choices, Field, label_of

__all__ = ["YES_NO", "choices", "integer", "number", "numbered", "text", "when"]


def choices(literal: Any) -> Choices:
    return tuple((str(v), label_of(v)) for v in get_args(literal))


def numbered(labels: tuple[str, ...]) -> Choices:
    return tuple((str(i), f"{i} — {text}") for i, text in enumerate(labels, start=1))


def text(path: str, label: str, **kw: Any) -> Field:
    return Field(path, label, **kw)


def when(path: str, label: str, **kw: Any) -> Field:
    return Field(path, label, "datetime", hint="UTC", **kw)


def integer(path: str, label: str, hint: str = "") -> Field:
    return Field(path, label, "int", hint=hint, inputmode="numeric")


def number(path: str, label: str, hint: str = "") -> Field:
    return Field(path, label, "float", hint=hint, inputmode="decimal")


YES_NO: Choices = (("yes", "yes"), ("no", "no"))
