"""Quiet hours: when a person's notifications wait, in their own time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.delivery.clock import local_instant, zone


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    """Whether a local wall-clock time falls in [start, end); windows may run past midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def release_time(now: datetime, tz_name: str, start: time | None, end: time | None) -> datetime:
    """now, or the UTC instant the person's quiet hours end if they are in them now."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    release = local_instant(day, end, tz)
    return release if release > now else now
