"""The month's quality indicators on a vault: records per second, folding included.

    PYTHONPATH=src .venv/bin/python bench/quality_indicators.py [--records 150]

Documents the demo cases (STEMI, cardiac arrest, trauma, in turn) on a crew node, dated
in the last whole month, gives the vault every entry, then times what the console does on
each view (`carechain.operations.quality.indicators`: read access, fold every record,
judge it, one audit entry), a second view (records unchanged: judged from what the vault
kept), and the indicators alone over states already folded. Prints records/s for each,
and the time a first view of 66,000 records (England's 731,000 incidents in August 2024
over its eleven ambulance services) would take at the first rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from carechain.accounts import AccountStore
from carechain.demo import CASES
from carechain.exports.source import exportable_records
from carechain.operations import Actor, Door, quality
from carechain.operations.door import accounts_key
from carechain.quality import build_report
from carechain.testing import make_node, make_trust
from carechain.trust import DIRECTORY_RECORD

TRUST_MONTH = 66_000


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=150)
    args = parser.parse_args()
    now = datetime.now(UTC)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    base = (first - timedelta(days=20)).replace(hour=9)
    month = base.strftime("%Y-%m")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trust = make_trust(root / "trust")
        crew = make_node(root / "crew", trust, role="crew", name="crew-bench")
        vault = make_node(root / "vault", trust, role="vault", name="vault-bench")
        crew.ingest([s.entry for s in vault.store.record(DIRECTORY_RECORD)])
        vault.ingest([s.entry for s in crew.store.record(DIRECTORY_RECORD)])
        cases = [CASES["chest-pain"], CASES["cardiac-arrest"], CASES["motorcyclist"]]
        started = time.perf_counter()
        for i in range(args.records):
            case = cases[i % len(cases)]()
            record, _ = crew.open_record(user="P100234", data=case.opened)
            for kind, data in case.at(base + timedelta(minutes=37 * i), now=now):
                crew.append(record=record, user="P100234", kind=kind, data=data)
        vault.ingest([s.entry for s in crew.store.since(0, 10_000_000)])
        print(f"documented {args.records} records in {time.perf_counter() - started:.1f} s "
              f"({vault.store.count()} entries on the vault)")
        accounts = AccountStore(root / "accounts.db", accounts_key(vault))
        door = Door(vault, accounts)
        lead = Actor("person", "L400001", "clinical_lead", "web", "L400001")
        started = time.perf_counter()
        with door.unit() as uow:
            report = quality.indicators(door, lead, uow, month=month)
        whole = time.perf_counter() - started
        started = time.perf_counter()
        with door.unit() as uow:
            quality.indicators(door, lead, uow, month=month)
        again = time.perf_counter() - started
        states = [vault.state(r) for r in exportable_records(vault)]
        started = time.perf_counter()
        build_report(month, states)
        alone = time.perf_counter() - started
        accounts.close()
        crew.close()
        vault.close()
    counted = {r.indicator.id: (r.numerator, r.denominator) for r in report.results
               if r.computable}
    print(f"month {month}: {report.records} records; {counted}")
    print(f"fold + indicators + audit: {report.records / whole:,.0f} records/s "
          f"({whole:.2f} s)")
    print(f"second view (unchanged):   {report.records / again:,.0f} records/s "
          f"({again:.2f} s)")
    print(f"indicators alone:          {len(states) / alone:,.0f} records/s")
    print(f"a month of {TRUST_MONTH:,} records at the first rate: "
          f"{TRUST_MONTH / (report.records / whole):,.0f} s")


if __name__ == "__main__":
    main()
