"""Building blocks shared by every entry body schema: the base model, text, times, ranges.

Normalisation (what `validate_body` returns, see docs/entry-kinds.md):

- date-times are timezone-aware and come back as ISO 8601 strings in UTC with an explicit
  offset, `2024-05-01T13:32:00+00:00` (microseconds only when not zero). One instant has
  one spelling, so equal times compare equal and strings sort in time order.
- dates come back as `YYYY-MM-DD`.
- quantities are JSON numbers: whole-number fields are `int`, the others `float`; there is
  no Decimal anywhere. Text is stripped of surrounding white space.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    StringConstraints,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# Size limits for text and lists in any body. Narrative fields (history, findings, notes,
# safety-netting advice) take up to FREE_TEXT_MAX characters; names, labels, drug names and
# other one-line values up to SHORT_TEXT_MAX; lists up to LIST_MAX items.
FREE_TEXT_MAX = 4000
SHORT_TEXT_MAX = 200
LIST_MAX = 50

RULE_ERROR = "carechain_rule"
DATETIME_RULE = "must be an ISO 8601 date-time with a UTC offset, e.g. 2024-05-01T14:32:00+01:00"
NAIVE_RULE = (
    "must include a UTC offset (e.g. 2024-05-01T14:32:00+01:00 or …Z); "
    "times without an offset are refused"
)
DATE_RULE = "must be a date written YYYY-MM-DD"


class KindModel(BaseModel):
    """Base of every body schema: unknown fields refused, text stripped, no NaN/∞."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
        hide_input_in_errors=True,
    )


def rule_error(field: str, rule: str) -> PydanticCustomError:
    """Return the error a model validator raises to refuse `field` (relative) for `rule`."""
    return PydanticCustomError(RULE_ERROR, "{rule}", {"rule": rule, "field": field})


class Broken:
    """The rules a model validator finds broken, raised together (every error at once)."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, str]] = []

    def add(self, field: str, rule: str) -> None:
        """Note one broken rule of `field` (relative; "" for the whole object)."""
        self.rules.append((field, rule))

    def raise_any(self) -> None:
        """Raise the first broken rule, carrying the rest, if any was noted."""
        if self.rules:
            (field, rule), *more = self.rules
            raise PydanticCustomError(
                RULE_ERROR, "{rule}", {"rule": rule, "field": field, "more": more}
            )


def merged(info: ValidationInfo) -> bool:
    """Tell whether this validation checks a merged section rather than one entry."""
    context = info.context
    return isinstance(context, dict) and bool(context.get("merged"))


# --- text -----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("text_control", "must not contain control characters")
    return value


ShortText = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=SHORT_TEXT_MAX),
    AfterValidator(_no_control),
]
FreeText = Annotated[
    str,
    Strict(),
    StringConstraints(min_length=1, max_length=FREE_TEXT_MAX),
    AfterValidator(_no_control),
]

_STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}")


def _staff_id(value: str) -> str:
    if not _STAFF_ID.fullmatch(value):
        raise PydanticCustomError(
            "staff_id",
            "must be a staff id: 1 to 64 letters, digits or . _ @ : - (no spaces)",
        )
    return value


StaffId = Annotated[str, Strict(), AfterValidator(_staff_id)]

# --- choices --------------------------------------------------------------------------


def one_of(literal: Any) -> BeforeValidator:
    """Refuse values outside a Literal's choices with a rule that lists them."""
    allowed = get_args(literal)
    listed = ", ".join(str(a) for a in allowed)

    def check(value: object) -> object:
        if not any(type(value) is type(a) and value == a for a in allowed):
            raise PydanticCustomError("choice", "must be one of: {allowed}", {"allowed": listed})
        return value

    return BeforeValidator(check)


# --- numbers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Between:
    """Annotated metadata: refuse a number outside [low, high] naming the range and unit."""

    low: float
    high: float
    unit: str = ""
    decimals: int | None = None

    def rule(self) -> str:
        """Return the rule text, e.g. 'must be between 50 and 100 %'."""
        unit = f" {self.unit}" if self.unit else ""
        return f"must be between {self._show(self.low)} and {self._show(self.high)}{unit}"

    def _show(self, value: float) -> str:
        if self.decimals is not None:
            return f"{value:.{self.decimals}f}"
        return f"{value:g}"

    def _check(self, value: float) -> float:
        if not self.low <= value <= self.high:
            raise PydanticCustomError("range", self.rule())
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out.update(minimum=self.low, maximum=self.high)
        return out


def one_decimal(value: float) -> float:
    """Refuse more than one decimal place (temperatures, RCP NEWS2); return it rounded."""
    if abs(value * 10 - round(value * 10)) > 1e-6:
        raise PydanticCustomError("decimals", "must have at most one decimal place")
    return round(value, 1)


def positive(value: float) -> float:
    """Refuse zero and negative numbers."""
    if value <= 0:
        raise PydanticCustomError("positive", "must be greater than 0")
    return value


Int = Annotated[int, Strict()]
Num = Annotated[float, Strict()]
Bool = Annotated[bool, Strict()]

# --- times ----------------------------------------------------------------------------

_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _datetime_input(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATETIME_SHAPE.match(value):
        return value
    raise PydanticCustomError("datetime_shape", DATETIME_RULE)


def _date_input(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_SHAPE.fullmatch(value):
        return value
    raise PydanticCustomError("date_shape", DATE_RULE)


def iso_utc(value: datetime) -> str:
    """Return an aware date-time as ISO 8601 in UTC with a +00:00 offset."""
    return value.astimezone(UTC).isoformat()


Time = Annotated[
    AwareDatetime,
    BeforeValidator(_datetime_input),
    PlainSerializer(iso_utc, return_type=str),
]
Day = Annotated[
    date,
    BeforeValidator(_date_input),
    PlainSerializer(date.isoformat, return_type=str),
]


# Times in rule messages are shown as the crew reads a clock: UK local time.
DISPLAY_ZONE = "Europe/London"


def _display_zone() -> tzinfo | None:
    try:
        return ZoneInfo(DISPLAY_ZONE)
    except (ZoneInfoNotFoundError, ValueError):  # no time zone database: keep the offset
        return None


def show_times(first: datetime, second: datetime) -> tuple[str, str]:
    """Return two times for a rule message: HH:MM in UK time, with the date if they differ."""
    zone = _display_zone() or first.tzinfo
    a, b = first.astimezone(zone), second.astimezone(zone)
    fmt = "%H:%M:%S" if a.second or b.second else "%H:%M"
    if a.date() != b.date():
        fmt = "%Y-%m-%d " + fmt
    return a.strftime(fmt), b.strftime(fmt)


def unique(field_rule: str) -> Callable[[list[Any]], list[Any]]:
    """Return a list validator refusing repeated items."""

    def check(items: list[Any]) -> list[Any]:
        if len(set(map(repr, items))) != len(items):
            raise PydanticCustomError("unique", field_rule)
        return items

    return check
