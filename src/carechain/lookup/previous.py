"""Previous calls, on the trust's records vault: answer a crew's request for this trust's
earlier records of the same patient by granting them to that crew node.

The hub is a blind relay and cannot match anything, so the vault, which reads every
record of its trust, does the matching (docs/previous-calls.md says why not a blind
index on the hub). As entries reach the vault it keeps an index from a keyed hash of each
NHS number (BLAKE2b keyed by a key derived from the vault's receiving key, so the index
on disk gives up no NHS number) to the records that carry it, and answers each
`previous_calls.requested` it finds:

- the requesting node must be a crew node of this trust (its certificate says so);
- **relationship**: the requested number is the NHS number of the record the request is
  in, as the vault folds it; **break-glass**: it is not, and the request gives a reason
  (audited on the vault as `break_glass` for each record disclosed); otherwise refused;
- matches are the records whose folded patient section carries that number now (the
  index only finds candidates), newest first, at most `MAX_PREVIOUS`, the asking record
  left out; each is granted to the crew node's receiving key (a `grant` entry, audited
  `key.grant`), and the answer (`previous_calls.answered`) is written into the asking
  record, all in one unit of work. The grants travel through the hub by ordinary sync,
  and the crew node receives each granted record whole (sync-protocol.md, who receives
  what), end-to-end encrypted to it.

Answering is idempotent: a request already answered in its record is not answered again
(a crash between the answer and the cursor's move is harmless).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nacl.encoding
import nacl.hash

from carechain.accounts import audit_event
from carechain.entries.sealing import open_user
from carechain.errors import CarechainError
from carechain.node import Node, Unit
from carechain.node.audit import write_audit
from carechain.records.fold import AMENDMENT_KIND
from carechain.records.kinds import MAX_PREVIOUS
from carechain.store import Stored
from carechain.trust import Certificate

__all__ = ["CURSOR", "INDEX", "PreviousCalls", "Request"]

INDEX = "previous/index/"  # vault: keyed hash of an NHS number / record → b""
CURSOR = "previous/cursor"  # vault: the last log position looked through
_BATCH = 500
log = logging.getLogger("carechain.lookup")


@dataclass(frozen=True)
class Request:
    """A `previous_calls.requested` entry the vault has read."""

    entry: str
    record: bytes
    author: bytes
    user: str
    nhs_number: str
    reason: str | None


def _nhs_of(kind: str, data: dict[str, Any]) -> str | None:
    if kind == AMENDMENT_KIND and isinstance(data.get("data"), dict):
        data = data["data"]
    elif kind != "patient.recorded":
        return None
    number = data.get("nhs_number")
    return number if isinstance(number, str) else None


class PreviousCalls:
    """A vault's index of NHS numbers and its answers to previous-call requests."""

    def __init__(self, node: Node) -> None:
        if node.info.role != "vault":
            raise ValueError("previous calls are answered by a records vault")
        self.node = node
        self._key = bytes(nacl.hash.blake2b(b"carechain-previous-calls-v1",
                                            key=node.keys.box_private, digest_size=32,
                                            encoder=nacl.encoding.RawEncoder))
        self._lock = threading.Lock()

    def tag(self, nhs_number: str) -> str:
        """Return the index's keyed hash of an NHS number."""
        return bytes(nacl.hash.blake2b(nhs_number.encode(), key=self._key, digest_size=16,
                                       encoder=nacl.encoding.RawEncoder)).hex()

    def run(self) -> int:
        """Look through the entries stored since the last run; return how many requests
        were answered."""
        answered = 0
        with self._lock:
            while True:
                cursor = int(self.node.store.get_meta(CURSOR) or b"0")
                batch = self.node.store.since(cursor, _BATCH)
                if not batch:
                    return answered
                requests = self._index(batch)
                for request in requests:
                    answered += self._answer(request)
                self.node.store.set_meta(CURSOR, str(batch[-1].seq).encode())

    def _index(self, batch: list[Stored]) -> list[Request]:
        found: list[Request] = []
        items: list[tuple[str, bytes]] = []
        for stored in batch:
            entry = stored.entry
            if entry.header.cls != "clinical":
                continue
            try:
                body = self.node.body(entry)
            except CarechainError:
                continue  # a record not granted to this vault: nothing to index
            if body is None:
                continue
            kind, data = str(body.get("kind")), body.get("data") or {}
            number = _nhs_of(kind, data)
            if number:
                items.append((f"{INDEX}{self.tag(number)}/{entry.header.record.hex()}", b""))
            if kind == "previous_calls.requested":
                user = open_user(entry, self.node.content_key(entry.header.record))
                found.append(Request(entry.hex, entry.header.record, entry.header.author,
                                     user, str(data["nhs_number"]),
                                     data.get("reason")))
        if items:
            self.node.store.set_meta_many(items)
        return found

    def candidates(self, nhs_number: str) -> list[bytes]:
        """Return the records whose patient carries this NHS number now, newest first."""
        prefix = f"{INDEX}{self.tag(nhs_number)}/"
        out: list[tuple[int, bytes]] = []
        for key, _ in self.node.store.meta_items(prefix):
            record = bytes.fromhex(key[len(prefix):])
            try:
                state = self.node.state(record)
            except CarechainError:
                continue
            if state["sections"].get("patient", {}).get("nhs_number") != nhs_number:
                continue  # amended to another number since
            first = min(s.entry.header.hlc.ms for s in self.node.store.record(record))
            out.append((first, record))
        return [r for _, r in sorted(out, reverse=True)]

    def _crew(self, author: bytes) -> Certificate | None:
        certs = self.node.directory.certs.get(author) or []
        crews = [c for c in certs if c.role == "crew" and c.org == self.node.info.org]
        return crews[0] if crews else None

    def _already(self, request: Request) -> bool:
        state = self.node.state(request.record)
        return any(a.get("request") == request.entry
                   for a in state["items"].get("previous_answers", []))

    def _answer(self, request: Request) -> int:
        if self._already(request):
            return 0
        crew = self._crew(request.author)
        state = self.node.state(request.record)
        own = state["sections"].get("patient", {}).get("nhs_number")
        answer: dict[str, Any]
        if crew is None:
            answer = {"access": "refused",
                      "rule": "only a crew node of this trust may ask for previous calls"}
        elif own == request.nhs_number:
            answer = {"access": "relationship"}
        elif request.reason:
            answer = {"access": "break_glass"}
        else:
            answer = {"access": "refused",
                      "rule": "the NHS number is not this record's patient's: "
                              "a break-glass reason is needed"}
        records: list[bytes] = []
        if crew is not None and answer["access"] != "refused":
            records = [r for r in self.candidates(request.nhs_number)
                       if r != request.record][:MAX_PREVIOUS]
            answer["records"] = [r.hex() for r in records]
        with self.node.unit() as uow:
            for record in records:
                assert crew is not None
                self._disclose(uow, record, crew, request, answer["access"])
            self.node.append(record=request.record, user=self.node.info.name,
                             kind="previous_calls.answered",
                             data={"request": request.entry, **answer}, uow=uow)
        return 1

    def _disclose(self, uow: Unit, record: bytes, crew: Certificate, request: Request,
                  access: str) -> None:
        if crew.box_key_id not in self.node.recipients(record):
            self.node.grant(record=record, user=self.node.info.name,
                            recipients={crew.box_key_id: crew.box_key}, uow=uow)
        detail = {"node": crew.name, "requested_by": request.user,
                  "request": request.entry, "asking_record": request.record.hex(),
                  "why": "previous-call"}
        self._audit(uow, "key.grant", record, detail)
        if access == "break_glass":
            self._audit(uow, "break_glass", record, {**detail, "reason": request.reason})

    def _audit(self, uow: Unit, action: str, record: bytes, detail: dict[str, Any]) -> None:
        # The vault acts as its operator, on the request of the crew member it names.
        event = audit_event(action, staff_id="operator", role="admin",
                            at_ms=self.node.clock_ms(), outcome="success", record=record.hex(),
                            detail={"interface": "sync", "actor": "operator", **detail})
        write_audit(self.node, event, uow=uow)

    def start(self, every_s: float) -> Callable[[], None]:
        """Answer requests in the background every `every_s` (and when the log grows);
        return the function that stops it."""
        stop = threading.Event()
        wake = threading.Event()
        unlisten = self.node.notifier.listen(lambda _seq: wake.set())

        def loop() -> None:
            while not stop.is_set():
                try:
                    self.run()
                except CarechainError as exc:  # tried again at the next wake
                    log.warning("previous calls: %s", exc)
                wake.wait(every_s)
                wake.clear()
            unlisten()

        thread = threading.Thread(target=loop, name="previous-calls", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            wake.set()
            thread.join(10)

        return halt
