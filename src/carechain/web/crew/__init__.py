"""The crew app, served by a crew node on localhost: today's jobs, the record, one form per
section, live NEWS2, history and amendments, handover and sign-off (DESIGN §8, P1), the
monitor attached to the record, its photos and documents, and the patient's lookup on
PDS and previous calls."""

from fastapi import APIRouter

from carechain.web.crew import attachments, dispatch, lookup, monitors, routes

__all__ = ["ROLES", "router"]

ROLES = routes.ROLES
router = APIRouter(include_in_schema=False)
router.include_router(dispatch.router)
router.include_router(monitors.router)  # before the record's `/{slug}` pages
router.include_router(attachments.router)
router.include_router(lookup.router)
router.include_router(routes.router)
