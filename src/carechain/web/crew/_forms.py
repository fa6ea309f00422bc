"""Crew forms: entry data to form text and back, what changed, and where an error belongs.

Times: a `datetime-local` input has no time zone. The crew app shows and reads every time
in UTC: a time typed without an offset is taken as UTC (+00:00); one typed with an offset
(`…+01:00` or `…Z`) keeps it. Stored times are UTC (records.kinds), so what is shown is
what was stored, on any tablet, whatever its clock's zone.

A single-valued section's form sends only what changed: each page carries a fingerprint
of the values it showed (`_shown`), and a field is sent when its text differs from what
was shown (or when it is in conflict, so saving it settles the conflict). Emptying a field
that had a value clears it (an explicit null). Multi-valued kinds and the sign-off send
every filled field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, datetime
from typing import Any

from carechain.web.crew._fields import Choices, Field, Section

__all__ = [
    "Control",
    "FormValues",
    "collect",
    "controls",
    "error_target",
    "fingerprints",
    "from_text",
    "local_time",
    "prefill",
    "read_shown",
    "text_of",
    "to_text",
]

FormValues = dict[str, str | list[str]]
MIN_ROWS = 3
MAX_ROWS = 50
_EMPTY = hashlib.sha256(b"").hexdigest()[:16]
_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


def local_time(value: object) -> str:
    """Return an ISO time as `datetime-local` text in UTC, or the value unchanged."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def to_text(f: Field, value: Any) -> str | list[str]:
    """Return a stored value as the text its input shows."""
    if f.widget == "checks":
        return [str(v) for v in value] if isinstance(value, list) else []
    if value is None:
        return ""
    if f.widget == "datetime":
        return local_time(value)
    if f.widget == "yesno":
        return "yes" if value is True else "no" if value is False else str(value)
    if f.widget == "check":
        return "on" if value is True else ""
    if f.widget == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _number(text: str, whole: bool) -> Any:
    try:
        return int(text) if whole else float(text)
    except ValueError:
        pass
    try:
        return float(text)  # a whole-number field given 7.5 is refused by the schema
    except ValueError:
        return text  # the schema names the rule ("must be a whole number")


def from_text(f: Field, text: str | list[str]) -> Any:
    """Return a field's submitted text as a data value; None when left empty.

    Text that does not parse is passed on as it is, so the kind's schema refuses it with
    its own rule: the one message for the field, wherever the value comes from.
    """
    if isinstance(text, list):
        items = [t for t in text if t]
        return items or None
    value = text.replace("\r\n", "\n").strip()
    if f.widget == "check":
        return True if value else (False if f.unticked else None)
    if not value:
        return None
    if f.widget in ("int", "float"):
        return _number(value, f.widget == "int")
    if f.widget == "datetime":
        return value + "+00:00" if _LOCAL.fullmatch(value) else value
    if f.widget == "select" and f.cast == "int":
        return int(value) if value.isdigit() else value
    if f.widget == "yesno":
        return {"yes": True, "no": False}.get(value, value)
    if f.widget == "lines":
        return [line.strip() for line in value.split("\n") if line.strip()]
    return value


def _get(
    form: Mapping[str, str | list[str]],
    f: Field,
    key: str | None = None,
    base: Mapping[str, str | list[str]] | None = None,
) -> str | list[str]:
    """Return an input's submitted text; one the form did not send at all reads as `base`
    (a browser sends every field but unticked boxes, so that is a partial post)."""
    found = form.get(key or f.id)
    if found is None and base is not None and f.widget not in ("check", "checks"):
        found = base.get(key or f.id)
    if f.widget == "checks":
        return found if isinstance(found, list) else [found] if found else []
    if isinstance(found, list):
        return found[0] if found else ""
    return found or ""


def _row_count(form: Mapping[str, Any], f: Field) -> int:
    count = 0
    for i in range(MAX_ROWS):
        if any(f"{f.id}-{i}-{c.id}" in form for c in f.columns):
            count = i + 1
    return count


def prefill(section: Section, data: Mapping[str, Any]) -> FormValues:
    """Return the form text for an entry's (or a section's) data."""
    out: FormValues = {}
    for f in section.fields:
        if f.widget == "rows":
            rows = data.get(f.path) if isinstance(data.get(f.path), list) else []
            assert isinstance(rows, list)
            for i in range(max(MIN_ROWS, len(rows) + 1)):
                row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
                for c in f.columns:
                    out[f"{f.id}-{i}-{c.id}"] = to_text(c, row.get(c.path))
            continue
        value: Any = data
        for part in f.path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if f.marker:
            signs = data.get(f.top)
            value = isinstance(signs, Mapping) and all(
                signs.get(s.path.split(".")[1]) is not None
                for s in section.fields
                if s.top == f.top and not s.marker
            )
        out[f.id] = to_text(f, value)
    return out


def _fingerprint(text: str | list[str]) -> str:
    flat = (
        "\x1f".join(sorted(text)) if isinstance(text, list) else text.replace("\r\n", "\n").strip()
    )
    return hashlib.sha256(flat.encode()).hexdigest()[:16]


def fingerprints(values: FormValues) -> str:
    """Return the `_shown` value: a fingerprint of each shown input's text, as JSON."""
    return json.dumps(
        {k: _fingerprint(v) for k, v in sorted(values.items())}, separators=(",", ":")
    )


def read_shown(raw: str | list[str] | None, fallback: FormValues) -> dict[str, str]:
    """Return the fingerprints a form was shown with (those of `fallback` if it has none)."""
    if isinstance(raw, str):
        try:
            found = json.loads(raw)
        except ValueError:
            found = None
        if isinstance(found, dict) and all(isinstance(v, str) for v in found.values()):
            return {str(k): str(v) for k, v in found.items()}
    return {k: _fingerprint(v) for k, v in fallback.items()}


@dataclass
class _Collector:
    """Builds entry data from a submitted form, group by group."""

    form: Mapping[str, str | list[str]]
    shown: dict[str, str] | None
    conflicted: frozenset[str]
    base: Mapping[str, str | list[str]] | None = None
    data: dict[str, Any] = default(default_factory=dict)
    rows: dict[str, str] = default(default_factory=dict)

    def changed(self, top: str, texts: Mapping[str, str | list[str]], prefix: str = "") -> bool:
        """Tell whether any input of a group differs from what the page showed."""
        if self.shown is None or top in self.conflicted:
            return True
        keys = set(texts) | {k for k in self.shown if prefix and k.startswith(prefix)}
        return any(_fingerprint(texts.get(k, "")) != self.shown.get(k, _EMPTY) for k in keys)

    def was_set(self, keys: Iterable[str]) -> bool:
        """Tell whether the page showed a value in any of these inputs."""
        return self.shown is not None and any(self.shown.get(k, _EMPTY) != _EMPTY for k in keys)

    def put(self, top: str, value: Any, keys: list[str]) -> None:
        if value is not None:
            self.data[top] = value
        elif self.shown is not None and self.was_set(keys):
            self.data[top] = None  # emptied: clear the field

    def simple(self, f: Field) -> None:
        text = _get(self.form, f, base=self.base)
        if not self.changed(f.top, {f.id: text}):
            return
        value = from_text(f, text)
        if f.widget == "check" and self.shown is not None:
            value = value is True  # unticking a ticked box records false
        self.put(f.top, value, [f.id])

    def group(self, top: str, members: list[Field]) -> None:
        texts = [(f.id, _get(self.form, f, base=self.base)) for f in members]
        if not self.changed(top, dict(texts)):
            return
        assessed = any(f.marker and text for f, (_, text) in zip(members, texts, strict=True))
        obj: dict[str, Any] = {}
        for f, (_, text) in zip(members, texts, strict=True):
            if f.marker:
                continue
            value = from_text(f, text)
            if f.widget == "check" and value is None and assessed:
                value = False
            if value is not None:
                obj[f.path.split(".", 1)[1]] = value
        self.put(top, obj or None, [key for key, _ in texts])

    def table(self, f: Field) -> None:
        count = max(_row_count(self.form, f), _row_count(self.base or {}, f))
        texts = {
            f"{f.id}-{i}-{c.id}": _get(self.form, c, f"{f.id}-{i}-{c.id}", self.base)
            for i in range(count)
            for c in f.columns
        }
        if not self.changed(f.top, texts, prefix=f"{f.id}-"):
            return
        items: list[dict[str, Any]] = []
        for i in range(count):
            row = {c.path: from_text(c, texts[f"{f.id}-{i}-{c.id}"]) for c in f.columns}
            row = {k: v for k, v in row.items() if v is not None}
            if row:
                self.rows[f"{f.path}.{len(items)}"] = f"{f.path}.{i}"
                items.append(row)
        shown = [k for k in (self.shown or {}) if k.startswith(f"{f.id}-")]
        self.put(f.top, items or None, shown)


def collect(
    section: Section,
    form: Mapping[str, str | list[str]],
    *,
    shown: dict[str, str] | None,
    conflicted: frozenset[str] = frozenset(),
    base: Mapping[str, str | list[str]] | None = None,
    fields: Iterable[Field] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the entry data a submitted form gives, and how list indexes map to rows.

    With `shown` (a single-valued section) only changed groups are sent; with None every
    filled field is. `base` is the section's current form text, read for any input the
    form did not send.
    """
    c = _Collector(form, shown, conflicted, base)
    chosen = list(fields if fields is not None else section.fields)
    done: set[str] = set()
    for f in chosen:
        if f.top in done:
            continue
        done.add(f.top)
        members = [m for m in chosen if m.top == f.top]
        if f.widget == "rows":
            c.table(f)
        elif len(members) == 1 and "." not in f.path:
            c.simple(f)
        else:
            c.group(f.top, members)
    return c.data, c.rows


def error_target(
    path: str,
    ids: list[str],
    rows: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Return the input id an error on data path `path` (e.g. `data.pulse`) belongs to;
    `form` when it belongs to no one input."""
    found = path[5:] if path.startswith("data.") else "" if path == "data" else path
    found = (aliases or {}).get(found, found)
    for source, target in (rows or {}).items():
        if found == source or found.startswith(source + "."):
            found = target + found[len(source) :]
    parts = found.split(".") if found else []
    while parts:
        if "-".join(parts) in ids:
            return "-".join(parts)
        parts.pop()
    if found:
        prefix = found.split(".")[0] + "-"
        return next((i for i in ids if i.startswith(prefix)), "form")
    return "form"


def input_ids(section: Section, values: Mapping[str, Any]) -> list[str]:
    """Return every input id of a form, in order (table cells included)."""
    out: list[str] = []
    for f in section.fields:
        if f.widget == "rows":
            out += [f"{f.id}-{i}-{c.id}" for i in range(_row_count(values, f)) for c in f.columns]
        else:
            out.append(f.id)
    return out


@dataclass
class Control:
    """One input as a template draws it."""

    field: Field
    id: str
    value: str
    values: list[str]
    choices: Choices
    error: str | None = None
    breaches: list[dict[str, Any]] = default(default_factory=list)
    conflict: str | None = None
    rows: list[list[Control]] = default(default_factory=list)

    @property
    def describedby(self) -> str:
        """Return the ids of the hint, error and breach texts for aria-describedby."""
        parts = [f"{self.id}-hint"] if self.field.hint else []
        if self.error:
            parts.append(f"{self.id}-error")
        if self.breaches:
            parts.append(f"{self.id}-breaches")
        if self.conflict:
            parts.append(f"{self.id}-conflict")
        return " ".join(parts)


def controls(
    section: Section,
    values: Mapping[str, str | list[str]],
    *,
    errors: Mapping[str, str] | None = None,
    breaches: Mapping[str, list[dict[str, Any]]] | None = None,
    conflicts: Mapping[str, str] | None = None,
    choices: Mapping[str, Choices] | None = None,
) -> list[tuple[str, str, list[Control]]]:
    """Return each fieldset (legend, id, controls) ready to draw."""
    errors, breaches = errors or {}, breaches or {}
    conflicts, choices = conflicts or {}, choices or {}

    def one(f: Field, key: str) -> Control:
        text = values.get(key, "")
        return Control(
            f,
            key,
            text if isinstance(text, str) else "",
            text if isinstance(text, list) else [],
            choices.get(key, f.choices),
            errors.get(key),
            breaches.get(key, []),
            conflicts.get(f.top) if key == f.id else None,
        )

    out: list[tuple[str, str, list[Control]]] = []
    flagged: set[str] = set()
    for fs in section.fieldsets:
        drawn: list[Control] = []
        for f in fs.fields:
            control = one(f, f.id)
            if control.conflict and f.top in flagged:
                control.conflict = None  # say it once per conflicting field
            flagged.add(f.top)
            if f.widget == "rows":
                count = max(MIN_ROWS, _row_count(values, f))
                control.rows = [
                    [one(c, f"{f.id}-{i}-{c.id}") for c in f.columns] for i in range(count)
                ]
            drawn.append(control)
        out.append((fs.legend, fs.id, drawn))
    return out


def defaults(section: Section, *, now: datetime, staff_id: str, name: str, role: str) -> FormValues:
    """Return a new entry's starting values: the time now and the person logged in."""
    fill = {
        "now": local_time(now.replace(second=0, microsecond=0).isoformat()),
        "me": staff_id,
        "me_name": name,
        "me_role": role if role in ("paramedic", "technician") else "",
    }
    return {f.id: fill.get(f.default, f.default) for f in section.fields if f.default}


def text_of(form: FormValues, key: str) -> str:
    """Return one form value as text (the first, if the name was repeated)."""
    value = form.get(key, "")
    return value if isinstance(value, str) else value[0] if value else ""
