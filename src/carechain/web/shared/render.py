"""Server-rendered pages: one Jinja2 environment, one render function, one CSRF check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from carechain.accounts import AccountStore
from carechain.web.shared.session import Viewer, context

__all__ = ["TEMPLATES", "check_csrf", "env", "plural", "render"]

TEMPLATES = Path(__file__).parents[1] / "templates"


def _time(value: object, fmt: str = "%H:%M") -> str:
    """Format an ISO time or epoch ms for a page, in UTC."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    return moment.astimezone(UTC).strftime(fmt)


def plural(count: object, singular: str, many: str | None = None) -> str:
    """Return '1 event', '2 events' (or the given plural form): a count with its noun."""
    number = count if isinstance(count, int) else len(count) if isinstance(count, list) else 0
    return f"{number} {singular if number == 1 else many or singular + 's'}"


env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters["time"] = _time
env.filters["plural"] = plural


def render(request: Request, template: str, viewer: Viewer | None = None, *,
           status: int = 200, **values: Any) -> HTMLResponse:
    """Render a page with the node, the viewer and their CSRF token in its context."""
    ctx = context(request)
    page = env.get_template(template).render(
        request=request, node=ctx.node.info, viewer=viewer,
        csrf=viewer.session.csrf_token if viewer else "", **values,
    )
    return HTMLResponse(page, status_code=status)


def check_csrf(viewer: Viewer, submitted: object) -> None:
    """Refuse a form whose CSRF token is not the session's."""
    AccountStore.check_csrf(viewer.session, submitted if isinstance(submitted, str) else None)
