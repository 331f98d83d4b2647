"""Time zones as people mean them: a place's clock, not a fixed offset or a legacy name.

``EST`` is a valid name, but a fixed UTC-5 all year: business hours set in it are an hour off in
New York all summer. ``UTC-5`` is no name at all, and its closest name, ``UTC``, is five hours off.
``timezone_advice`` warns about the valid names that are probably not meant (fixed offsets, legacy
aliases) and names the zone to use; ``unknown_timezone_fix`` answers a value that is no zone at all,
offsets included, with places whose clock has that offset. Pure functions over ``zoneinfo``.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from functools import lru_cache

# Places offered as examples, in order of preference for each offset. "UTC" stands for "no summer time".
PLACES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Phoenix", "America/Denver",
    "America/Chicago", "America/Mexico_City", "America/New_York", "America/Bogota", "America/Lima",
    "America/Halifax", "America/Caracas", "America/St_Johns", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires", "America/Noronha", "Atlantic/Azores", "Atlantic/Cape_Verde",
    "Europe/London", "UTC", "Europe/Paris", "Africa/Lagos", "Europe/Athens", "Africa/Johannesburg",
    "Europe/Moscow", "Asia/Riyadh", "Asia/Tehran", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok", "Asia/Shanghai", "Asia/Singapore",
    "Australia/Eucla", "Asia/Tokyo", "Australia/Adelaide", "Australia/Darwin", "Australia/Sydney",
    "Australia/Brisbane", "Australia/Lord_Howe", "Pacific/Noumea", "Pacific/Auckland", "Pacific/Fiji",
    "Pacific/Chatham", "Pacific/Tongatapu", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Adak",
)

# Legacy names of a clock that still exists under its current name (the tz database's "backward" links).
CURRENT_NAMES = {
    "US/Eastern": "America/New_York", "US/Central": "America/Chicago", "US/Mountain": "America/Denver",
    "US/Pacific": "America/Los_Angeles", "US/Alaska": "America/Anchorage", "US/Hawaii": "Pacific/Honolulu",
    "US/Arizona": "America/Phoenix", "US/East-Indiana": "America/Indiana/Indianapolis",
    "US/Michigan": "America/Detroit", "US/Aleutian": "America/Adak", "US/Samoa": "Pacific/Pago_Pago",
    "Canada/Eastern": "America/Toronto", "Canada/Central": "America/Winnipeg", "Canada/Mountain": "America/Edmonton",
    "Canada/Pacific": "America/Vancouver", "Canada/Atlantic": "America/Halifax",
    "Canada/Newfoundland": "America/St_Johns", "Canada/Saskatchewan": "America/Regina",
    "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles", "CET": "Europe/Brussels", "MET": "Europe/Brussels", "EET": "Europe/Athens",
    "WET": "Europe/Lisbon", "GB": "Europe/London", "GB-Eire": "Europe/London", "Eire": "Europe/Dublin",
    "Portugal": "Europe/Lisbon", "Poland": "Europe/Warsaw", "Turkey": "Europe/Istanbul", "W-SU": "Europe/Moscow",
    "Iceland": "Atlantic/Reykjavik", "Egypt": "Africa/Cairo", "Libya": "Africa/Tripoli", "Israel": "Asia/Jerusalem",
    "Iran": "Asia/Tehran", "Japan": "Asia/Tokyo", "ROK": "Asia/Seoul", "ROC": "Asia/Taipei", "PRC": "Asia/Shanghai",
    "Hongkong": "Asia/Hong_Kong", "Singapore": "Asia/Singapore", "NZ": "Pacific/Auckland", "NZ-CHAT": "Pacific/Chatham",
    "Jamaica": "America/Jamaica", "Cuba": "America/Havana", "Navajo": "America/Denver",
    "Kwajalein": "Pacific/Kwajalein", "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires", "Asia/Dacca": "Asia/Dhaka",
    "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "America/Indianapolis": "America/Indiana/Indianapolis",
    "Atlantic/Faeroe": "Atlantic/Faroe", "Mexico/General": "America/Mexico_City", "Brazil/East": "America/Sao_Paulo",
    "Chile/Continental": "America/Santiago",
    "UCT": "UTC", "Universal": "UTC", "Zulu": "UTC", "Etc/UCT": "UTC", "Etc/Universal": "UTC", "Etc/Zulu": "UTC",
}
# Valid names of a fixed offset, in minutes east of UTC (Etc/GMT+5 is UTC-5: POSIX signs are inverted).
FIXED_OFFSETS = {"EST": -300, "MST": -420, "HST": -600, "GMT": 0, "GMT+0": 0, "GMT-0": 0, "GMT0": 0,
                 "Greenwich": 0, "Etc/GMT": 0, "Etc/GMT+0": 0, "Etc/GMT-0": 0, "Etc/GMT0": 0, "Etc/Greenwich": 0}
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})  # files of a system's zoneinfo, not places

_ETC_GMT = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")
# UTC-5, GMT+2, UTC+05:30, +0530, -5, with the minus sign typed as U+2212 too.
_OFFSET = re.compile(r"^\s*(?:UTC|GMT|Z)?\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)


def is_known_timezone(name: str) -> bool:
    """Whether ``name`` is a zone of the tz database. Opening one zone file is fast; listing them
    all (``known_timezones``) scans the whole database, so it is kept for suggestions."""
    if name in NOT_ZONES or name.startswith(("posix/", "right/")) or not name or name.startswith("/"):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    names = {name for name in zoneinfo.available_timezones() if not name.startswith(("posix/", "right/"))}
    return frozenset(names - NOT_ZONES) | {"UTC"}


def timezone_advice(name: str) -> tuple[str, str] | None:
    """For a valid zone name that is a fixed offset or a legacy alias: (message, fix). None when it is fine."""
    offset = fixed_offset(name)
    if offset is not None:
        return (f"{name!r} is a fixed offset, {utc_text(offset)} all year: its clock never changes for summer "
                "time", f"if the hours follow a place's clock, name the place: {examples(offset)}")
    if name in CURRENT_NAMES:
        current = CURRENT_NAMES[name]
        return (f"{name!r} is a legacy name, kept in the time zone database for old software",
                f'write "{current}", the same clock under its current name')
    return None


def unknown_timezone_fix(value: str) -> str:
    """How to fix a value that is no zone: places with its offset, or the closest zone name."""
    offset = parse_offset(value)
    if offset is not None:
        return f"a UTC offset is not a time zone: name the place whose clock the hours follow, {examples(offset)}"
    from inboxctl.definitions.formats import did_you_mean

    suggestion = _by_city(value) or did_you_mean(value, current_names())
    return f'did you mean "{suggestion}"?' if suggestion else 'use an IANA name such as "Europe/Paris"'


def _by_city(value: str) -> str | None:
    """The zone named after the city ``value`` names: "Paris" -> "Europe/Paris", "new york" -> "America/New_York"."""
    wanted = value.strip().replace(" ", "_").lower()
    return next((name for name in current_names() if name.rsplit("/", 1)[-1].lower() == wanted), None)


def fixed_offset(name: str) -> int | None:
    """Minutes east of UTC of a valid fixed-offset name (EST, GMT, Etc/GMT+5), else None."""
    if name in FIXED_OFFSETS:
        return FIXED_OFFSETS[name]
    match = _ETC_GMT.match(name)
    if match is None:
        return None
    hours = int(match.group(2))
    return -60 * hours if match.group(1) == "+" else 60 * hours


def parse_offset(value: str) -> int | None:
    """Minutes east of UTC of an offset written as text (UTC-5, GMT+2, +05:30), else None."""
    match = _OFFSET.match(value)
    if match is None or int(match.group(2)) > 14 or int(match.group(3) or 0) >= 60:
        return None
    minutes = 60 * int(match.group(2)) + int(match.group(3) or 0)
    return minutes if match.group(1) == "+" else -minutes


def utc_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def examples(offset: int) -> str:
    """Up to two places with ``offset`` as their usual time: one with summer time and one without."""
    found = [(name, standard, summer) for name, standard, summer in _place_offsets() if standard == offset]
    found = found or [(name, standard, summer) for name, standard, summer in _place_offsets() if summer == offset]
    with_summer = [place for place in found if place[1] != place[2]][:1]
    without = [place for place in found if place[1] == place[2]][:1]
    chosen = (with_summer + without) if with_summer and without else found[:2]
    if not chosen:
        return 'e.g. "Europe/Paris"'
    return "e.g. " + " or ".join(_described(*place) for place in chosen)


def _described(name: str, standard: int, summer: int) -> str:
    if standard == summer:
        return f'"{name}" ({utc_text(standard)} all year)'
    return f'"{name}" ({utc_text(standard)}, {utc_text(summer)} in summer)'


@lru_cache(maxsize=1)
def _place_offsets() -> tuple[tuple[str, int, int], ...]:
    """Each place of ``PLACES`` with its standard and summer offsets (in minutes), as of a recent year."""
    places = []
    for name in PLACES:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # an old tz database: skip the place
            continue
        offsets = [_minutes(datetime(2025, month, 15, 12, tzinfo=zone)) for month in (1, 7)]
        places.append((name, min(offsets), max(offsets)))
    return tuple(places)


def _minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


@lru_cache(maxsize=1)
def current_names() -> list[str]:
    """The zone names worth suggesting: places (Area/City) and UTC, no legacy alias or fixed offset."""
    return sorted(name for name in known_timezones()
                  if name == "UTC" or ("/" in name and name not in CURRENT_NAMES and fixed_offset(name) is None
                                       and not name.startswith(("Etc/", "US/", "Canada/", "SystemV/"))))
