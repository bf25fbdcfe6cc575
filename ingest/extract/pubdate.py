"""Where a page states its publication and modification dates, by order of trust.

Returns raw strings and where they came from; turning them into instants is the job of
ingest.dates (which knows the site's time zone)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.dates import date_from_url
from ingest.extract import selectors
from ingest.extract.html import HtmlElement, inside_any, text_of
from ingest.extract.metadata import StructuredData, meta_content

MAX_DATE_TEXT = 80


@dataclass
class PageDates:
    published_raw: str | None = None
    modified_raw: str | None = None
    date_source: str | None = None


def _time_attr(scope: HtmlElement, css: tuple[str, ...], excluded: set[HtmlElement]) -> str | None:
    for selector in css:
        for element in scope.cssselect(selector):
            if inside_any(element, excluded):
                continue
            value = (element.get("datetime") or element.get("content") or "").strip()
            if value:
                return value
    return None


def _visible_date(scope: HtmlElement, css: tuple[str, ...], excluded: set[HtmlElement]) -> str | None:
    for selector in css:
        for element in scope.cssselect(selector):
            if inside_any(element, excluded):
                continue
            text = text_of(element)
            if text and len(text) <= MAX_DATE_TEXT and any(ch.isdigit() for ch in text):
                return text
    return None


def extract_dates(root: HtmlElement, scope: HtmlElement, url: str, structured: StructuredData,
                  excluded: set[HtmlElement], date_selectors: tuple[str, ...] = ()) -> PageDates:
    modified = (
        structured.date_modified
        or meta_content(root, *selectors.MODIFIED_META)
        or _time_attr(scope, selectors.MODIFIED_TIME, excluded)
    )
    if structured.date_published:
        return PageDates(structured.date_published, modified, "json-ld")
    meta = meta_content(root, *selectors.PUBLISHED_META)
    if meta:
        return PageDates(meta, modified, "meta")
    time_value = _time_attr(scope, date_selectors + selectors.PUBLISHED_TIME, excluded)
    if time_value:
        return PageDates(time_value, modified, "time")
    in_url = date_from_url(url)
    text = _visible_date(scope, date_selectors + selectors.DATE_TEXT, excluded)
    # A URL holding only year and month is less precise than a visible day date.
    if in_url and (len(in_url) == 10 or not text):
        return PageDates(in_url, modified, "url")
    if text:
        return PageDates(text, modified, "text")
    return PageDates(None, modified, None)
