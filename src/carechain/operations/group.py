"""Group commit of read audits: the `record.view` entries of reads made at the same time
are drafted in one unit of work and stored in one durable transaction.

A read that writes nothing but its audit entry waits for that entry to be durable before
it answers, as any read does. When reads arrive faster than the log commits, each waits
for the commit under way, then the next commit takes every read waiting (one fsync for
all of them instead of one each). A read arriving alone commits at once. If the unit
fails, every read in it fails: none answers without its audit entry stored.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from carechain.operations.actor import Actor
from carechain.operations.door import Door

__all__ = ["ReadAudits", "View"]

View = tuple[Actor, bytes, dict[str, Any]]
"""One read to audit: who read, which record, the audit entry's detail."""


@dataclass
class _Waiting:
    views: list[View]
    done: bool = False
    error: BaseException | None = field(default=None)


class ReadAudits:
    """The reads of one app waiting for their audit entries to be stored."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._committing = False

    def store(self, door: Door, views: list[View]) -> None:
        """Store a `record.view` audit entry for each view, durably, before returning."""
        if not views:
            return
        mine = _Waiting(views)
        with self._cond:
            self._waiting.append(mine)
            while not mine.done:
                if self._committing:
                    self._cond.wait()
                    continue
                self._committing = True
                batch, self._waiting = self._waiting, []
                self._cond.release()
                error: BaseException | None = None
                try:
                    with door.unit() as uow:
                        for waiting in batch:
                            for actor, record, detail in waiting.views:
                                door.audit(actor, uow, "record.view", record=record,
                                           detail=detail)
                except BaseException as exc:  # every read of the batch fails with it
                    error = exc
                finally:
                    self._cond.acquire()
                    self._committing = False
                    for waiting in batch:
                        waiting.done, waiting.error = True, error
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
