"""The schedule form of a digest's page, apart from the routes: what it shows filled in from the
values in force, and what an admin posted turned into the three values that may be overridden
(schedule, window, max_items), or the problems to show next to each field.

A schedule is days of the week and a time in the site's zone (what a newsroom means nearly
always) or a raw cron expression (anything else). Whether a value is acceptable is for
`nashra.config.overrides.check` to say, with the file's own rules; this only reads the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from starlette.datastructures import FormData

from nashra.config.cron import parse_cron
from nashra.web.console.registry import N_

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
ALL_DAYS = frozenset(range(7))
"""Cron's weekday numbers, Sunday = 0."""


def week_days(locale: str) -> list[tuple[int, str]]:
    """(cron weekday, its name) in the order the locale's week runs (Saturday first in Algeria)."""
    parsed = Locale.parse(locale.replace("-", "_"))
    names = get_day_names("wide", locale=parsed)  # Monday = 0
    return [((day + 1) % 7, names[day]) for day in ((parsed.first_week_day + i) % 7 for i in range(7))]


@dataclass(slots=True)
class ScheduleForm:
    mode: str = "days"
    """"days": days of the week and a time; "cron": the expression as typed."""
    days: frozenset[int] = ALL_DAYS
    time: str = "07:00"
    cron: str = ""
    window: str = "since_last"
    """"since_last" or "hours"."""
    hours: str = "24"
    max_items: str = "20"
    problems: dict[str, str] = field(default_factory=dict)
    """By field: a message of this form (translated when shown)."""
    refused: dict[str, str] = field(default_factory=dict)
    """By key: why the config's rules refuse the value (English, as `nashra config set` says it)."""

    @classmethod
    def current(cls, schedule: str, window: str | int, max_items: int) -> ScheduleForm:
        """The form showing the values in force: as days and a time when the schedule is one."""
        fields = parse_cron(schedule)
        simple = (
            len(fields.minute) == 1
            and len(fields.hour) == 1
            and fields.day == frozenset(range(1, 32))
            and fields.month == frozenset(range(1, 13))
        )
        windowed = "since_last" if window == "since_last" else "hours"
        hours = "24" if window == "since_last" else str(window)
        form = cls(mode="cron", cron=schedule, window=windowed, hours=hours, max_items=str(max_items))
        if simple:
            (minute,), (hour,) = fields.minute, fields.hour
            form.mode, form.days, form.time = "days", fields.weekday, f"{hour:02d}:{minute:02d}"
        return form

    @classmethod
    def posted(cls, form: FormData) -> ScheduleForm:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        days = frozenset(int(d) for d in form.getlist("day") if d in {str(n) for n in ALL_DAYS})
        return cls(
            mode="cron" if text("mode") == "cron" else "days",
            days=days,
            time=text("time"),
            cron=text("cron"),
            window="hours" if text("window") == "hours" else "since_last",
            hours=text("hours"),
            max_items=text("max_items"),
        )

    def schedule(self) -> str | None:
        """The cron expression the form says, or None (a problem recorded) when it says none."""
        if self.mode == "cron":
            if not self.cron:
                self.problems["cron"] = N_("Enter a cron expression, e.g. 0 7 * * *.")
                return None
            return self.cron
        matched = _TIME.match(self.time)
        if matched is None:
            self.problems["time"] = N_("Enter a time as HH:MM, e.g. 07:00.")
        if not self.days:
            self.problems["days"] = N_("Choose at least one day.")
        if matched is None or not self.days:
            return None
        weekdays = "*" if self.days == ALL_DAYS else ",".join(str(d) for d in sorted(self.days))
        return f"{int(matched[2])} {int(matched[1])} * * {weekdays}"

    def values(self) -> dict[str, Any]:
        """The values the form says, by key (those it cannot say are left out, with a problem)."""
        values: dict[str, Any] = {}
        schedule = self.schedule()
        if schedule is not None:
            values["schedule"] = schedule
        if self.window == "since_last":
            values["window"] = "since_last"
        elif self.hours.isdigit():
            values["window"] = int(self.hours)
        else:
            self.problems["window"] = N_("Enter a number of hours.")
        if self.max_items.isdigit():
            values["max_items"] = int(self.max_items)
        else:
            self.problems["max_items"] = N_("Enter a whole number.")
        return values
