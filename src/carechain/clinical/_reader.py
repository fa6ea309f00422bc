"""Typed field reading for the formulary loader, with errors that name the drug and field."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from carechain.clinical._validate import as_decimal
from carechain.clinical.errors import FormularyError


class Reader:
    """Read typed fields from one mapping, raising FormularyError that names the place."""

    def __init__(self, data: object, prefix: str = "", drug: str | None = None) -> None:
        self.prefix = prefix
        self.drug = drug
        if not isinstance(data, Mapping):
            raise self.error("", "must be a mapping")
        self.data: Mapping[str, Any] = data

    def error(self, key: str, rule: str) -> FormularyError:
        """Return an error for `key`, named with this reader's prefix."""
        return FormularyError((self.prefix + key).rstrip(".") or "(file)", rule, drug=self.drug)

    def only(self, allowed: set[str]) -> None:
        """Refuse keys outside `allowed`, which are usually typing mistakes."""
        extra = sorted(str(key) for key in self.data if key not in allowed)
        if extra:
            raise self.error(extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def optional_text(self, key: str) -> str | None:
        """Return a non-empty string field, or None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be non-empty text")
        return value.strip()

    def text(self, key: str) -> str:
        """Return a required non-empty string field."""
        value = self.optional_text(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """Return a list of non-empty strings; `required` means present and non-empty."""
        value = self.data.get(key)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or (required and not value):
            raise self.error(key, "must be a non-empty list" if required else "must be a list")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(key, "must list non-empty text only")
        return tuple(item.strip() for item in value)

    def optional_number(self, key: str) -> Decimal | None:
        """Return a number greater than zero, or None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        number = as_decimal(value)
        if number is None or number <= 0:
            raise self.error(key, "must be a number greater than 0")
        return number

    def number(self, key: str) -> Decimal:
        """Return a required number greater than zero."""
        value = self.optional_number(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def optional_whole(self, key: str, *, minimum: int) -> int | None:
        """Return a whole number of at least `minimum`, or None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"must be a whole number of at least {minimum}")
        return value

    def whole(self, key: str, *, minimum: int) -> int:
        """Return a required whole number of at least `minimum`."""
        value = self.optional_whole(key, minimum=minimum)
        if value is None:
            raise self.error(key, "is required")
        return value
