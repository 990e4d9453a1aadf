"""Standard 5-field cron expressions, read into the set of values each field allows.

Nashra accepts the grammar every cron reads the same way (numbers, `*`, ranges, steps, lists,
month and weekday names; weekdays 0 or 7 = Sunday) and nothing scheduler-specific, so a schedule
that loads is one any scheduler can run with the same meaning. Checked at config load, so a typo
is a one-line config error rather than a worker that fails to start.
"""

from __future__ import annotations

from dataclasses import dataclass

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    """Names for the values from `low` on (jan = 1, sun = 0)."""
    names_or_numbers: bool = False
    """Refuse a field mixing both: "mon,3" is too easy to misread."""


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 7, DAY_NAMES, names_or_numbers=True),
)


@dataclass(frozen=True, slots=True)
class CronFields:
    """The values each field allows; `weekday` counts from Sunday = 0 (7 is folded onto 0)."""

    minute: frozenset[int]
    hour: frozenset[int]
    day: frozenset[int]
    month: frozenset[int]
    weekday: frozenset[int]


def _value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.low + field.names.index(text)
    if not text.isdigit():
        raise ValueError(f"{field.name} {text!r} is not a number")
    return int(text)


def _values(text: str, field: _Field) -> frozenset[int]:
    if field.names_or_numbers and any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
        raise ValueError(f"{field.name} {text!r}: use numbers ({field.low}-{field.high}) or names, not both")
    values: set[int] = set()
    for part in text.lower().split(","):
        body, slash, step_text = part.partition("/")
        if slash and not step_text.isdigit():
            raise ValueError(f"{field.name} {text!r}: the step is not a number")
        step = int(step_text) if slash else 1
        if body == "*":
            start, end = field.low, field.high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = _value(first, field), _value(last, field)
        else:
            start = _value(body, field)
            end = field.high if slash else start
        if not (field.low <= start <= end <= field.high) or step < 1:
            raise ValueError(f"{field.name} {text!r} is not a valid cron field")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronFields:
    """The expression's allowed values per field; ValueError with a short reason when it is not cron."""
    texts = expression.split()
    if len(texts) != len(_FIELDS):
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(texts)}")
    minute, hour, day, month, weekday = (_values(t, f) for t, f in zip(texts, _FIELDS, strict=True))
    return CronFields(minute, hour, day, month, frozenset(d % 7 for d in weekday))
