"""The hospital dashboard: incoming patients, a patient's record with its live vitals and
its photos and documents, accepting a handover, and break-glass access."""

from fastapi import APIRouter

from carechain.web.hospital import attachments, ecgs, routes

__all__ = ["ROLES", "router"]

ROLES = routes.ROLES
router = APIRouter(include_in_schema=False)
router.include_router(attachments.router)
router.include_router(ecgs.router)
router.include_router(routes.router)
