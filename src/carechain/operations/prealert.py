"""The 12-lead a pre-alert carries.

A STEMI pre-alert is sent so the receiving cardiac team can read the ECG before the
patient arrives. When the crew writes a `disposition.recorded` with a STEMI pre-alert and
names no ECG, the newest 12-lead of the record (its `ecg.recorded` entries, issue 16's
import) is named in the same entry (`pre_alert_ecg`); an ECG the crew names must be one
of this record's. Any door that writes a disposition (the crew app, the JSON API) goes
through `carechain.operations.records.append`, which calls `with_ecg`.
"""

from __future__ import annotations

from typing import Any

from carechain.errors import FieldInvalid

__all__ = ["ecgs_of", "with_ecg"]


def ecgs_of(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the ECGs of a record's state, newest first."""
    items: list[dict[str, Any]] = state.get("items", {}).get("ecgs", [])
    return sorted(items, key=lambda a: str(a.get("recorded_at", "")), reverse=True)


def with_ecg(state: dict[str, Any], data: Any) -> Any:
    """Return `data` (a `disposition.recorded` body) naming the ECG its pre-alert carries:
    the crew's choice, checked against the record, or for a STEMI pre-alert the newest
    12-lead of the record. Anything else is returned unchanged."""
    if not isinstance(data, dict) or data.get("pre_alert") is not True:
        return data
    ecgs = ecgs_of(state)
    named = data.get("pre_alert_ecg")
    if named is not None:
        if not any(e.get("attachment") == named for e in ecgs):
            raise FieldInvalid("data.pre_alert_ecg", "must name a 12-lead ECG of this record")
        return data
    if data.get("pre_alert_category") != "stemi" or not ecgs:
        return data
    return {**data, "pre_alert_ecg": ecgs[0]["attachment"]}
