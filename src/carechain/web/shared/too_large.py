"""A form too large to accept gets a page in the app's own style, not raw JSON (issue 10
item 7).

The body limit (`carechain.edge.limits.BodyLimit`, 64 KB) refuses an oversized
request before anything reads it, with a 413 problem-details body. A browser posting a
very long note showed that JSON. This middleware sits outside the limit and, for a
request that asked for HTML, swaps that 413 answer for the error page: still 413, saying
what happened, that nothing was saved, and how to go on.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carechain.node import Node
from carechain.web.shared.render import env

__all__ = ["HtmlTooLarge"]

MESSAGE = ("What you sent is over the {kb} KB a single form may hold, so nothing was "
           "saved. Go back: what you typed is still in the form. Shorten it, or save it "
           "as two notes.")


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"text/html" in value
    return False


class HtmlTooLarge:
    """Turn a 413 problem answer into the app's error page for browsers."""

    def __init__(self, app: ASGIApp, node: Node, limit_bytes: int) -> None:
        self.app = app
        self.node = node
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; replace a 413 problem answer when HTML was asked for."""
        if scope["type"] != "http" or not _wants_html(scope):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def sending(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = True
                page = env.get_template("error.html").render(
                    node=self.node.info, viewer=None, csrf="", title="Too long to save",
                    message=MESSAGE.format(kb=self.limit_bytes // 1024),
                ).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                        (b"content-length", str(len(page)).encode())]})
                await send({"type": "http.response.body", "body": page})
                return
            if replaced:
                return  # the problem body: the page has been sent instead
            await send(message)

        await self.app(scope, receive, sending)
