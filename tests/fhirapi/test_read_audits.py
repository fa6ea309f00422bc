"""Reads made at the same time share one unit of work for their audit entries (group
commit): every read still leaves its own entry, stored before it answers, and a unit that
fails fails every read in it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from carechain.errors import StoreError
from carechain.node import Unit
from carechain.operations import Actor, Door
from carechain.operations import fhir as ops
from tests.fhirapi.conftest import Held
from tests.web.hospital_support import CLINICIAN


class CountingDoor(Door):
    """A door that counts the units of work it opens, and can make them fail."""

    units = 0
    fail = False

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        self.units += 1
        with super().unit() as uow:
            if self.fail:
                raise StoreError("the disk is full")
            yield uow


def _clinician(held: Held) -> Actor:
    person = held.ward.site.accounts.person(CLINICIAN)
    assert person is not None
    return Actor.person(person, "fhir")


def test_concurrent_reads_each_store_their_audit_entry_before_answering(held: Held) -> None:
    door = CountingDoor(held.ward.hospital, held.ward.site.accounts)
    index = ops.FhirIndex()
    actor = _clinician(held)
    rid = held.rid(held.addressed, "document")
    before = len(held.views())
    lock = threading.Lock()
    done = [0]
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(5):
                body = ops.document(door, actor, index, kind="Bundle", rid=rid)
                assert body.startswith(b'{"resourceType":"Bundle"')
                with lock:
                    done[0] += 1
                    # every read that has answered has its entry stored already
                    assert len(held.views()) - before >= done[0]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    views = held.views()[before:]
    assert len(views) == 40 and door.units <= 40
    assert all(v["record"] == held.addressed.hex() and v["detail"]["interface"] == "fhir"
               and v["detail"]["what"] == "fhir Bundle document" for v in views)


def test_a_unit_that_fails_fails_every_read_in_it(held: Held) -> None:
    door = CountingDoor(held.ward.hospital, held.ward.site.accounts)
    door.fail = True
    index = ops.FhirIndex()
    before = len(held.views())
    with pytest.raises(StoreError):
        ops.document(door, _clinician(held), index, kind="Bundle",
                     rid=held.rid(held.addressed, "document"))
    assert len(held.views()) == before
    door.fail = False
    ops.document(door, _clinician(held), index, kind="Bundle",
                 rid=held.rid(held.addressed, "document"))
    assert len(held.views()) == before + 1
