"""A writer for the unit-of-work crash test: multi-entry writes through the door, forever.

Each loop opens a record (grant, `record.opened` and its audit entry), records an
observation (the entry and its audit entry) and gives a dose over the formulary's limit
with a reason (the override, the dose and the audit entry): one unit of work each. It
prints each unit's entry ids once the unit has committed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from carechain.accounts import FAST_FOR_TESTS, AccountStore
from carechain.node import Node
from carechain.operations import Actor, Door
from carechain.operations import records as ops
from carechain.operations.door import accounts_key

REASON = "Senior clinician advice by phone: pain uncontrolled, observations stable"


def main() -> None:
    """Write through the door until killed."""
    node = Node.open(Path(sys.argv[1]), sys.argv[2])
    accounts = AccountStore(Path(sys.argv[1]) / "accounts.db", accounts_key(node),
                            cost=FAST_FOR_TESTS)
    person = accounts.person("P1")
    assert person is not None
    door = Door(node, accounts)
    actor = Actor.person(person, "json")
    while True:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with door.unit() as uow:
            record, _ = ops.open_record(door, actor, uow, data={"callsign": "RRV-1"})
        print("unit", *[e.hex for e in uow.entries], flush=True)
        with door.unit() as uow:
            ops.append(door, actor, uow, record=record, kind="observation.recorded",
                       data={"taken_at": now, "pulse": 90, "spo2": 97})
        print("unit", *[e.hex for e in uow.entries], flush=True)
        with door.unit() as uow:
            ops.append(door, actor, uow, record=record, kind="medication.administered",
                       data={"drug": "morphine", "dose": 15, "unit": "mg", "route": "IV",
                             "given_at": now, "given_by": "P1", "override_reason": REASON})
        print("unit", *[e.hex for e in uow.entries], flush=True)


if __name__ == "__main__":
    main()
