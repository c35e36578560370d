"""The centre's shifts in WIB: pagi 07-14, siang 14-21, malam 21-07."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
SHIFTS = (("pagi", time(7), time(14)), ("siang", time(14), time(21)), ("malam", time(21), time(7)))


def shift_of(moment: datetime) -> tuple[date, str]:
    """The (WIB day the shift started, shift code) a moment falls in."""
    local = moment.astimezone(WIB)
    t = local.time()
    if time(7) <= t < time(14):
        return local.date(), "pagi"
    if time(14) <= t < time(21):
        return local.date(), "siang"
    if t >= time(21):
        return local.date(), "malam"
    return local.date() - timedelta(days=1), "malam"


def wib_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC-aware start and end of a WIB calendar day."""
    start = datetime.combine(day, time(0), tzinfo=WIB)
    return start, start + timedelta(days=1)


def wib_today() -> date:
    return datetime.now(WIB).date()
