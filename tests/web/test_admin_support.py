"""Builders shared by the admin console and audit view tests (this module holds no tests).

A hub (or vault) site with an admin, who logs in with password and TOTP, and an auditor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyotp

from carechain.testing import Trust
from tests.web.conftest import Site, make_site

ADMIN = "A9001"
ADMIN_PASSWORD = "lantern-quay-otter-1987"
AUDITOR = "AU7001"
AUDITOR_PASSWORD = "violet-harbour-ledger"
LEAD = "CL3001"
LEAD_PASSWORD = "copper-meadow-signal"
PEOPLE = [
    (ADMIN, "Robin Admin", "admin", ADMIN_PASSWORD),
    (AUDITOR, "Avery Quinn", "auditor", AUDITOR_PASSWORD),
    (LEAD, "Jordan Lee", "clinical_lead", LEAD_PASSWORD),
]


def console_site(path: Path, trust: Trust, role: str = "hub", name: str = "hub") -> Site:
    """Return a hub (or vault) site with an admin, an auditor and a clinical lead."""
    return make_site(path, trust, role, name, PEOPLE)


def close(site: Site) -> None:
    """Release a site."""
    site.client.close()
    site.accounts.close()
    site.node.close()


def login_admin(site: Site) -> None:
    """Log the admin in with password and a fresh TOTP code."""
    site.login(ADMIN, ADMIN_PASSWORD, pyotp.TOTP(site.totp[ADMIN]).now())


def login_auditor(site: Site) -> None:
    """Log the auditor in."""
    site.login(AUDITOR, AUDITOR_PASSWORD)


def by_testid(html: str, name: str) -> str:
    """Return the text inside the first element with `data-testid="name"`."""
    found = re.search(rf'data-testid="{re.escape(name)}"[^>]*>(.*?)<', html, re.S)
    assert found, f"no data-testid={name!r} on the page"
    return found.group(1).strip()


def row(html: str, attribute: str, value: str) -> str:
    """Return the HTML of the table row whose `attribute` is `value`."""
    found = re.search(rf'<tr[^>]*{attribute}="{re.escape(value)}".*?</tr>', html, re.S)
    assert found, f"no row with {attribute}={value!r}"
    return found.group(0)
