"""Scraped HTML made safe to show: an allowlist of tags and attributes (nh3, the Ammonia
sanitizer), links only to http(s), no images (loading them would tell the scraped site who
reads its articles, and when)."""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "mark",
    "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul",
}
_ATTRIBUTES = {"a": {"href", "hreflang"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
               "*": {"dir", "lang"}}
_SCHEMES = {"http", "https"}


def web_url(value: object) -> str | None:
    """The value when it is an absolute http(s) URL, else None (no javascript:, data:, ...)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in _SCHEMES and parts.netloc else None


def clean_html(fragment: str, base_url: str | None = None) -> str:
    """Relative links are resolved against the article's own URL (they pointed into its site)."""
    base = web_url(base_url)
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        url_relative=("rewrite_with_base", base) if base else "deny",
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
