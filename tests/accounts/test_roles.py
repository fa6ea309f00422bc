"""Permissions: every role against every action, Forbidden naming both, and the docs table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carechain.accounts import ACTIONS, PERMISSIONS, ROLES, Person, can, require
from carechain.errors import Forbidden

from .conftest import NOW

DOCS = Path(__file__).parents[2] / "docs" / "accounts.md"

# The policy written out by hand, so a change to PERMISSIONS must be made twice on purpose.
EXPECTED: dict[str, set[str]] = {
    "paramedic": {"record.write", "record.sign", "record.read_own", "handover.send",
                  "key.grant", "break_glass"},
    "technician": {"record.write", "record.read_own", "handover.send", "key.grant"},
    "clinical_lead": {"record.sign", "record.read_own_org", "record.export", "key.grant",
                      "break_glass", "quality.read"},
    "ed_clinician": {"record.read_addressed", "handover.accept", "break_glass"},
    "auditor": {"audit.read"},
    "admin": {"audit.read", "account.manage", "node.admin"},
    "dispatcher": {"dispatch.receive"},
}


def person(role: str, *, disabled: bool = False) -> Person:
    return Person("S1", "Some One", role, "pin", False, 0, 0, disabled, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_action(role: str, action: str) -> None:
    allowed = action in EXPECTED[role]
    assert can(role, action) is allowed
    if allowed:
        require(person(role), action)
    else:
        with pytest.raises(Forbidden) as caught:
            require(person(role), action)
        assert caught.value.extra == {"action": action, "role": role}
        assert action in str(caught.value) and role in str(caught.value)


def test_admins_read_no_clinical_content() -> None:
    assert not any(can("admin", a) for a in ACTIONS if a.startswith("record."))
    assert not any(can("auditor", a) for a in ACTIONS if a.startswith("record."))


def test_a_disabled_person_may_do_nothing() -> None:
    with pytest.raises(Forbidden):
        require(person("paramedic", disabled=True), "record.write")


def test_unknown_action_is_a_bug() -> None:
    assert not can("admin", "record.delete")
    with pytest.raises(ValueError, match="unknown action"):
        require(person("admin"), "record.delete")


def docs_permission_rows() -> dict[str, set[str]]:
    """Return the action → roles rows of the permissions table in docs/accounts.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Permissions", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found = re.fullmatch(r"`([a-z_.]+)`", cells[0]) if len(cells) >= 2 else None
        if found:
            rows[found.group(1)] = {r.strip() for r in cells[1].split(",")}
    return rows


def test_every_action_has_a_documented_row_with_its_roles() -> None:
    rows = docs_permission_rows()
    assert set(rows) == set(PERMISSIONS), "docs/accounts.md permissions table is out of date"
    for action, roles in PERMISSIONS.items():
        assert rows[action] == set(roles), f"docs row for {action} lists the wrong roles"
