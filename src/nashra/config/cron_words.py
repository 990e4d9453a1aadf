"""A digest's cron schedule said back in words («كل يوم الساعة 07:00»), in the site's language.

Editors read the console and `nashra config show`, not cron. The common shapes newsrooms use (at
fixed times every day, on some weekdays, every N minutes or hours) are said in words; anything
else is shown as the expression itself rather than guessed at. Day names and the list's "and"
come from Babel's CLDR data for the locale (so `ar_DZ` gets its own names).
"""

from __future__ import annotations

from babel import Locale
from babel.dates import get_day_names
from babel.lists import format_list

from nashra.config.cron import CronFields, parse_cron

_PHRASES = {
    "ar": {
        "every_day": "كل يوم",
        "on_days": "أيام {days}",
        "on_day": "يوم {days}",
        "at": "الساعة {times}",
        "every": "كل {count}",
        "every_hour": "كل ساعة عند الدقيقة {minute}",
        "cron": "جدول cron: {expression}",
    },
    "en": {
        "every_day": "every day",
        "on_days": "on {days}",
        "on_day": "on {days}",
        "at": "at {times}",
        "every": "every {count}",
        "every_hour": "every hour at minute {minute}",
        "cron": "cron schedule: {expression}",
    },
}


# A count of minutes or hours by the locale's plural category (CLDR, through Babel): Arabic says
# "كل ساعتين" for two and "كل 3 ساعات" for three to ten.
_COUNTS = {
    "ar": {
        "minute": {"one": "دقيقة", "two": "دقيقتين", "few": "{n} دقائق", "other": "{n} دقيقة"},
        "hour": {"one": "ساعة", "two": "ساعتين", "few": "{n} ساعات", "other": "{n} ساعة"},
    },
    "en": {
        "minute": {"one": "minute", "other": "{n} minutes"},
        "hour": {"one": "hour", "other": "{n} hours"},
    },
}


def _count(n: int, unit: str, locale: Locale) -> str:
    forms = _COUNTS.get(locale.language, _COUNTS["en"])[unit]
    return forms.get(locale.plural_form(n), forms["other"]).format(n=n)


def _step(values: frozenset[int], low: int, high: int) -> int | None:
    """The step of a field written `*/n` (every n-th value from `low`), else None."""
    ordered = sorted(values)
    if len(ordered) < 2 or ordered[0] != low:
        return None
    step = ordered[1] - ordered[0]
    return step if ordered == list(range(low, high + 1, step)) else None


def _all(values: frozenset[int], low: int, high: int) -> bool:
    return values == frozenset(range(low, high + 1))


def describe(expression: str, locale: str = "ar") -> str:
    """The schedule in words in `locale`'s language (Arabic or English; others get English)."""
    parsed = Locale.parse(locale.replace("-", "_"))
    phrases = _PHRASES.get(parsed.language, _PHRASES["en"])
    fields = parse_cron(expression)
    words = _describe(fields, phrases, parsed)
    return words if words is not None else phrases["cron"].format(expression=expression)


def _describe(fields: CronFields, phrases: dict[str, str], locale: Locale) -> str | None:
    if not (_all(fields.day, 1, 31) and _all(fields.month, 1, 12)):
        return None  # days of the month, months: said as cron
    every_day = _all(fields.weekday, 0, 6)
    minute_step = _step(fields.minute, 0, 59)
    if every_day and _all(fields.hour, 0, 23) and minute_step:
        return phrases["every"].format(count=_count(minute_step, "minute", locale))
    if len(fields.minute) != 1:
        return None
    (minute,) = fields.minute
    hour_step = _step(fields.hour, 0, 23)
    if every_day and hour_step == 1:
        return phrases["every_hour"].format(minute=f"{minute:02d}")
    if every_day and hour_step and minute == 0:
        return phrases["every"].format(count=_count(hour_step, "hour", locale))
    if len(fields.hour) > 6:
        return None
    times = format_list([f"{hour:02d}:{minute:02d}" for hour in sorted(fields.hour)], locale=locale)
    at = phrases["at"].format(times=times)
    if every_day:
        return f"{phrases['every_day']} {at}"
    names = get_day_names("wide", locale=locale)  # Monday = 0; cron counts from Sunday = 0
    days = format_list([names[(day - 1) % 7] for day in _week_order(fields.weekday)], locale=locale)
    key = "on_day" if len(fields.weekday) == 1 else "on_days"
    return f"{phrases[key].format(days=days)} {at}"


def _week_order(weekdays: frozenset[int]) -> list[int]:
    """Saturday first, as Arabic calendars set the week out; Sunday after Saturday."""
    return sorted(weekdays, key=lambda day: (day + 1) % 7)
