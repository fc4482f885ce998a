"""When a couple's next prompt is due, in UTC, from their local time zone, time and cadence.

Local wall-clock times are turned into instants one day at a time, so
daylight-saving changes are handled by the time zone database: a time that
does not exist that day (spring forward) happens at the equivalent instant
just after the gap, and a time that happens twice (fall back) happens once,
at its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from services.common.errors import Invalid

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_MASK = 0b0011111
EVERY_DAY_MASK = 0b1111111


def check_timezone(name: str) -> str:
    """A valid IANA time zone name, or Invalid."""
    name = (name or "").strip()
    if name not in _zone_names():
        raise Invalid("Choose a time zone from the list, such as Europe/London.", field="timezone")
    return name


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if "/" in z or z == "UTC")


def timezone_choices() -> list[str]:
    return sorted(_zone_names())


def match_timezone(text: str) -> str | None:
    """The zone a person typed, forgiving case and spaces ("europe/new york"), or a city alone when only one
    zone has that name ("Paris"); None when nothing, or more than one zone, fits."""
    wanted = re.sub(r"\s+", "_", (text or "").strip()).casefold()
    if not wanted:
        return None
    by_name = _zones_by_folded_name()
    if wanted in by_name:
        return by_name[wanted]
    cities = [name for name in _zone_names() if name.rpartition("/")[2].casefold() == wanted]
    return cities[0] if len(cities) == 1 else None


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in _zone_names()}


def zones_near(name: str, now: datetime | None = None) -> list[str]:
    """The zones of name's area on the same clock right now (Europe/Paris -> Europe/Berlin, Europe/Rome, ...):
    a picker's suggestions before any script runs, small enough for every page (all of America/ is 5 KB)."""
    if "/" not in (name or ""):
        return []
    now = now or datetime.now(UTC)
    area, offset = name.partition("/")[0] + "/", now.astimezone(zone(name)).utcoffset()
    return [z for z in timezone_choices() if z.startswith(area) and now.astimezone(zone(z)).utcoffset() == offset]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def days_mask(cadence: str, cadence_days: int) -> int:
    if cadence == "daily":
        return EVERY_DAY_MASK
    if cadence == "weekdays":
        return WEEKDAYS_MASK
    return cadence_days & EVERY_DAY_MASK


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    fold=0 takes the offset in force before a change: in a spring-forward gap
    that lands just after the gap, and in a fall-back fold it is the first occurrence.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def next_slot(after: datetime, tz_name: str, at: time, cadence: str, cadence_days: int) -> datetime | None:
    """The first scheduled instant strictly after `after` (UTC), or None when no day is chosen."""
    mask = days_mask(cadence, cadence_days)
    if not mask:
        return None
    tz = zone(tz_name)
    local_day = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(9):
        day = local_day + timedelta(days=offset)
        if not mask & (1 << day.weekday()):
            continue
        instant = local_instant(day, at, tz)
        if instant > after:
            return instant
    return None


def latest_slot_at_or_before(
    moment: datetime, tz_name: str, at: time, cadence: str, cadence_days: int
) -> datetime | None:
    """The most recent scheduled instant not after `moment`: the one catch-up slot after downtime."""
    mask = days_mask(cadence, cadence_days)
    if not mask:
        return None
    tz = zone(tz_name)
    local_day = moment.astimezone(tz).date() + timedelta(days=1)
    for offset in range(9):
        day = local_day - timedelta(days=offset)
        if not mask & (1 << day.weekday()):
            continue
        instant = local_instant(day, at, tz)
        if instant <= moment:
            return instant
    return None
