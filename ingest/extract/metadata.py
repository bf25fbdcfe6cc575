"""Page metadata: JSON-LD, meta tags and WordPress conventions.

Each extract_* function returns None (or an empty list) on a miss so callers can chain
fallbacks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

from ingest.extract import selectors
from ingest.extract.html import HtmlElement, first, select, text_of
from ingest.text import collapse_spaces

ARTICLE_TYPES = frozenset(
    "Article NewsArticle BlogPosting ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle "
    "BackgroundNewsArticle ReviewNewsArticle LiveBlogPosting TechArticle ScholarlyArticle "
    "SocialMediaPosting Report".split()
)
PAGE_TYPES = frozenset("WebPage ItemPage".split())


@dataclass
class StructuredData:
    """The fields a page states about itself in JSON-LD, best object first."""

    headline: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    authors: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    url: str | None = None


_CDATA_WRAPPER = re.compile(r"^\s*(<!\[CDATA\[|//\s*<!\[CDATA\[)|(\]\]>|//\s*\]\]>)\s*$")


def _json_ld_objects(root: HtmlElement) -> Iterator[dict[str, Any]]:
    # The page's scripts by lxml's tag iteration: a third of an XPath's walk, which
    # root.xpath() would also compile at every call.
    for script in root.iter("script"):
        if script.get("type") != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if "]]>" in raw or "<![CDATA[" in raw:  # the regex scans every position of the text
            raw = _CDATA_WRAPPER.sub("", raw)
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"])
        if "@type" in data:
            yield data


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _names(value: Any, graph: dict[str, dict[str, Any]]) -> list[str]:
    """Person/Organization references as names; @id references are resolved in the graph."""
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for entry in values:
        if isinstance(entry, dict) and "@id" in entry and "name" not in entry:
            entry = graph.get(entry["@id"], entry)
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and collapse_spaces(name):
            names.append(collapse_spaces(name))
    return names


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [collapse_spaces(v) for v in value.split(",") if collapse_spaces(v)]
    if isinstance(value, list):
        return [collapse_spaces(v) for v in value if isinstance(v, str) and collapse_spaces(v)]
    return []


def extract_structured_data(root: HtmlElement) -> StructuredData:
    objects = list(_json_ld_objects(root))
    graph = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    articles = [o for o in objects if _types(o) & ARTICLE_TYPES]
    pages = [o for o in objects if _types(o) & PAGE_TYPES]
    data = StructuredData()
    for obj in articles + pages:
        data.headline = data.headline or _str(obj.get("headline") or obj.get("name"))
        data.date_published = data.date_published or _str(obj.get("datePublished"))
        data.date_modified = data.date_modified or _str(obj.get("dateModified"))
        data.authors = data.authors or _names(obj.get("author"), graph)
        data.sections = data.sections or _strings(obj.get("articleSection"))
        data.keywords = data.keywords or _strings(obj.get("keywords"))
        data.language = data.language or _str(obj.get("inLanguage"))
        data.url = data.url or _str(obj.get("url") or obj.get("mainEntityOfPage"))
        if not articles:
            data.headline = None  # a WebPage's name is usually the SEO title, not a headline
    return data


def _str(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("@value")
    if isinstance(value, list) and value:
        value = value[0]
    return collapse_spaces(value) or None if isinstance(value, str) else None


def meta_content(root: HtmlElement, *css: str) -> str | None:
    element = first(root, css)
    if element is None:
        return None
    value = element.get("content") or element.get("datetime") or element.get("value")
    return collapse_spaces(value) or None if value else None


def extract_canonical_url(root: HtmlElement, url: str) -> str:
    for css in ("link[rel='canonical']", "meta[property='og:url']"):
        element = first(root, [css])
        target = element is not None and (element.get("href") or element.get("content"))
        if target and target.strip():
            absolute = urljoin(url, target.strip())
            if urlparse(absolute).scheme in ("http", "https"):
                return absolute
    return url


def extract_language(root: HtmlElement, structured: StructuredData) -> str | None:
    candidates = [
        root.get("lang"),
        root.get("xml:lang"),
        meta_content(root, "meta[http-equiv='content-language']", "meta[name='language']"),
        structured.language,
        meta_content(root, "meta[property='og:locale']"),
    ]
    for value in candidates:
        if value:
            primary = re.split(r"[-_]", value.strip())[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", primary):
                return primary
    return None


_POSTID_CLASS = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_POST_ID = re.compile(r"^post-(\d+)$")


def extract_source_id(root: HtmlElement, url: str, url_id_pattern: str | None = None) -> str | None:
    body = root.find("body")
    match = _POSTID_CLASS.search(body.get("class", "") if body is not None else "")
    if match:
        return match.group(1)
    for element in root.iter("article"):
        match = _POST_ID.match(element.get("id") or "")
        if match:
            return match.group(1)
    shortlink = first(root, ["link[rel='shortlink']"])
    if shortlink is not None:
        ids = parse_qs(urlparse(shortlink.get("href", "")).query).get("p")
        if ids and ids[0].isdigit():
            return ids[0]
    if url_id_pattern:
        match = re.search(url_id_pattern, url)
        if match:
            return match.group(1)
    return None


def extract_title(root: HtmlElement, scope: HtmlElement, structured: StructuredData,
                  title_selectors: tuple[str, ...] = ()) -> str | None:
    """The headline. A theme's headline element first; otherwise the heading the page's
    <title> repeats (titles are "headline - section - site"), so that a logo, site or
    section name in an <h1> ("Sport", "Latest News") is not taken for it."""
    element = first(root, title_selectors + selectors.TITLE)
    if element is not None and text_of(element):
        return text_of(element)
    page_title = text_of(root.find(".//title"))
    if len(page_title) > MAX_TITLE_CHARS:  # a <title> left open swallows the page
        page_title = ""
    heading = _heading_in_title(root, page_title) if page_title else None
    if heading:
        return heading
    h1 = text_of(first(scope, ["h1"]))
    if h1 and not (page_title and _is_part_name(h1, page_title)):
        return h1
    for candidate in (meta_content(root, "meta[property='og:title']"), structured.headline):
        if candidate and not (page_title and _is_part_name(candidate, page_title)):
            return candidate
    return _longest_segment(page_title) or h1 or None


MAX_TITLE_CHARS = 300
TITLE_SEPARATORS = re.compile(r"\s+[-|–—»·:]+\s+|\s*[|»]\s*|:\s+|_")
_WORD = re.compile(r"\w+")
# Where headlines are: heading elements first, then elements whose class or id says so.
_HEADINGS = ("//h1 | //h2 | //h3 | //h4",
             "//*[contains(@class, 'title') or contains(@class, 'headline') or contains(@class, 'Title')"
             " or contains(@class, 'Headline') or contains(@id, 'title') or contains(@id, 'headline')]")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _longest_segment(page_title: str) -> str:
    segments = [collapse_spaces(s) for s in TITLE_SEPARATORS.split(page_title)]
    return max(segments, key=lambda s: len(s.split()), default="")


def _is_part_name(text: str, page_title: str) -> bool:
    """A site or section name: a few words that make up a small part of the <title>."""
    words, title_words = _words(text), set(_words(page_title))
    longest = _words(_longest_segment(page_title))
    return bool(words) and all(w in title_words for w in words) and len(words) < 0.5 * len(longest)


def _heading_in_title(root: HtmlElement, page_title: str) -> str | None:
    """The heading (h1-h4, else an element whose class says title or headline) whose words
    the <title> holds, the one holding most of them; at least half of the title's longest
    part."""
    title_words = set(_words(page_title))
    needed = 0.5 * len(_words(_longest_segment(page_title)))
    for xpath in _HEADINGS:
        best, best_hits = None, 0
        for element in root.xpath(xpath):
            if element.tag in ("title", "meta", "head", "html", "body"):
                continue
            text = text_of(element)
            if not text or len(text) > MAX_TITLE_CHARS:
                continue
            words = _words(text)
            hits = sum(w in title_words for w in words)
            if hits >= max(needed, 2) and hits >= 0.8 * len(words) and hits > best_hits:
                best, best_hits = text, hits
        if best:
            return best
    return None


def link_texts(scope: HtmlElement, rel_token: str, exact: bool = False) -> list[str]:
    """Texts of links whose rel holds the token (rel="category tag", rel="tag"), in page order."""
    names: list[str] = []
    for link in scope.iterdescendants("a"):  # lxml's tag iteration: no XPath compiled and run
        rel = link.get("rel")
        if rel is None:
            continue
        tokens = rel.split()
        if (tokens == [rel_token]) if exact else (rel_token in tokens):
            name = text_of(link)
            if name and name not in names:
                names.append(name)
    return names


def extract_authors(root: HtmlElement, scope: HtmlElement, structured: StructuredData) -> list[str]:
    """Names of people. Bylines are split ("A, B and C, CNN" -> A, B, C; the outlet dropped),
    and a selector that finds link texts which are not names (tags, "Printer-friendly
    version", a donation link) or more links than a byline holds is not taken."""
    if structured.authors:
        names = person_names(structured.authors)
        if names:
            return names
    for css in selectors.AUTHOR:
        found = [text_of(e) for e in select(scope, css)]
        found = [text for text in found if text]
        if not found or len(found) > MAX_BYLINE_LINKS:
            continue
        names = person_names(found)
        if names:
            return names
    meta = meta_content(root, "meta[name='author']", "meta[property='article:author']")
    if meta and not meta.startswith("http"):
        return person_names([meta])
    return []


MAX_BYLINE_LINKS = 6
BYLINE_PREFIX = re.compile(r"^(?:(?:written|posted|reported)\s+)?(?:by|von|par|por|door|di)\s*:?\s+", re.I)
NAME_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b)\s*")
# Link texts found in author boxes that never name a person.
NOT_A_NAME = re.compile(
    r"\b(?:version|printer|print|email|e-mail|share|comments?|tags?|donate|paypal|subscribe|follow|"
    r"twitter|facebook|home|more|view|posts|profile|contact|rss)\b|[@/:\d]", re.I)
# A part of a byline with several names that is the outlet or a desk ("..., CNN").
OUTLET = re.compile(
    r"^[A-Z0-9.&-]{2,6}$|\b(?:staff|news|press|agency|wire|service|desk|times|post|herald)\b", re.I)
MAX_NAME_WORDS = 5


NAME_PARTICLES = frozenset("van von der den de del della di da du la le ten ter bin ibn al el y e".split())


def _capitalized(name: str) -> bool:
    """Names are capitalized word by word (in scripts with case): "Send to a friend" or a
    tag like "drought" is not one."""
    return all(not word[0].islower() or word in NAME_PARTICLES for word in name.split())


def person_names(texts: list[str]) -> list[str]:
    """The people named in byline texts, in order, once each."""
    names: list[str] = []
    for text in texts:
        text = BYLINE_PREFIX.sub("", collapse_spaces(text))
        parts = [part.strip(" .-–—|") for part in NAME_SEPARATORS.split(text)]
        parts = [part for part in parts
                 if part and len(part.split()) <= MAX_NAME_WORDS and not NOT_A_NAME.search(part)
                 and any(ch.isalpha() for ch in part) and _capitalized(part)]
        if len(parts) > 1:
            parts = [part for part in parts if not OUTLET.search(part)] or parts[:1]
        names.extend(parts)
    return _unique(names)


def _unique(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen
