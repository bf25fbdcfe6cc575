"""Raw date strings from news pages -> aware UTC datetimes.

Cheap paths first (ISO 8601, RFC 2822, numeric day-month-year), then Solar Hijri dates,
then dateparser for dates written in words in any of its languages. A naive value is read
in the site's time zone. Results never depend on the machine's TZ."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_YEAR = 1990
FUTURE_TOLERANCE = timedelta(days=1)

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                  "آذر", "دی", "بهمن", "اسفند")
_PERSIAN_MONTH = {name: i + 1 for i, name in enumerate(PERSIAN_MONTHS)}
_PERSIAN_MONTH["امرداد"] = 5
_JALALI = re.compile(
    r"(?P<day>\d{1,2})\s*(?:ام)?\s+(?P<month>" + "|".join(sorted(_PERSIAN_MONTH, key=len, reverse=True))
    + r")\s+(?P<year>1[34]\d\d)(?:\D+(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_JALALI_NUMERIC = re.compile(r"\b(?P<year>1[34]\d\d)[/\-.](?P<month>\d{1,2})[/\-.](?P<day>\d{1,2})\b")
_PREFIX = re.compile(
    r"^\s*(published|posted|updated|last updated|modified|date|on|publié le|mis à jour le|"
    r"veröffentlicht( am)?|aktualisiert( am)?|publicado( el)?|actualizado( el)?|"
    r"опубликовано|обновлено|تاریخ انتشار|منتشر شده|نشر في|تاريخ النشر)\s*[:：]?\s*",
    re.I,
)
_ISO_HINT = re.compile(r"^\d{4}-\d{2}-\d{2}")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])(?:/(0?[1-9]|[12]\d|3[01]))?/")
# "July 3, 2022 10:15 am EDT", "3 juillet 2022 à 14h30", "14. März 2021": the date part
# of a longer byline, so words around it do not confuse dateparser.
_DATE_IN_WORDS = re.compile(
    r"(?:\b\w{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\b\d{1,2}\.?\s*(?:de\s+)?\w{3,}\.?,?\s+(?:de\s+)?\d{4})"
    r"(?:[\s,]+(?:à|um|at|a las|в)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,5}\b|\s*[+-]\d{2}:?\d{2})?)?",
    re.I,
)
_OFFSET_THEN_ZONE_NAME = re.compile(r"([+-]\d{2}:?\d{2})\s*[A-Z]{2,5}$")
_CTIME = re.compile(r"^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{2}:\d{2}:\d{2}) ([A-Z]{2,5}) (\d{4})$")
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-]((?:19|20)\d{2})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def to_utc(dt: datetime, timezone: str) -> datetime:
    """Naive -> read as wall time in `timezone`; aware -> converted. A wall time skipped by a
    DST change is moved forward by the gap; an ambiguous one takes its first occurrence."""
    if dt.tzinfo is None:
        tz = zone(timezone)
        local = dt.replace(tzinfo=tz, fold=0)
        roundtrip = local.astimezone(dt_timezone.utc).astimezone(tz).replace(tzinfo=None)
        if roundtrip != dt:  # nonexistent local time: shift forward by the gap
            gap = local.replace(fold=1).utcoffset() - local.replace(fold=0).utcoffset()
            local = (dt + abs(gap)).replace(tzinfo=tz)
        dt = local
    return dt.astimezone(dt_timezone.utc)


def date_from_url(url: str) -> str | None:
    """'/2023/07/14/slug' -> '2023-07-14'; '/2023/07/slug/1' -> '2023-07'; else None."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    if not MIN_YEAR <= year <= 2099:
        return None
    if day:
        try:
            return date(year, month, int(day)).isoformat()
        except ValueError:
            return None
    return f"{year:04d}-{month:02d}"


def _plausible(value: datetime | None, now: datetime) -> datetime | None:
    if value is None or value.year < MIN_YEAR or value > now + FUTURE_TOLERANCE:
        return None
    return value


def parse_datetime(value: str, *, timezone: str = "UTC", languages: Sequence[str] | None = None,
                   now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime, or None when the value holds no plausible date (empty, garbage,
    before 1990, or more than a day in the future of `now`)."""
    if not value or not value.strip():
        return None
    now = now or datetime.now(dt_timezone.utc)
    text = _PREFIX.sub("", " ".join(value.translate(_DIGITS).split()))
    text = _OFFSET_THEN_ZONE_NAME.sub(r"\1", text)
    ctime = _CTIME.match(text)
    if ctime:  # "Tue Jul 30 09:35:14 CEST 2019" (Java's Date.toString)
        month, day, clock, zone_name, year = ctime.groups()
        text = f"{day} {month} {year} {clock} {zone_name}"
    for parse in (_parse_iso, _parse_rfc2822, _parse_numeric, _parse_jalali):
        parsed = parse(text)
        if parsed is not None:
            return _plausible(to_utc(parsed, timezone), now)
    parsed = _parse_words(text, tuple(languages or ()))
    return _plausible(to_utc(parsed, timezone), now) if parsed else None


def _parse_iso(text: str) -> datetime | None:
    if not _ISO_HINT.match(text):
        return None
    candidate = text.replace("Z", "+00:00").replace(" ", "T", 1) if len(text) > 10 else text
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    try:  # year-month only, as in URLs
        return datetime.strptime(text[:7], "%Y-%m") if re.fullmatch(r"\d{4}-\d{2}", text) else None
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    if not re.match(r"^([A-Za-z]{3},\s*)?\d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _parse_numeric(text: str) -> datetime | None:
    """dd.mm.yyyy and dd/mm/yyyy (the order used by most news sites outside the US)."""
    match = _NUMERIC_DMY.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if month > 12:  # unambiguously mm/dd/yyyy
        day, month = month, day
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _parse_jalali(text: str) -> datetime | None:
    match = _JALALI.search(text)
    if match:
        month = _PERSIAN_MONTH[match.group("month")]
    else:
        match = _JALALI_NUMERIC.search(text)
        if not match:
            return None
        month = int(match.group("month"))
    from convertdate import persian

    try:
        year, month_g, day = persian.to_gregorian(int(match.group("year")), month, int(match.group("day")))
        hour = int(match.groupdict().get("hour") or 0)
        minute = int(match.groupdict().get("minute") or 0)
        return datetime.combine(date(year, month_g, day), time(hour, minute))
    except (ValueError, TypeError):
        return None


@lru_cache(maxsize=64)
def _parser(languages: tuple[str, ...]):
    from dateparser.date import DateDataParser

    settings = {
        "PREFER_DAY_OF_MONTH": "first",
        "PREFER_DATES_FROM": "past",
        "STRICT_PARSING": False,
        "REQUIRE_PARTS": ["month", "year"],
        "RELATIVE_BASE": datetime(2000, 1, 1),
    }
    return DateDataParser(languages=list(languages), settings=settings,
                          try_previous_locales=False)


def preload() -> None:
    """Load dateparser's tables for the common scripts now rather than on the first page."""
    for sample in ("March 14, 2021", "14 марта 2021", "۲۳ تیر ۱۴۰۲", "14 mars 2021"):
        _parser(_languages_for(sample)).get_date_data(sample)


def _languages_for(text: str) -> tuple[str, ...]:
    """Candidate languages from the script a date is written in: dateparser tries every
    language it is given, and each costs time."""
    if re.search("[\u0600-\u06ff]", text):
        return ("fa", "ar")
    if re.search("[\u0400-\u04ff]", text):
        return ("ru", "uk", "bg")
    if re.search("[^\x00-\x7f]", text):
        return ("fr", "de", "es", "pt", "it", "tr", "pl", "sv", "nl")
    return ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "tr")


@lru_cache(maxsize=4096)
def _parse_words(text: str, languages: tuple[str, ...]) -> datetime | None:
    """Dates in words via dateparser; the offset it reads, if any, is kept."""
    if len(text) > 100 or not re.search(r"\d", text):
        return None
    cropped = _DATE_IN_WORDS.search(text)
    if cropped:
        text = cropped.group(0)
    for attempt in dict.fromkeys((languages, _languages_for(text))):
        if not attempt:
            continue
        try:
            data = _parser(attempt).get_date_data(text)
        except Exception:  # dateparser raises assorted errors on odd input
            continue
        if data and data.date_obj:
            return data.date_obj
    return None
