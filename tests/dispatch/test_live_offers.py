"""Dispatch offers over live: a crew node following its hub (a real server, a real
WebSocket) holds each offer sealed to it as soon as the hub keeps it — the first, an
update, a cancellation — with no sync round; one that was away gets what it missed when it
reconnects; the poll still works beside it. On the hub, an offer and its audit entry
commit in one unit of work: a failed unit keeps neither (H-137)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from carechain.app import create_app
from carechain.dispatch.held import ACCEPTED, held, pulled_up_to
from carechain.errors import StoreError
from carechain.node import Node
from carechain.sync.client import sync_with
from carechain.sync.follow import follow
from carechain.testing import ServedApp
from tests.web.conftest import Site

from .conftest import CAD, Hub, audit_of, bearer

UPGRADE = {**CAD, "category": 1, "updated_at": "2026-12-03T14:05:00Z"}
CANCEL = {**UPGRADE, "status": "cancelled", "cancel_reason": "duplicate call",
          "updated_at": "2026-12-03T14:06:00Z"}
OTHER = {**CAD, "incident_number": "INC-20261203-0043"}


@pytest.fixture
def served(hub: Hub) -> Iterator[str]:
    """The hub's app on a real port (its live WebSocket), beside the test client."""
    app = ServedApp(create_app(hub.node, accounts=hub.accounts))
    yield app.url
    app.stop()


@contextmanager
def following(node: Node, url: str, hub: Node) -> Iterator[list[BaseException]]:
    """Follow the hub live on a thread of its own until the block ends."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            loop.run_until_complete(follow(node, url, hub.keys.key_id.hex(), stop=stop))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield errors
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def revisions(node: Node) -> list[tuple[str, int]]:
    return [(o.incident, o.revision) for o in held(node)]


def shown(site: Site) -> list[dict[str, Any]]:
    r = site.client.get("/dispatch/offers", headers=bearer(site))
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()
    return out


def test_offers_an_update_and_a_cancellation_reach_a_following_crew_with_no_round(
    hub: Hub, crews: tuple[Site, Site], served: str,
) -> None:
    one, two = crews
    inc = CAD["incident_number"]
    with following(one.node, served, hub.node) as errors, following(two.node, served, hub.node):
        assert hub.post(CAD).status_code == 201
        wait_for(lambda: revisions(one.node) == [(inc, 1)])
        assert hub.post(UPGRADE).status_code == 201  # the connection is up: pushed live
        wait_for(lambda: revisions(one.node) == [(inc, 1), (inc, 2)])
        assert hub.post(CANCEL).status_code == 201
        wait_for(lambda: revisions(one.node) == [(inc, 1), (inc, 2), (inc, 3)])
        assert not errors
    assert held(two.node) == []  # crew-2 was never assigned: nothing sealed to it
    assert pulled_up_to(one.node, hub.node.keys.key_id) == 3  # the poll's cursor, moved
    (offer,) = shown(one)
    assert offer["status"] == "cancelled" and offer["revision"] == 3
    assert [u["changes"] for u in offer["updates"]] == [
        [], ["category changed from 2 to 1"], ["cancelled: duplicate call"]]


def test_the_poll_still_delivers_and_agrees_with_live(
    hub: Hub, crews: tuple[Site, Site], served: str,
) -> None:
    one, _ = crews
    assert hub.post(CAD).status_code == 201
    sync_with(one.node, hub.client)  # no live stream: the sync round's poll
    assert revisions(one.node) == [(CAD["incident_number"], 1)]
    with following(one.node, served, hub.node):
        assert hub.post(OTHER).status_code == 201
        wait_for(lambda: len(held(one.node)) == 2)
    sync_with(one.node, hub.client)  # a round after live: nothing twice
    assert sorted(revisions(one.node)) == [(CAD["incident_number"], 1),
                                           (OTHER["incident_number"], 1)]


def test_a_crew_that_was_away_gets_what_it_missed_when_it_reconnects(
    hub: Hub, crews: tuple[Site, Site], served: str,
) -> None:
    one, _ = crews
    inc = CAD["incident_number"]
    with following(one.node, served, hub.node):
        assert hub.post(CAD).status_code == 201
        wait_for(lambda: revisions(one.node) == [(inc, 1)])
    # The crew's link drops (the tablet restarts, a tunnel): the CAD carries on.
    assert hub.post(UPGRADE).status_code == 201
    assert hub.post(OTHER).status_code == 201
    time.sleep(0.3)
    assert revisions(one.node) == [(inc, 1)]
    with following(one.node, served, hub.node) as errors:
        wait_for(lambda: len(held(one.node)) == 3)
        assert not errors
    assert sorted(revisions(one.node)) == [(inc, 1), (inc, 2), (OTHER["incident_number"], 1)]


def test_an_offer_and_its_audit_entry_commit_together_or_not_at_all(
    hub: Hub, crews: tuple[Site, Site], monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = hub.node.store.append

    def crash(entries: Any, meta: Any = ()) -> Any:
        raise StoreError("the disk went away mid-transaction")

    monkeypatch.setattr(hub.node.store, "append", crash)
    assert hub.post(CAD).status_code >= 500  # the CAD is told it was not taken
    assert hub.kept() == [] and audit_of(hub.node, "dispatch.receive") == []
    monkeypatch.setattr(hub.node.store, "append", real)
    r = hub.post(CAD)  # the CAD's retry: a first delivery, not a duplicate of nothing
    assert r.status_code == 201 and r.json()["duplicate"] is False
    assert len(audit_of(hub.node, "dispatch.receive")) == 1
    assert len([k for k, _ in hub.kept() if k.startswith("dispatch/offer/")]) == 1


def test_an_accepted_offer_is_marked_with_its_record_or_not_at_all(
    hub: Hub, crews: tuple[Site, Site], monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, _ = crews
    inc = CAD["incident_number"]
    assert hub.post(CAD).status_code == 201
    sync_with(one.node, hub.client)

    def crash(entries: Any, meta: Any = ()) -> Any:
        raise StoreError("the disk went away mid-transaction")

    real = one.node.store.append
    monkeypatch.setattr(one.node.store, "append", crash)
    assert one.client.post(f"/dispatch/offers/{inc}/accept", headers=bearer(one)).status_code \
        >= 500
    assert one.node.store.get_meta(ACCEPTED + inc) is None
    monkeypatch.setattr(one.node.store, "append", real)
    r = one.client.post(f"/dispatch/offers/{inc}/accept", headers=bearer(one))
    assert r.status_code in (200, 201), r.text
    record = one.node.store.get_meta(ACCEPTED + inc)
    assert record is not None and one.node.store.record(record)
