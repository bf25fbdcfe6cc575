"""Where a page states its publication and modification dates, by order of trust.

Returns raw strings and where they came from; turning them into instants is the job of
ingest.dates (which knows the site's time zone)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from ingest.dates import date_from_url, parse_datetime
from ingest.extract import selectors
from ingest.extract.html import HtmlElement, first, inside_any, select, text_of
from ingest.extract.htmldate_locales import date_languages, languages_for_dates
from ingest.extract.language import guess_languages
from ingest.extract.metadata import StructuredData, meta_content

MAX_DATE_TEXT = 80
# htmldate scans the whole text with many patterns: seconds on a runaway multi-megabyte page.
MAX_HEURISTIC_PAGE = 2_000_000
# A stamp in UTC: when, but not on which day the site printed it.
UTC_STAMP = re.compile(r"(?:Z|[+-]00:?00|\s*(?:UTC|GMT))$", re.I)


@dataclass
class PageDates:
    published_raw: str | None = None
    modified_raw: str | None = None
    date_source: str | None = None
    # The date shown beside the headline, kept when the published date is a UTC stamp.
    printed_raw: str | None = None


def _time_attr(scope: HtmlElement, css: tuple[str, ...], excluded: set[HtmlElement]) -> str | None:
    for selector in css:
        for element in select(scope, selector):
            if inside_any(element, excluded):
                continue
            value = (element.get("datetime") or element.get("content") or "").strip()
            if value:
                return value
    return None


def _visible_date(scope: HtmlElement, css: tuple[str, ...], excluded: set[HtmlElement]) -> str | None:
    for selector in css:
        for element in select(scope, selector):
            if inside_any(element, excluded):
                continue
            text = text_of(element)
            if text and len(text) <= MAX_DATE_TEXT and any(ch.isdigit() for ch in text):
                return text
    return None


def _headline_date(root: HtmlElement, scope: HtmlElement, date_selectors: tuple[str, ...],
                   excluded: set[HtmlElement]) -> str | None:
    """A visible date, looked for next to the headline first: lists of other stories carry
    dates too, sometimes earlier in the page than the article's own."""
    css = date_selectors + selectors.DATE_TEXT
    headline = first(scope, ["h1"]) if scope is not None else None
    headline = headline if headline is not None else first(root, ["h1"])
    region = headline.getparent() if headline is not None else None
    for _ in range(2):
        if region is None:
            break
        shown = _visible_date(region, css, excluded)
        if shown and parse_datetime(shown) is not None:
            return shown
        region = region.getparent()
    return _visible_date(scope, css, excluded)


def _valid(raw: str | None) -> bool:
    return bool(raw) and parse_datetime(raw) is not None


def extract_dates(root: HtmlElement, scope: HtmlElement, url: str, structured: StructuredData,
                  excluded: set[HtmlElement], date_selectors: tuple[str, ...] = (),
                  page: str | bytes = b"", languages: Callable[[], tuple[str, ...] | None] | None = None
                  ) -> PageDates:
    """The most trusted published date that parses, with where it came from. `page`: the
    page as fetched, for htmldate's search over it; `languages`: the languages to read its
    dates in words in (see page_languages), asked only if that search is needed."""
    modified = next((raw for raw in (source() for source in (
        lambda: structured.date_modified,
        lambda: meta_content(root, *selectors.MODIFIED_META),
        lambda: _time_attr(scope, selectors.MODIFIED_TIME, excluded),
    )) if _valid(raw)), None)

    def found(raw: str | None, source: str) -> PageDates | None:
        return PageDates(raw, modified, source) if _valid(raw) else None

    in_url = date_from_url(url)
    url_day = date.fromisoformat(in_url) if in_url and len(in_url) == 10 else None
    stated = (
        lambda: found(structured.date_published, "json-ld"),
        lambda: found(meta_content(root, *selectors.PUBLISHED_META), "meta"),
        lambda: found(_time_attr(scope, date_selectors + selectors.PUBLISHED_TIME, excluded), "time"),
    )
    # A full date in the URL is the day the CMS filed the story under: a stated date more
    # than a day from it is another date (an update, a re-publication, a related item).
    agreeing = (dates for dates in (source() for source in stated)
                if dates and (url_day is None or _near(dates.published_raw, url_day)))
    dates = (
        next(agreeing, None)
        or (found(in_url, "url") if url_day else None)
        or found(_headline_date(root, scope, date_selectors, excluded), "text")
        or (_heuristic(page, url, in_url, modified, languages() if languages else None)
            if page and len(page) <= MAX_HEURISTIC_PAGE else None)
        or found(in_url, "url")  # year and month only: less precise than any day date
        or PageDates(None, modified, None)
    )
    if dates.date_source in ("json-ld", "meta", "time") and UTC_STAMP.search(dates.published_raw.strip()):
        return replace(dates, printed_raw=_headline_date(root, scope, date_selectors, excluded))
    return dates


def _near(raw: str | None, day: date) -> bool:
    parsed = parse_datetime(raw) if raw else None
    return parsed is not None and abs((parsed.date() - day).days) <= 1


def _heuristic(page: str | bytes, url: str, in_url: str | None, modified: str | None,
               languages: tuple[str, ...] | None = None) -> PageDates | None:
    raw = _htmldate(page, url, languages)
    if raw and (not in_url or raw.startswith(in_url)):
        return PageDates(raw, modified, "heuristic")
    return None


def page_languages(declared: str | None, text: str) -> tuple[str, ...] | None:
    """The languages a page's dates in words may be in: the one its markup declares, those
    its text reads as (markup often declares a theme's default), and English; None (every
    language) when neither is known."""
    return date_languages([declared, *guess_languages(text)])


def _htmldate(page: str | bytes, url: str, languages: tuple[str, ...] | None = None) -> str | None:
    """htmldate's search over the whole page (dates in scripts, attributes, text patterns
    in many languages): the most accurate open tool once the page states no date in
    structured form. Given the page rather than our tree: htmldate parses it its own way
    and changes the tree it searches; on a copy of ours it found fewer dates, for no less
    CPU (the copy). Dates in words are read in `languages` only (None: in all dateparser
    knows), tens of times faster on a string that is no date."""
    from htmldate import find_date

    try:
        with languages_for_dates(languages):
            return find_date(page, url=url or None, original_date=True, extensive_search=True)
    except Exception:  # htmldate fails on some odd pages; a miss, not a crash
        return None


def preload() -> None:
    """Load what htmldate's search needs for dates in words now rather than on the first
    page that needs it: dateparser's tables for every language it knows, about 2 s of CPU
    once per process. Two samples that no language reads as a whole date make it go
    through all of them. And the word lists that tell a page's language."""
    from htmldate.extractors import get_external_parser

    from ingest.extract.language import word_lists

    parser = get_external_parser()
    for sample in ("Sunday 1 of the Month 2000", ", Jan 16 06:49"):
        parser.get_date_data(sample)
    word_lists()
