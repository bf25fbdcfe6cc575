"""extract_article: every field of a news article page, from its HTML and URL alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ingest.extract import selectors
from ingest.extract.body import (
    extract_body,
    find_body_container,
    generic_body,
    generic_holds_article,
    theme_body_in_doubt,
)
from ingest.extract.captions import extract_captions
from ingest.extract.html import (
    HtmlElement,
    attribute_index,
    first,
    is_valid_selector,
    parse_page,
    select,
    select_regions,
    text_of,
)
from ingest.extract.metadata import (
    extract_authors,
    extract_canonical_url,
    extract_language,
    extract_source_id,
    extract_structured_data,
    extract_title,
    link_texts,
    meta_content,
)
from ingest.extract.pubdate import extract_dates, page_languages


@dataclass(frozen=True)
class ExtractionRules:
    """Per-site selectors placed in front of the generic ones (from a site profile)."""

    article: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    url_id_pattern: str | None = None

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> ExtractionRules:
        data = data or {}

        def as_tuple(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return (value,) if isinstance(value, str) else tuple(value)

        rules = cls(as_tuple("article"), as_tuple("title"), as_tuple("body"), as_tuple("noise"),
                    as_tuple("dates"), data.get("url_id_pattern"))
        for key in ("article", "title", "body", "noise", "dates"):
            for selector in getattr(rules, key):
                if not is_valid_selector(selector):
                    raise ValueError(f"extraction.{key}: not a CSS selector: {selector!r}")
        if rules.url_id_pattern:
            try:
                re.compile(rules.url_id_pattern)
            except re.error as exc:
                raise ValueError(f"extraction.url_id_pattern: {exc}") from None
        return rules


GENERIC = ExtractionRules()


# trafilatura's time grows with the square of a page's elements past ~20,000 (10 s of CPU
# at 100,000 short paragraphs, 6 minutes at 350,000): on a bigger page the generic body is
# main_content's alone, and where that finds nothing, the article's scope is read whole.
MAX_GENERIC_ELEMENTS = 30_000


def _has_more_elements(root: HtmlElement, limit: int) -> bool:
    return next(islice(root.iter(), limit, None), None) is not None


def article_scope(root: HtmlElement, rules: ExtractionRules) -> HtmlElement:
    """The element holding the article, widened to take in its headline when a theme puts
    the header (title, byline, date) beside the content rather than inside it."""
    scope = first(root, rules.article + selectors.ARTICLE_SCOPE)
    if scope is None:
        scope = root.find("body")
    if scope is None:
        return root
    headline = first(root, rules.title + selectors.TITLE)
    if headline is None:
        headline = first(root, ["h1"])
    if headline is not None and scope not in headline.iterancestors():
        for ancestor in scope.iterancestors():
            if ancestor.tag == "body" or ancestor in headline.iterancestors():
                return ancestor
    return scope


def extract_article(html: str | bytes, url: str, rules: ExtractionRules = GENERIC,
                    content_type: str | None = None) -> dict[str, Any]:
    """All raw fields of an article page: its text, or its bytes as fetched with the HTTP
    Content-Type they came with (which may name their encoding). Dates stay raw strings
    (see ingest.dates)."""
    root, text = parse_page(html, content_type)
    with attribute_index(root):
        return _extract_fields(root, url, rules, page=text)


# A page that takes every path a first page may take: no container a theme names, no date
# stated anywhere, English prose.
_WARM_UP_PAGE = (
    "<html><head><title>A note on the weather</title></head><body><div><h1>A note on the "
    "weather</h1><p>It was one of those days when the rain would not stop and the streets of "
    "the town were all but empty, so most of the people who live there stayed at home with "
    "their families and waited for the evening.</p><p>By the next morning the sky had cleared "
    "and the market was open again, as it is on every other day of the week.</p></div></body>"
    "</html>")


def warm_up() -> None:
    """Load now what extraction loads on its first pages (trafilatura, htmldate, dateparser's
    tables, the language guess's word lists: about a second of CPU), so that no page's time
    limit pays for it: an extraction worker process runs this before its first page.
    trafilatura is imported apart: the warm-up page is one main_content reads alone."""
    import trafilatura  # noqa: F401

    from ingest.dates import preload

    preload()
    extract_article(_WARM_UP_PAGE, "https://example.org/a-note-on-the-weather")


def _extract_fields(root: HtmlElement, url: str, rules: ExtractionRules, page: str | bytes
                    ) -> dict[str, Any]:
    scope = article_scope(root, rules)
    excluded = select_regions(root, selectors.OUTSIDE_ARTICLE)
    excluded -= {scope, *scope.iterancestors()}  # e.g. Blogger wraps each post in a .widget
    structured = extract_structured_data(root)

    captions = extract_captions(scope, url, excluded)
    title = extract_title(root, scope, structured, rules.title)
    container = find_body_container(scope, excluded, rules.body)
    body = extract_body(container, captions, title, rules.noise) if container is not None else None
    if body is None or theme_body_in_doubt(body):
        huge = _has_more_elements(root, MAX_GENERIC_ELEMENTS)
        fallback = generic_body(root, captions, title, scope, trafilatura=not huge)
        if body is None or generic_holds_article(body, fallback, [text_of(e) for e in excluded]):
            body = fallback
        if huge and not body.paragraphs:
            body = extract_body(scope, captions, title, rules.noise)
    language = extract_language(root, structured)
    dates = extract_dates(root, scope, url, structured, excluded, rules.dates, page=page,
                          languages=lambda: page_languages(language, body.text if body else title or ""))

    categories = link_texts(scope, "category") or structured.sections
    if not categories:
        section = meta_content(root, "meta[property='article:section']")
        categories = [section] if section else []
    tags = link_texts(scope, "tag", exact=True) or structured.keywords
    if not tags:
        tags = [t.get("content").strip() for t in select(root, "meta[property='article:tag']")
                if (t.get("content") or "").strip()]

    return {
        "url": url,
        "canonical_url": extract_canonical_url(root, url),
        "title": title,
        "body": body.text if body else "",
        "body_html": body.html if body else "",
        "lead": body.paragraphs[0] if body and body.paragraphs else None,
        "captions": captions,
        "authors": extract_authors(root, scope, structured),
        "categories": categories,
        "tags": tags,
        "language": language,
        "source_id": extract_source_id(root, url, rules.url_id_pattern),
        "published_raw": dates.published_raw,
        "modified_raw": dates.modified_raw,
        "date_source": dates.date_source,
        "printed_date_raw": dates.printed_raw,
    }
