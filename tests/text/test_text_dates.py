from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import dates as babel_dates

from nashra.text import format_date, format_datetime, parse_locale

LATE_UTC = datetime(2025, 6, 13, 23, 30, tzinfo=UTC)


def test_ar_and_ar_dz_month_names_differ() -> None:
    assert format_date(LATE_UTC, locale="ar") == "13 يونيو 2025"
    assert format_date(LATE_UTC, locale="ar_DZ") == "13 جوان 2025"


def test_ar_dz_uses_western_digits() -> None:
    text = format_date(LATE_UTC, locale="ar_DZ")
    assert "2025" in text
    assert not any("\u0660" <= c <= "\u0669" for c in text)


def test_date_is_taken_in_the_newsroom_zone() -> None:
    # 23:30 UTC is already the next day in Algiers (UTC+1).
    assert format_date(LATE_UTC, locale="ar_DZ", tz="Africa/Algiers") == "14 جوان 2025"
    assert format_date(LATE_UTC, locale="ar_DZ", tz=ZoneInfo("Africa/Algiers")) == "14 جوان 2025"


def test_format_datetime_converts_and_shows_local_time() -> None:
    text = format_datetime(LATE_UTC, locale="ar_DZ", tz="Africa/Algiers")
    assert "14 جوان 2025" in text
    assert "12:30" in text
    assert "+0100" in text
    other_zone = datetime(2025, 6, 14, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(other_zone, locale="ar_DZ", tz="Africa/Algiers") == text


def test_custom_pattern() -> None:
    assert format_date(LATE_UTC, locale="ar", format="d MMMM") == "13 يونيو"
    assert format_datetime(LATE_UTC, locale="ar_DZ", tz="Africa/Algiers", format="HH:mm") == "00:30"


@pytest.mark.parametrize("locale", ["ar", "ar_DZ", "ar_MA", "fr", "en"])
@pytest.mark.parametrize("style", ["full", "long", "medium", "short", "EEEE d MMMM y"])
def test_dates_are_babels_own(locale: str, style: str) -> None:
    """The pattern is parsed once per style and locale; the text is what `babel.dates.format_date` gives."""
    zone = ZoneInfo("Africa/Algiers")
    for days in range(0, 400, 37):
        moment = datetime(2026, 1, 1, 23, 30, tzinfo=UTC) + timedelta(days=days)
        expected = babel_dates.format_date(moment.astimezone(zone).date(), format=style, locale=locale)
        assert format_date(moment, locale=locale, tz=zone, format=style) == expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_date(datetime(2025, 6, 13, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2025, 6, 13, 12, 0))


def test_unknown_zone_and_locale_raise_value_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        format_date(LATE_UTC, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="xx_YY"):
        format_date(LATE_UTC, locale="xx_YY")


def test_parse_locale_accepts_cldr_and_bcp47_names() -> None:
    assert parse_locale("ar") == Locale("ar")
    assert parse_locale("ar_DZ") == Locale("ar", "DZ")
    assert parse_locale("ar-DZ") == Locale("ar", "DZ")


@pytest.mark.parametrize("name", ["", "xx", "ar_XX", "arabic", "ar DZ"])
def test_parse_locale_rejects_unknown_names_clearly(name: str) -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        parse_locale(name)
