"""Build the crew pages: the shared frame of a record page, and each page's values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from carechain.handover import build_handover
from carechain.node import Node
from carechain.records import kinds
from carechain.web.crew._fields import Choices, Section
from carechain.web.crew._forms import (
    FormValues,
    controls,
    defaults,
    fingerprints,
    prefill,
)
from carechain.web.crew._new import NEW_RECORD
from carechain.web.crew._sections import BY_KIND, MEDICATIONS, SECTIONS, SIGNOFF
from carechain.web.crew._views import (
    conflict_texts,
    conflicts,
    history_rows,
    jobs_today,
    linked_records,
    overrides,
    patient_banner,
    receipts,
    record_status,
    summarise,
)
from carechain.web.shared.headline import headline_view
from carechain.web.shared.render import render
from carechain.web.shared.session import Viewer, context
from carechain.web.shared.vitals import chart_view

__all__ = [
    "amend_page",
    "handover_page",
    "history_page",
    "jobs_page",
    "now",
    "record_page",
    "section_page",
    "status",
]

# Where a formulary breach on a field the form does not have is shown.
BREACH_FIELDS = {"allergies": "drug", "age_years": "drug", "weight_kg": "dose"}


def now(request: Request) -> datetime:
    """Return the node's time now, in UTC."""
    return datetime.fromtimestamp(context(request).now_ms() / 1000, UTC)


def status(request: Request, record: bytes | None) -> dict[str, Any]:
    """Return the status bar's values: where the record is, the hub, integrity alerts."""
    ctx = context(request)
    alerts = [a.to_dict() for a in request.app.state.sync.heads.alerts()]
    return record_status(ctx.node, ctx.sync_loop, alerts, record)


def _nav(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for s in SECTIONS:
        name = kinds.KINDS[s.kind].section
        count = len(state["items"].get(name, [])) if s.multi else None
        done = bool(count) if s.multi else bool(state["sections"].get(name))
        out.append({"slug": s.slug, "title": s.title, "done": done, "count": count})
    return out


def _frame(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    template: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render a record page with its banner, status bar and section navigation."""
    return render(
        request,
        template,
        viewer,
        status=status_code,
        record_id=record.hex(),
        banner=patient_banner(state, now(request)),
        status_bar=status(request, record),
        sections=_nav(state),
        linked=linked_records(state),
        maternity=state.get("maternity"),
        **values,
    )


def jobs_page(
    request: Request,
    viewer: Viewer,
    *,
    values: FormValues | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render today's jobs with the new-record form."""
    ctx = context(request)
    form = controls(NEW_RECORD, values or {}, errors=errors)
    return render(
        request,
        "crew/jobs.html",
        viewer,
        status=status_code,
        jobs=jobs_today(ctx.node, ctx.now_ms()),
        fieldsets=form,
        errors=errors or {},
        status_bar=status(request, None),
        record_id="",
    )


def record_page(
    request: Request, viewer: Viewer, record: bytes, state: Mapping[str, Any]
) -> HTMLResponse:
    """Render the record overview."""
    observations = state["items"].get("observations", [])
    latest = observations[-1] if observations else None
    scores = dict(state["scores"])
    prompts = state["prompts"]
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/record.html",
        news2=headline_view(scores, now(request)),
        # Emergency and urgent prompts go in the headline, above everything else.
        headline_prompts=[p for p in prompts if p.get("severity") in ("emergency", "urgent")],
        vitals=chart_view(dict(state), uk_time=False),
        cursor=context(request).node.store.count(),
        # A child's headline is PEWS: the NEWS2 trend is not theirs.
        trend=None if scores.pop("pews", None) else scores.get("news2_trend"),
        scores=scores,
        prompts=state["prompts"],
        conflicts=conflicts(state),
        latest=latest,
        latest_text=summarise(
            {
                k: v
                for k, v in (latest or {}).items()
                if k not in ("entry", "author", "recorded_at", "amended_by", "taken_at")
            },
            "observation.recorded",
        ),
    )


def hospitals(node: Node) -> Choices:
    """Return the hospital nodes in this node's directory, as select choices."""
    return tuple(
        (c.name, f"{c.name} ({c.org})")
        for c in sorted(node.directory.nodes("hospital"), key=lambda c: c.name)
    )


def _items(state: Mapping[str, Any], section: Section) -> list[dict[str, Any]]:
    # A drawn signature is shown as its picture, never as its data URL's text.
    hidden = ("entry", "author", "recorded_at", "amended_by", "image", "format")
    name = kinds.KINDS[section.kind].section
    return [
        {
            "entry": item.get("entry"),
            "author": item.get("author"),
            "recorded_at": item.get("recorded_at"),
            "amended": "amended_by" in item,
            "summary": summarise({k: v for k, v in item.items() if k not in hidden}, section.kind),
            "signature": item.get("image") if item.get("format") == "png" else None,
        }
        for item in state["items"].get(name, [])
    ]


def _handover(state: Mapping[str, Any], when: datetime) -> dict[str, str]:
    found = build_handover(state, now=when)
    return {"format": found.format, "text": found.to_text()}


def section_page(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    section: Section,
    *,
    values: FormValues | None = None,
    errors: Mapping[str, str] | None = None,
    breaches: Mapping[str, list[dict[str, Any]]] | None = None,
    shown: str | None = None,
    show_override: bool = False,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render one section's page: what it holds so far and its form."""
    name = kinds.KINDS[section.kind].section
    current = {} if section.multi else state["sections"].get(name, {})
    if values is None:
        values = (
            defaults(
                section,
                now=now(request),
                staff_id=viewer.person.staff_id,
                name=viewer.person.display_name,
                role=viewer.person.role,
            )
            if section.full
            else prefill(section, current)
        )
    choices = {"hospital_node": hospitals(context(request).node)}
    fieldsets = controls(
        section,
        values,
        errors=errors,
        breaches=breaches,
        conflicts=conflict_texts(state, name),
        choices=choices,
    )
    if section is MEDICATIONS and not (show_override or values.get("override_reason")):
        fieldsets = [
            (legend, fid, [c for c in cs if c.id != "override_reason"])
            for legend, fid, cs in fieldsets
        ]
    template = {
        "observations": "crew/observations.html",
        "medications": "crew/medications.html",
        "disposition": "crew/disposition.html",
        "birth": "crew/birth.html",
        "apgar": "crew/apgar.html",
    }.get(section.slug, "crew/section.html")
    scores = dict(state["scores"])
    return _frame(
        request,
        viewer,
        record,
        state,
        template,
        status_code=status_code,
        section=section,
        fieldsets=fieldsets,
        errors=errors or {},
        saved=saved,
        shown=shown
        if shown is not None
        else ("" if section.full else fingerprints(prefill(section, current))),
        items=_items(state, section) if section.multi else [],
        overrides=overrides(state) if section is MEDICATIONS else [],
        news2=headline_view(scores, now(request)),
        preview_name="PEWS" if scores.get("child") else "NEWS2",
        prompts=state["prompts"],
        drugs=[d.name for d in context(request).node.formulary.drugs],
        handover=_handover(state, now(request)),
        current=current,
        no_hospitals=not choices["hospital_node"],
    )


def handover_page(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    *,
    values: FormValues | None = None,
    errors: Mapping[str, str] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render the handover summary, the receipts and the sign-off form."""
    if values is None:
        values = defaults(
            SIGNOFF,
            now=now(request),
            staff_id=viewer.person.staff_id,
            name=viewer.person.display_name,
            role=viewer.person.role,
        )
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/handover.html",
        status_code=status_code,
        handover=_handover(state, now(request)),
        receipts=receipts(state),
        signoff=state["sections"].get("signoff"),
        saved=saved,
        fieldsets=controls(SIGNOFF, values, errors=errors),
        errors=errors or {},
        disposition=state["sections"].get("disposition", {}),
    )


def history_page(
    request: Request, viewer: Viewer, record: bytes, state: Mapping[str, Any]
) -> HTMLResponse:
    """Render every entry of the record, amendments and conflicts."""
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/history.html",
        rows=history_rows(context(request).node, state, record),
        conflicts=conflicts(state),
    )


def amend_page(
    request: Request,
    viewer: Viewer,
    record: bytes,
    state: Mapping[str, Any],
    entry: Mapping[str, Any],
    kind: str,
    *,
    values: FormValues | None = None,
    errors: Mapping[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render the amendment form of one entry, its fields filled with the entry's data."""
    section = BY_KIND[kind]
    data = entry["data"]["data"] if entry["kind"] != kind else entry["data"]
    if values is None:
        values = prefill(section, data)
    return _frame(
        request,
        viewer,
        record,
        state,
        "crew/amend.html",
        status_code=status_code,
        section=section,
        entry=entry,
        original=summarise(data, kind),
        fieldsets=controls(
            section,
            values,
            errors=errors,
            choices={"hospital_node": hospitals(context(request).node)},
        ),
        errors=errors or {},
        reason=reason,
    )
