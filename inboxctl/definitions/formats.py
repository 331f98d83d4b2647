"""Checks and normal forms of scalar values: e-mail, colour, phone, time, days, timezone.

Each ``normalise_*`` returns the canonical value, or raises ``FormatError`` with a message
and a fix. Canonical forms make diffs exact: e-mails lower-cased, colours upper-cased,
phones in E.164, times as HH:MM, days as a list of ``mon``..``sun``.
"""

from __future__ import annotations

import re


class FormatError(ValueError):
    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {name: name for name in DAYS} | {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun"}

_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s]+@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+$")
_COLOR = re.compile(r"^#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_PHONE_ALLOWED = re.compile(r"^\+?[\d\s().-]+$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")


def did_you_mean(value: str, choices: list[str] | tuple[str, ...], *, cutoff: float = 0.6) -> str | None:
    """The closest choice to ``value``, compared case-insensitively, if any is close."""
    import difflib  # only when a name is suggested: importing it takes a while

    lowered = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def slug(name: str) -> str:
    """A name as a file or address part: lower case, runs of other characters as dashes at most."""
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def normalise_email(value: str) -> str:
    if not _EMAIL.match(value.strip()):
        raise FormatError(f"{value!r} is not an e-mail address", "write it as name@example.com")
    return value.strip().lower()


def normalise_color(value: str) -> str:
    match = _COLOR.match(value.strip())
    if not match or not value.strip().startswith("#"):
        raise FormatError(f"{value!r} is not a hex colour", 'write it as "#RRGGBB", e.g. "#FF7A59"')
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return "#" + digits.upper()


def normalise_phone(value: str) -> str:
    """E.164: a plus sign and 8 to 15 digits; spaces, dots, dashes and brackets are dropped."""
    digits = re.sub(r"\D", "", value)
    if not _PHONE_ALLOWED.match(value.strip()) or not value.strip().startswith("+") or not 8 <= len(digits) <= 15:
        raise FormatError(f"{value!r} is not an international phone number",
                          'start with + and the country code, e.g. "+33 1 23 45 67 89"')
    return "+" + digits


def normalise_time(value: str) -> str:
    match = _TIME.match(value.strip())
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59 or (
            int(match.group(1)) == 24 and match.group(2) != "00"):
        raise FormatError(f"{value!r} is not a time of day", 'write HH:MM on a 24-hour clock, e.g. "09:00" or "18:30"')
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def normalise_timezone(value: str) -> str:
    """A zone name of the tz database. Fixed offsets and legacy names pass here; the loader warns about
    them (``timezones.timezone_advice``)."""
    from inboxctl.definitions import timezones  # only for business hours

    if not timezones.is_known_timezone(value):
        raise FormatError(f"{value!r} is not a known timezone", timezones.unknown_timezone_fix(value))
    return value


def normalise_url(value: str) -> str:
    if not _URL.match(value.strip()):
        raise FormatError(f"{value!r} is not a web address", "write a full https:// URL")
    return value.strip()


def _day(token: str) -> str:
    day = _DAY_ALIASES.get(token.strip().lower())
    if day is None:
        suggestion = did_you_mean(token.strip(), list(_DAY_ALIASES))
        hint = f'did you mean "{_DAY_ALIASES[suggestion]}"?' if suggestion else "use mon, tue, wed, thu, fri, sat, sun"
        raise FormatError(f"{token!r} is not a day", hint)
    return day


def normalise_days(value: str | list[str]) -> list[str]:
    """``"mon-fri"``, ``"sat"``, ``"mon,wed"`` or a list of those -> days in week order."""
    tokens = value if isinstance(value, list) else [value]
    days: set[str] = set()
    for token in tokens:
        if not isinstance(token, str):
            raise FormatError(f"{token!r} is not a day", 'write days as "mon-fri" or ["mon", "wed"]')
        for part in token.split(","):
            days.update(_day_range(part))
    if not days:
        raise FormatError("no days given", 'write days as "mon-fri" or ["mon", "wed"]')
    return [day for day in DAYS if day in days]


def _day_range(part: str) -> list[str]:
    if "-" not in part:
        return [_day(part)]
    first, _, last = part.partition("-")
    start, end = DAYS.index(_day(first)), DAYS.index(_day(last))
    if end < start:  # a range may wrap around the week end: "fri-mon"
        return list(DAYS[start:]) + list(DAYS[:end + 1])
    return list(DAYS[start:end + 1])


def compress_days(days: list[str]) -> str | list[str]:
    """The shortest readable form of a set of days: "mon-fri", "sat" or ["mon", "wed"]."""
    indexes = sorted(DAYS.index(day) for day in days)
    if len(indexes) == 1:
        return DAYS[indexes[0]]
    if indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{DAYS[indexes[0]]}-{DAYS[indexes[-1]]}"
    return [DAYS[index] for index in indexes]


def canonical_hours(hours: list[dict]) -> list[dict]:
    """One canonical form for equivalent opening hours: ranges grouped by the days they share,
    ordered by first day then opening time. ``mon-fri`` and ``[mon, tue] + wed-fri`` compare equal."""
    days_by_range: dict[tuple[str, str], set[str]] = {}
    for entry in hours:
        days_by_range.setdefault((entry["open"], entry["close"]), set()).update(entry["days"])
    grouped = [{"days": [day for day in DAYS if day in days], "open": open_, "close": close}
               for (open_, close), days in days_by_range.items()]
    return sorted(grouped, key=lambda entry: (DAYS.index(entry["days"][0]), entry["open"]))
