"""The table that maps a monitor's MDC codes and units to `vitals.frame` fields.

The table is data (`pcd01_map.yaml`, shipped in the package; a trust may point
`carechain serve --device-map` at its own), so a new monitor parameter or unit is a line of
YAML, not code. A table is checked when it is loaded: a field the frame does not have, a
code listed twice or a unit without a positive factor refuses the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from carechain.errors import FieldInvalid
from carechain.records.kinds import KINDS

__all__ = ["DeviceMap", "Metric", "default_map", "load_map", "map_from"]


@dataclass(frozen=True)
class Metric:
    """One MDC code: the frame field it fills and its accepted units with their factors."""

    mdc: int
    name: str
    field: str
    units: dict[str, float]


@dataclass(frozen=True)
class DeviceMap:
    """Metrics by MDC code, in table order, and the codes knowingly not stored."""

    metrics: dict[int, Metric]
    ignored: frozenset[int]
    order: tuple[int, ...]

    def rank(self, mdc: int) -> int:
        """Return a metric's place in the table (earlier wins a shared field)."""
        return self.order.index(mdc)


_FRAME_FIELDS = frozenset(KINDS["vitals.frame"].model.model_fields) - {"at", "source"}


def _metric(row: Any) -> Metric:
    if not isinstance(row, dict):
        raise FieldInvalid("device_map", f"a metric must be a mapping, not {row!r}")
    mdc, field, units = row.get("mdc"), row.get("field"), row.get("units")
    if not isinstance(mdc, int) or isinstance(mdc, bool) or mdc < 0:
        raise FieldInvalid("device_map", f"metric {row!r}: `mdc` must be a whole number")
    if field not in _FRAME_FIELDS:
        raise FieldInvalid("device_map", f"MDC {mdc}: `field` must be one of "
                           f"{', '.join(sorted(_FRAME_FIELDS))}, not {field!r}")
    if not isinstance(units, dict) or not units:
        raise FieldInvalid("device_map", f"MDC {mdc}: `units` must list at least one unit")
    factors: dict[str, float] = {}
    for unit, factor in units.items():
        if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
            raise FieldInvalid("device_map", f"MDC {mdc}: unit {unit!r} needs a positive factor")
        factors[str(unit)] = float(factor)
    return Metric(mdc, str(row.get("name", "")), str(field), factors)


def load_map(text: str) -> DeviceMap:
    """Parse and check a mapping table (YAML)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FieldInvalid("device_map", f"not YAML: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise FieldInvalid("device_map", "must be a mapping with `version: 1`")
    rows = doc.get("metrics")
    if not isinstance(rows, list) or not rows:
        raise FieldInvalid("device_map", "`metrics` must list at least one metric")
    metrics: dict[int, Metric] = {}
    for row in rows:
        metric = _metric(row)
        if metric.mdc in metrics:
            raise FieldInvalid("device_map", f"MDC {metric.mdc} is listed twice")
        metrics[metric.mdc] = metric
    ignored: set[int] = set()
    for row in doc.get("ignored") or []:
        code = row.get("mdc") if isinstance(row, dict) else None
        if not isinstance(code, int) or code in metrics:
            raise FieldInvalid("device_map", f"ignored {row!r}: `mdc` must be a whole number "
                               "not also listed as a metric")
        ignored.add(code)
    return DeviceMap(metrics, frozenset(ignored), tuple(metrics))


def default_map() -> DeviceMap:
    """Return the table shipped with carechain."""
    text = resources.files("carechain.devices").joinpath("pcd01_map.yaml").read_text("utf-8")
    return load_map(text)


def map_from(path: Path | None) -> DeviceMap:
    """Return a trust's own table from `path`, or the shipped one."""
    return default_map() if path is None else load_map(path.read_text("utf-8"))
