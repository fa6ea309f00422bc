"""Print and paper on crew and hospital nodes: the handover PDF, its QR codes on screen, and
import from codes."""

from carechain.web.print.routes import ROLES, router

__all__ = ["ROLES", "router"]
