"""The crew node's lookup queue: PDS lookups kept until they are answered, and their answers
kept until the crew confirms one (or dismisses it).

A lookup is tried at once, with a short timeout; if PDS cannot answer now (offline,
throttled, slow), it waits in the queue and a background worker tries it again every
`retry_s`. Nothing blocks the crew and nothing is written into the record by a lookup:
its answer is offered on the record page and applied only when a crew member confirms a
patient (`operations.lookups.confirm`). Each job lives in the node's store (`meta`, key
`lookup/job/<record>/<job>`), sealed to the node's own receiving key, so the typed
demographics and PDS's answer are not readable at rest without the operator secret.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import nacl.public

from carechain.errors import FieldInvalid, NotFound
from carechain.lookup.client import Pds, PdsRefused, PdsUnavailable
from carechain.lookup.pds import Answer, PdsPatient, Search
from carechain.node import Node

__all__ = ["JOB", "Job", "LookupQueue", "State"]

JOB = "lookup/job/"
State = Literal["queued", "answered", "refused", "confirmed", "dismissed"]


@dataclass(frozen=True)
class Job:
    """One lookup: what was asked, by whom, and where it stands."""

    id: str
    record: str
    asked_by: str
    asked_ms: int
    search: dict[str, Any] | None = None
    nhs_number: str | None = None
    state: State = "queued"
    attempts: int = 0
    error: str | None = None
    answer: dict[str, Any] | None = None
    updated_ms: int = 0
    confirmed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the job as JSON-ready fields."""
        return asdict(self)

    def patients(self) -> list[PdsPatient]:
        """Return the patients PDS offered, best first."""
        return [PdsPatient(**p) for p in (self.answer or {}).get("patients", [])]


class LookupQueue:
    """A crew node's PDS lookups (`pds` None: no PDS configured, every lookup waits)."""

    def __init__(self, node: Node, pds: Pds | None, retry_s: float = 30.0) -> None:
        self.node = node
        self.pds = pds
        self.retry_s = retry_s
        self._box = nacl.public.SealedBox(nacl.public.PrivateKey(node.keys.box_private))
        self._seal = nacl.public.SealedBox(nacl.public.PublicKey(node.keys.box_public))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _key(self, record: str, job: str) -> str:
        return f"{JOB}{record}/{job}"

    def _save(self, job: Job) -> None:
        data = json.dumps(job.to_dict(), sort_keys=True).encode()
        self.node.store.set_meta(self._key(job.record, job.id), self._seal.encrypt(data))

    def _open(self, value: bytes) -> Job:
        return Job(**json.loads(self._box.decrypt(value)))

    def jobs(self, record: bytes) -> list[Job]:
        """Return the lookups of a record, newest first."""
        found = [self._open(v) for _, v in self.node.store.meta_items(f"{JOB}{record.hex()}/")]
        return sorted(found, key=lambda j: -j.asked_ms)

    def get(self, record: bytes, job_id: str) -> Job:
        """Return one lookup of a record, or raise NotFound."""
        value = None if len(job_id) != 16 else self.node.store.get_meta(
            self._key(record.hex(), job_id))
        if value is None:
            raise NotFound(f"no lookup {job_id!r} of record {record.hex()}")
        return self._open(value)

    def ask(self, record: bytes, asked_by: str, *, search: Search | None = None,
            nhs_number: str | None = None) -> Job:
        """Keep a lookup and try it at once; return it answered, refused or queued."""
        if (search is None) == (nhs_number is None):
            raise FieldInvalid("nhs_number", "look up by NHS number or by demographics, "
                                             "not both and not neither")
        now = self.node.clock_ms()
        job = Job(id=secrets.token_hex(8), record=record.hex(), asked_by=asked_by,
                  asked_ms=now, search=None if search is None else search.to_dict(),
                  nhs_number=nhs_number, updated_ms=now)
        with self._lock:
            self._save(job)
        return self.attempt(job)

    def attempt(self, job: Job) -> Job:
        """Ask PDS for a queued job now; keep and return what became of it."""
        if job.state != "queued":
            return job
        if self.pds is None:
            return self._update(job, error="no PDS service is configured on this node")
        try:
            answer: Answer
            if job.search is not None:
                answer = self.pds.search(Search.from_dict(job.search))
            else:
                answer = self.pds.read(str(job.nhs_number))
        except PdsUnavailable as exc:
            return self._update(job, error=str(exc))
        except PdsRefused as exc:
            return self._update(job, state="refused", error=str(exc))
        return self._update(job, state="answered", error=None, answer=answer.to_dict())

    def _update(self, job: Job, **changes: Any) -> Job:
        tried = "answer" in changes or "error" in changes
        with self._lock:
            current = self.get(bytes.fromhex(job.record), job.id)
            if current.state != job.state:  # confirmed or dismissed meanwhile
                return current
            new = replace(current, **changes, updated_ms=self.node.clock_ms(),
                          attempts=current.attempts + (1 if tried else 0))
            self._save(new)
        return new

    def settle(self, record: bytes, job_id: str, state: State,
               confirmed: str | None = None) -> Job:
        """Mark an answered lookup confirmed (with the NHS number chosen) or dismissed."""
        job = self.get(record, job_id)
        if state == "confirmed" and job.state != "answered":
            raise FieldInvalid("lookup", f"is {job.state}: only an answered lookup can be "
                                         "confirmed")
        if job.state in ("confirmed", "dismissed"):
            raise FieldInvalid("lookup", f"is already {job.state}")
        with self._lock:
            new = replace(job, state=state, confirmed=confirmed, updated_ms=self.node.clock_ms())
            self._save(new)
        return new

    def put_back(self, job: Job) -> None:
        """Keep `job` as it was (the unit of work that settled it rolled back)."""
        with self._lock:
            self._save(job)

    def pending(self) -> list[Job]:
        """Return every queued lookup of every record, oldest first."""
        found = [self._open(v) for _, v in self.node.store.meta_items(JOB)]
        return sorted((j for j in found if j.state == "queued"), key=lambda j: j.asked_ms)

    def retry(self) -> int:
        """Try every queued lookup once; return how many were answered or refused."""
        done = 0
        for job in self.pending():
            if self._stop.is_set():
                break
            done += self.attempt(job).state != "queued"
        return done

    def start(self) -> None:
        """Retry queued lookups in the background every `retry_s`."""

        def run() -> None:
            while not self._stop.wait(self.retry_s):
                self.retry()

        self._thread = threading.Thread(target=run, name="pds-lookups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background retries."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
