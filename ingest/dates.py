"""Raw date strings from news pages -> aware UTC datetimes.

Cheap paths first (ISO 8601 / RFC 3339, RFC 2822, numeric day-month-year), then Solar Hijri
dates, then dateparser for dates written in words. A naive value is read as wall time in the
site's time zone. Results never depend on the machine's TZ: dateparser is told to work in UTC
and never to localize a naive result, and relative expressions ("2 hours ago") are rejected
rather than resolved against a clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convertdate import persian

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

MIN_YEAR = 1990
MAX_URL_YEAR = 2099
FUTURE_TOLERANCE = timedelta(days=1)
MAX_WORDS_LENGTH = 100

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "\u200c": " ", "\u200f": "", "\u200e": ""})

PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                  "آذر", "دی", "بهمن", "اسفند")
_PERSIAN_MONTH = {name: i + 1 for i, name in enumerate(PERSIAN_MONTHS)}
_PERSIAN_MONTH["امرداد"] = 5
_PERSIAN_MONTH_NAMES = "|".join(sorted(_PERSIAN_MONTH, key=len, reverse=True))
_JALALI = re.compile(
    r"(?:(?P<day>\d{1,2})\s*(?:ام)?\s+)?(?P<month>" + _PERSIAN_MONTH_NAMES + r")(?:\s*ماه)?"
    r"\s*[,،]?\s+(?P<year>1[34]\d\d)(?!\d)"
)
_JALALI_NUMERIC = re.compile(r"(?<!\d)(?P<year>1[34]\d\d)[/\-.](?P<month>\d{1,2})[/\-.](?P<day>\d{1,2})(?!\d)")
_CLOCK = re.compile(r"(?<![\d/.\-])(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?![\d/])")
_PERSIAN_PM = re.compile(r"ب\.?\s*ظ|بعد\s*از\s*ظهر|عصر|شب")
_LUNAR_HIJRI_MARK = re.compile(r"هـ|ه\.ق|هجری قمری|هجري")

# Levantine/Iraqi and Maghrebi month names, which dateparser's Arabic locale does not know,
# mapped to the Egyptian names it does.
_ARABIC_MONTH_VARIANTS = {
    "كانون الثاني": "يناير", "شباط": "فبراير", "آذار": "مارس", "نيسان": "أبريل", "أيار": "مايو",
    "حزيران": "يونيو", "تموز": "يوليو", "آب": "أغسطس", "أيلول": "سبتمبر", "تشرين الأول": "أكتوبر",
    "تشرين الثاني": "نوفمبر", "كانون الأول": "ديسمبر",
    "جانفي": "يناير", "فيفري": "فبراير", "أفريل": "أبريل", "ماي": "مايو", "جوان": "يونيو",
    "جويلية": "يوليو", "أوت": "أغسطس",
}
_ARABIC_MONTH_VARIANT = re.compile(
    r"(?<!\S)(" + "|".join(sorted(_ARABIC_MONTH_VARIANTS, key=len, reverse=True)) + r")(?!\S)"
)

_PREFIX_WORDS = (
    "last updated", "updated", "published", "posted", "modified", "created", "date", "on", "at",
    "publié", "mis à jour", "modifié", "le", "veröffentlicht", "aktualisiert", "zuletzt aktualisiert",
    "stand", "am", "vom", "publicado", "actualizado", "el", "опубликовано", "обновлено", "дата",
    "تاریخ انتشار", "منتشر شده", "انتشار", "به روز رسانی", "بروزرسانی", "تاریخ", "در",
    "تاريخ النشر", "نشر بتاريخ", "نشر في", "نشر", "آخر تحديث", "تحديث", "بتاريخ", "في",
)
_PREFIX = re.compile(
    r"^(?:(?:" + "|".join(sorted(map(re.escape, _PREFIX_WORDS), key=len, reverse=True))
    + r")(?:\s*[:：|\-–]\s*|\s+))+",
    re.I,
)
_ZONE_SUFFIX = re.compile(r"\[[A-Za-z_/+\-0-9]+\]$")
_OFFSET_THEN_ZONE_NAME = re.compile(r"([+-]\d{2}:?\d{2})\s*(?-i:[A-Z]{2,5})$")
_CTIME = re.compile(r"^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{2}:\d{2}:\d{2}) ([A-Z]{2,5}) (\d{4})$")
# dateparser reads these as standard time all year round; the zone gets DST right.
_GENERIC_US_ZONES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
                     "PT": "America/Los_Angeles"}
_GENERIC_US_ZONE = re.compile(r"\s+(ET|CT|MT|PT)$")

_ISO = re.compile(r"^(?:19|20)\d{2}(?:-\d{2}-\d{2}|\d{4}T\d{4})")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")
_ISO_UTC_SUFFIX = re.compile(r"\s*(?:Z|UTC|GMT)$", re.I)
_ISO_SPACED_OFFSET = re.compile(r"(\d)\s+([+-]\d{2}:?\d{2})$")
_YEAR_MONTH = re.compile(r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$")
_TRAILING_ZONE_NAME = re.compile(r"\s[A-Za-z]{2,5}$")
_RFC2822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}")
_TIME_TAIL = (
    r"(?:\s*(?:[,T\-–|]|à|um|at|a las|в)?\s*(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?)?\s*(?:uhr|h)?$"
)
_NUMERIC_DMY = re.compile(
    r"^(?P<day>\d{1,2})[./\-](?P<month>\d{1,2})[./\-](?P<year>(?:19|20)\d{2})" + _TIME_TAIL, re.I)
_NUMERIC_YMD = re.compile(
    r"^(?P<year>(?:19|20)\d{2})[./](?P<month>\d{1,2})[./](?P<day>\d{1,2})" + _TIME_TAIL, re.I)

# "July 3, 2022 10:15 am EDT", "3 juillet 2022 à 14h30", "14. März 2021": the date part of a
# longer byline, so words around it ("by Jane Roe", "| 5 min read") do not confuse dateparser.
_DATE_IN_WORDS = re.compile(
    r"(?:\b\w{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\b\d{1,2}\.?\s*(?:de\s+)?\w{3,}\.?,?\s+(?:de\s+)?\d{4})"
    r"(?:\s*г(?:ода|\.)?)?"
    r"(?:[\s,\-–|]+(?:à|um|at|a las|в|،)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:[ap]\.?m\.?|ص|م)(?!\w))?"
    r"(?:\s+(?-i:[A-Z]{2,5})\b|\s*[+-]\d{2}:?\d{2})?)?",
    re.I,
)
_FOUR_DIGITS = re.compile(r"\d{4}")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")

# Far enough in the past that anything dateparser resolves against it (relative expressions)
# falls before MIN_YEAR and is rejected.
_RELATIVE_BASE = datetime(1900, 1, 1)
# TIMEZONE "UTC" instead of the default "local": a zone read from the text converts to UTC, a
# naive result stays naive (RETURN_AS_TIMEZONE_AWARE left at its default) for to_utc to localize.
_DATEPARSER_SETTINGS = {
    "TIMEZONE": "UTC",
    "PREFER_DAY_OF_MONTH": "first",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["month", "year"],
    "RELATIVE_BASE": _RELATIVE_BASE,
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def localize(dt: datetime, timezone: str) -> datetime:
    """Naive -> read as wall time in `timezone`; aware -> unchanged. A wall time skipped by a
    DST change is moved forward by the gap; an ambiguous one takes its first occurrence."""
    if dt.tzinfo is not None:
        return dt
    tz = zone(timezone)
    local = dt.replace(tzinfo=tz, fold=0)
    roundtrip = local.astimezone(dt_timezone.utc).astimezone(tz).replace(tzinfo=None)
    if roundtrip != dt:
        gap = local.replace(fold=1).utcoffset() - local.replace(fold=0).utcoffset()
        local = (dt + abs(gap)).replace(tzinfo=tz)
    return local


def to_utc(dt: datetime, timezone: str) -> datetime:
    """Naive -> read as wall time in `timezone`; aware -> converted."""
    return localize(dt, timezone).astimezone(dt_timezone.utc)


@dataclass(frozen=True)
class LocalDate:
    """A stated date: `utc` the instant, `local` the date as the site's calendar shows it,
    ISO 8601. Its `zone` says where the calendar came from: "page" (the offset the page
    states), an IANA zone name (the site's time zone: the page gave no offset, or gave
    UTC, which says when but not on which day the site printed it), or "text" / "url" (a
    UTC stamp one day apart from the date the page prints beside its headline / the full
    date in its URL: the site's day, its offset unknown, so `local` is the date alone)."""

    utc: datetime
    local: str
    zone: str

    @property
    def day(self) -> date:
        return date.fromisoformat(self.local[:10])


_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])(?:/(0?[1-9]|[12]\d|3[01]))?/")


def date_from_url(url: str) -> str | None:
    """'/2023/07/14/slug' -> '2023-07-14'; '/2023/07/slug/1' -> '2023-07'; else None."""
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    if not MIN_YEAR <= year <= MAX_URL_YEAR:
        return None
    if day:
        try:
            return date(year, month, int(day)).isoformat()
        except ValueError:
            return None
    return f"{year:04d}-{month:02d}"


def parse_datetime(value: str, *, timezone: str = "UTC", languages: Sequence[str] | None = None,
                   now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime, or None when the value holds no plausible date (empty, garbage,
    relative, before 1990, or more than a day in the future of `now`; a naive `now` is UTC).

    `languages` (e.g. ["fa"], ["fr-FR"]) is a hint tried first for dates in words; the script
    the date is written in picks the fallback languages."""
    stated = parse_local(value, timezone=timezone, languages=languages, now=now)
    return stated.utc if stated else None


def parse_local(value: str, *, timezone: str = "UTC", languages: Sequence[str] | None = None,
                now: datetime | None = None, url: str = "", printed: str | None = None
                ) -> LocalDate | None:
    """As parse_datetime, with the date as the site's calendar shows it (see LocalDate).
    `printed`: the date the page shows next to its headline, which tells the site's day
    when `value` is a UTC stamp."""
    parsed = _parse_stated(value, timezone, languages)
    utc = _plausible(to_utc(parsed, timezone), _as_utc(now)) if parsed is not None else None
    if parsed is None or utc is None:
        return None
    if parsed.tzinfo is not None and parsed.utcoffset():
        return LocalDate(utc, _iso_with_offset(parsed), "page")
    local = LocalDate(utc, _iso_with_offset(utc.astimezone(zone(timezone))), timezone)
    if parsed.tzinfo is None:
        return local
    return _site_day(local, printed, timezone, languages, now) or _url_day(local, url) or local


def _one_day_apart(local: LocalDate, day: date) -> bool:
    """A UTC stamp's day in the site's zone one day apart from the day the site shows,
    where the instant can fall on that day (the zone given is not the site's own)."""
    return abs((day - local.day).days) == 1 and _could_be_day(local.utc, day)


def _site_day(local: LocalDate, printed: str | None, timezone: str,
              languages: Sequence[str] | None, now: datetime | None) -> LocalDate | None:
    """What the date printed beside the headline says of a UTC stamp's day: an offset
    (the stamp is read in it), or, when it shows a time of day, the day itself (the day
    alone where it is not the stamp's). None when it says nothing (no date, no time)."""
    shown = parse_local(printed, timezone=timezone, languages=languages, now=now) if printed else None
    if shown is None:
        return None
    if shown.zone == "page":
        in_offset = local.utc.astimezone(datetime.fromisoformat(shown.local).tzinfo)
        return LocalDate(local.utc, _iso_with_offset(in_offset), "page")
    if not _CLOCK.search(printed or ""):
        return None
    if shown.day == local.day:
        return local
    if _one_day_apart(local, shown.day):
        return LocalDate(local.utc, shown.day.isoformat(), "text")
    return None


def _url_day(local: LocalDate, url: str) -> LocalDate | None:
    """The full date in the URL, for a UTC stamp it contradicts: the day alone."""
    in_url = date_from_url(url)
    if in_url and len(in_url) == 10 and _one_day_apart(local, date.fromisoformat(in_url)):
        return LocalDate(local.utc, in_url, "url")
    return None


def _could_be_day(instant: datetime, day: date) -> bool:
    """Whether the instant falls on that day somewhere: UTC offsets run from -12 to +14 hours."""
    start = datetime.combine(day, time(), dt_timezone.utc)
    return start - timedelta(hours=14) <= instant < start + timedelta(hours=36)


def _iso_with_offset(value: datetime) -> str:
    """ISO 8601 with the numeric offset ("2020-02-15T07:00:00+09:00")."""
    return value.replace(tzinfo=dt_timezone(value.utcoffset())).isoformat()


def _parse_stated(value: str, timezone: str, languages: Sequence[str] | None) -> datetime | None:
    """The value as written: naive when it gives no zone, else aware in the zone it gives."""
    if not value or not value.strip():
        return None
    return _parse_text(value, timezone, _normalise_languages(languages))


@lru_cache(maxsize=4096)
def _parse_text(value: str, timezone: str, hints: tuple[str, ...]) -> datetime | None:
    """_parse_stated's answer, remembered: a page's dates are read while it is extracted
    and again by the pipelines, and every reading depends on the text alone (dates in
    words need a four-digit year, so nothing depends on today's date)."""
    text = _clean(value)
    parsed: datetime | None = None
    for parse in (_parse_iso, _parse_rfc2822, _parse_numeric):
        parsed = parse(text)
        if parsed is not None:
            break
    else:
        parsed = _parse_jalali(text, numeric=not hints or "fa" in hints)
        if parsed is None:
            generic = _GENERIC_US_ZONE.search(text)
            if generic:
                text, timezone = text[:generic.start()], _GENERIC_US_ZONES[generic.group(1)]
            parsed = _parse_words(text, hints)
            if generic and parsed is not None:
                parsed = localize(parsed, timezone)
    return parsed


def _clean(value: str) -> str:
    """Digits to ASCII, whitespace collapsed, bylines' leading words ("Published on") and
    trailing zone annotations dropped."""
    text = " ".join(value.translate(_DIGITS).split())
    text = _PREFIX.sub("", text)
    text = _ZONE_SUFFIX.sub("", text)
    text = _OFFSET_THEN_ZONE_NAME.sub(r"\1", text)
    ctime = _CTIME.match(text)
    if ctime:  # "Tue Jul 30 09:35:14 CEST 2019" (Java's Date.toString)
        month, day, clock, zone_name, year = ctime.groups()
        text = f"{day} {month} {year} {clock} {zone_name}"
    return text


def _normalise_languages(languages: Sequence[str] | None) -> tuple[str, ...]:
    """["fa-IR", "EN_us"] -> ("fa", "en"): dateparser wants bare codes for most languages."""
    if not languages:
        return ()
    codes = (re.split(r"[-_]", code.strip().lower())[0] for code in languages if code and code.strip())
    return tuple(dict.fromkeys(codes))


def _as_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(dt_timezone.utc)
    return now.replace(tzinfo=dt_timezone.utc) if now.tzinfo is None else now


def _plausible(value: datetime, now: datetime) -> datetime | None:
    if value.year < MIN_YEAR or value > now + FUTURE_TOLERANCE:
        return None
    return value


def _parse_iso(text: str) -> datetime | None:
    if not _ISO.match(text):
        return _year_month(text)
    candidate = _ISO_UTC_SUFFIX.sub("+00:00", text)
    candidate = _ISO_SPACED_OFFSET.sub(r"\1\2", candidate)
    candidate = _ISO_FRACTION.sub(r"\1", candidate)
    if len(candidate) > 10 and candidate[10] == " ":
        candidate = candidate[:10] + "T" + candidate[11:]
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _year_month(text: str) -> datetime | None:
    match = _YEAR_MONTH.match(text)
    return datetime(int(match.group(1)), int(match.group(2)), 1) if match else None


def _parse_rfc2822(text: str) -> datetime | None:
    if not _RFC2822.match(text):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        if text.endswith("-0000"):  # RFC 2822: UTC, local zone unknown
            return parsed.replace(tzinfo=dt_timezone.utc)
        if _TRAILING_ZONE_NAME.search(text):  # a name email.utils does not know, e.g. CEST
            return None
    return parsed


def _parse_numeric(text: str) -> datetime | None:
    """dd.mm.yyyy and dd/mm/yyyy (the order used by most news sites outside the US; a first
    number above 12 can only be a month-first US date), and yyyy/mm/dd, each with a time."""
    match = _NUMERIC_DMY.match(text) or _NUMERIC_YMD.match(text)
    if not match:
        return None
    day, month, year = int(match.group("day")), int(match.group("month")), int(match.group("year"))
    if month > 12:
        day, month = month, day
    hour, minute, second = (int(match.group(name) or 0) for name in ("hour", "minute", "second"))
    ampm = (match.group("ampm") or "").lower()
    if ampm and hour <= 12:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _parse_jalali(text: str, *, numeric: bool = True) -> datetime | None:
    """Solar Hijri: a Persian month name before a 13xx/14xx year, or 13xx/mm/dd when Persian
    is plausible (lunar Hijri years are also 14xx). The time may stand before or after."""
    text = text.translate(_PERSIAN_LETTERS)
    match = _JALALI.search(text)
    if match:
        month = _PERSIAN_MONTH[match.group("month")]
    elif numeric and not _LUNAR_HIJRI_MARK.search(text):
        match = _JALALI_NUMERIC.search(text)
        if not match:
            return None
        month = int(match.group("month"))
    else:
        return None
    gregorian = _jalali_to_gregorian(int(match.group("year")), month, int(match.group("day") or 1))
    if gregorian is None:
        return None
    rest = text[:match.start()] + " " + text[match.end():]
    return datetime.combine(gregorian, _clock(rest) or time())


def _jalali_to_gregorian(year: int, month: int, day: int) -> date | None:
    """Months 1-6 have 31 days, 7-11 have 30, Esfand 29 or 30: only the start of each year
    needs convertdate, whose astronomical calendar takes tens of milliseconds per call."""
    if not 1 <= month <= 12:
        return None
    start = _nowruz(year)
    if month <= 6:
        length = 31
    elif month <= 11:
        length = 30
    else:
        length = (_nowruz(year + 1) - start).days - 336
    if not 1 <= day <= length:
        return None
    offset = (month - 1) * 31 if month <= 7 else 186 + (month - 7) * 30
    return start + timedelta(days=offset + day - 1)


# 1 Farvardin of the Solar Hijri years 1300-1500 (March 1921 to March 2121), as its day of
# March minus 19: worked out once with convertdate's astronomical calendar, which takes
# ~50 ms of CPU per year (a crawl of a Persian site met ten years in its first pages).
_NOWRUZ_TABLE_START = 1300
_NOWRUZ_MARCH_DAYS = (
    "23322332223222322232223222322232223222322222222222222222222222222222222222212221"
    "22212221222122212221222122211221122112211221122112211221122111211121112111211121"
    "11211121112111111112222222222222222222222"
)


@lru_cache(maxsize=None)
def _nowruz(year: int) -> date:
    """1 Farvardin of a Solar Hijri year, as a Gregorian date."""
    if 0 <= year - _NOWRUZ_TABLE_START < len(_NOWRUZ_MARCH_DAYS):
        return date(year + 621, 3, 19 + int(_NOWRUZ_MARCH_DAYS[year - _NOWRUZ_TABLE_START]))
    return date(*persian.to_gregorian(year, 1, 1))


def _clock(text: str) -> time | None:
    match = _CLOCK.search(text)
    if not match:
        return None
    hour, minute, second = (int(match.group(name) or 0) for name in ("hour", "minute", "second"))
    if hour < 12 and _PERSIAN_PM.search(text):
        hour += 12
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


@lru_cache(maxsize=64)
def _parser(languages: tuple[str, ...]) -> DateDataParser | None:
    """One parser per language tuple: building one loads locale tables. None for codes
    dateparser does not know."""
    from dateparser.conf import SettingValidationError
    from dateparser.date import DateDataParser

    try:
        return DateDataParser(languages=list(languages), settings=_DATEPARSER_SETTINGS,
                              try_previous_locales=False)
    except SettingValidationError:
        raise
    except ValueError:
        return None


def preload() -> None:
    """Load dateparser's tables for the common scripts now rather than on the first page (the
    English sample has a zone: without one it is read without dateparser)."""
    for sample in ("March 14, 2021 10:00 EST", "14 марта 2021", "14 يوليو 2023", "14 mars 2021"):
        _parse_words(sample, ())


def _languages_for(text: str) -> tuple[str, ...]:
    """Candidate languages from the script a date is written in: dateparser tries every
    language it is given, each costs time, and unrelated ones produce false matches."""
    if _ARABIC_SCRIPT.search(text):
        return ("ar", "fa")
    if _CYRILLIC.search(text):
        return ("ru", "uk", "bg")
    if _NON_ASCII.search(text):
        return ("fr", "de", "es", "pt", "it", "tr", "pl", "sv", "nl")
    return ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "tr")


@lru_cache(maxsize=4096)
def _parse_words(text: str, languages: tuple[str, ...]) -> datetime | None:
    """Dates in words via dateparser; an offset or zone name it reads is kept. A four-digit
    year is required: dateparser otherwise reads "July 14" as July 2014."""
    cropped = _DATE_IN_WORDS.search(text)
    if cropped:
        text = cropped.group(0)
    if len(text) > MAX_WORDS_LENGTH or not _FOUR_DIGITS.search(text):
        return None
    if not languages or languages[0] == "en":
        english = _english_date(text)
        if english is not None:
            return english
    if _ARABIC_SCRIPT.search(text):
        text = _ARABIC_MONTH_VARIANT.sub(lambda m: _ARABIC_MONTH_VARIANTS[m.group(1)], text)
    for attempt in dict.fromkeys((languages, _languages_for(text))):
        parser = _parser(attempt) if attempt else None
        if parser is None:
            continue
        try:
            data = parser.get_date_data(text)
        except Exception:  # dateparser raises assorted errors on odd input
            continue
        if data and data.date_obj:
            return _with_stated_offset(data.date_obj, text, attempt)
    return None


_ENGLISH_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for name in names}
_ENGLISH_DATE = re.compile(
    r"(?:(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?"
    r"|(?P<day_first>\d{1,2})\s+(?P<month_after>[a-z]{3,9})\.?,?)\s+(?P<year>\d{4})"
    r"(?:[\s,\-–|]+(?:at\s*)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<half>[ap])\.?m\.?)?(?:\s+(?P<zone>(?-i:[A-Z]{2,5})))?)?", re.IGNORECASE | re.ASCII)


def _english_date(text: str) -> datetime | None:
    """The commonest date in words, read without dateparser: an English month name or its
    abbreviation, day and year ("Nov. 2, 2023", "20 September 2011"), maybe a time of day
    ("1:15 pm", "14:21") and a zone's abbreviation ("EST"). dateparser takes milliseconds
    to try its locales on it (twice with a zone, see _with_stated_offset); this gives what
    they give, in microseconds. None for anything else (another language, an impossible
    date, a zone dateparser does not know), which goes to dateparser."""
    match = _ENGLISH_DATE.fullmatch(text)
    if not match:
        return None
    month = _ENGLISH_MONTHS.get((match["month"] or match["month_after"]).lower())
    if month is None:
        return None
    hour, minute, second = (int(match[name] or 0) for name in ("hour", "minute", "second"))
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    offset = _zone_offset(match["zone"]) if match["zone"] else None
    if match["zone"] and (offset is None or not _real_offset(offset)):
        return None
    try:
        stated = datetime(int(match["year"]), month, int(match["day"] or match["day_first"]),
                          hour, minute, second)
    except ValueError:
        return None
    return stated.replace(tzinfo=dt_timezone(offset)) if offset is not None else stated


@lru_cache(maxsize=256)
def _zone_offset(name: str) -> timedelta | None:
    """The UTC offset dateparser gives a zone's abbreviation; None for one it does not know,
    or if this dateparser no longer has the function that reads them (dateparser then reads
    the date itself; test_english_dates_read_without_dateparser fails to say so)."""
    try:
        from dateparser.timezone_parser import pop_tz_offset_from_string
    except ImportError:
        return None
    _, zone_info = pop_tz_offset_from_string(f"0 {name}")
    return zone_info.utcoffset(None) if zone_info is not None else None


_TRAILING_ZONE = re.compile(r"\s*(?:(?-i:[A-Z]{2,5})|[+-]\d{2}:?\d{2})$")


def _with_stated_offset(parsed: datetime, text: str, languages: tuple[str, ...]) -> datetime:
    """dateparser converts a date with a zone to UTC: the wall time the text states, read
    again without its zone, gives the offset back."""
    if parsed.tzinfo is None:
        return parsed
    bare = _TRAILING_ZONE.sub("", text)
    parser = _parser(languages)
    try:
        data = parser.get_date_data(bare) if parser is not None and bare != text else None
    except Exception:  # dateparser raises assorted errors on odd input
        data = None
    utc = parsed.astimezone(dt_timezone.utc).replace(tzinfo=None)
    if not data or not data.date_obj or data.date_obj.tzinfo is not None:
        return parsed
    offset = data.date_obj - utc
    if not _real_offset(offset):
        return parsed
    return data.date_obj.replace(tzinfo=dt_timezone(offset))


def _real_offset(offset: timedelta) -> bool:
    """An offset some place uses: within 14 hours of UTC, in quarter hours."""
    return abs(offset) <= timedelta(hours=14) and not offset % timedelta(minutes=15)
