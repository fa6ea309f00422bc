"""The routes an anonymous caller may reach: the one allow-list (every other route refuses
an anonymous caller with 401 problem details).

- the login page and the form it posts, and `/`, which sends a browser to its app or the
  login page; on a crew node, the unlock forms a locked-out paramedic's colleague (or the
  control room's one-time code) uses, which check their own credentials;
- `/health`, for load balancers and monitoring (names the node, holds no clinical data);
- the static files of the web apps (style sheets and scripts, no data);
- the OpenAPI document and its viewers (the shape of the API, no data), and the FHIR API's
  CapabilityStatement (`/fhir/metadata`: what it serves, no data);
- the sync protocol, which authenticates every request with the calling node's signature
  (`docs/sync-protocol.md`; `info` and `directory` are open by design).
"""

from __future__ import annotations

__all__ = ["PUBLIC_PREFIXES", "PUBLIC_ROUTES", "is_public"]

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/login/unlock"),
        ("POST", "/login/unlock"),
        ("POST", "/login/unlock/code"),
        ("GET", "/health"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
        ("GET", "/fhir/metadata"),
    }
)
PUBLIC_PREFIXES: tuple[str, ...] = ("/static/", "/sync/v1/")


def is_public(method: str, path: str) -> bool:
    """Return whether an anonymous request for `method path` may go on."""
    if path.startswith(PUBLIC_PREFIXES):
        return True
    method = "GET" if method == "HEAD" else method
    return (method, path) in PUBLIC_ROUTES
