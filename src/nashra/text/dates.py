"""Dates for readers, in the newsroom's time zone and locale.

An article published at 23:30 UTC is "tomorrow" in Algiers; formatting the UTC
date would print the wrong day. And Arabic locales differ in month names
(ar: يونيو, ar_DZ: جوان), so the locale is configuration, validated early.
"""

from datetime import date, datetime
from functools import lru_cache
from typing import Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates


@lru_cache(maxsize=64)
def parse_locale(name: str) -> Locale:
    """Validate a locale name from configuration, accepting "ar_DZ" and BCP 47 "ar-DZ".

    Babel raises its own exception types; config validation wants one
    ValueError with a message an operator can act on. Kept per name: Babel builds a new Locale,
    with its data dictionary, on every parse, a third of formatting a date.
    """
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValueError(f"unknown locale {name!r}: use a CLDR locale such as 'ar' or 'ar_DZ'") from error


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as 'Africa/Algiers'") from error


def _localise(value: datetime, tz: str | ZoneInfo) -> datetime:
    """Move an aware datetime into the newsroom zone; refuse naive ones rather than guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: attach a time zone before formatting")
    return value.astimezone(_zone(tz))


def format_date(
    value: datetime, *, locale: str = "ar", tz: str | ZoneInfo = "UTC", format: str = "long"
) -> str:
    """Format the calendar date as seen in the newsroom's zone.

    ``format`` is a Babel style ("short", "medium", "long", "full") or a CLDR
    pattern. Some Arabic patterns contain RLM (U+200F): do not pass the result
    through ``clean_text`` if the marks matter for display.
    """
    return _format_day(_localise(value, tz).date(), format, locale)


_Style = Literal["full", "long", "medium", "short"]
_STYLES = frozenset(get_args(_Style))


@lru_cache(maxsize=64)
def _date_pattern(format: str, locale: str) -> babel_dates.DateTimePattern:
    """A style's CLDR pattern in `locale`, or a pattern given as is, parsed once: what
    `babel.dates.format_date` looks up and parses again on every call."""
    if format in _STYLES:
        return babel_dates.get_date_format(cast(_Style, format), locale=parse_locale(locale))
    return babel_dates.parse_pattern(format)


@lru_cache(maxsize=256)
def _format_day(day: date, format: str, locale: str) -> str:
    """Once per day, style and locale: every digest, preview and archive page of a day shows it.
    `babel.dates.format_date`, with the pattern parsed once (`_date_pattern`)."""
    return _date_pattern(format, locale).apply(day, parse_locale(locale))


def format_datetime(
    value: datetime, *, locale: str = "ar", tz: str | ZoneInfo = "UTC", format: str = "long"
) -> str:
    """Format date and time as seen in the newsroom's zone (see ``format_date``)."""
    local = _localise(value, tz)
    return babel_dates.format_datetime(local, format=format, tzinfo=local.tzinfo, locale=parse_locale(locale))
