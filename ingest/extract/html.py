"""Parsing and walking HTML with lxml: the few primitives every extractor uses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from ingest.text import collapse_spaces

HtmlElement = lxml.html.HtmlElement

BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table thead tbody tr td th "
    "section article header footer figure figcaption main aside nav form hr address "
    "details summary center".split()
)
PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li dt dd pre td th blockquote".split())


class ExtractionError(ValueError):
    """The input is not an HTML document that can be extracted from."""


def parse_html(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    """Parse a whole page. Bytes are decoded the way browsers do (BOM, HTTP header, meta
    charset, then detection) by w3lib, the decoder Scrapy itself uses."""
    if isinstance(html, bytes):
        from w3lib.encoding import html_to_unicode

        html = html_to_unicode(content_type, html)[1]
    html = html.replace("\x00", "")
    if not html.strip():
        raise ExtractionError("empty document")
    try:
        # Parsed from UTF-8 bytes: lxml refuses str input that declares an encoding.
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_utf8_parser())
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc
    if root is None:
        raise ExtractionError("unparsable HTML")
    return root


_UTF8_PARSER: lxml.html.HTMLParser | None = None


def _utf8_parser() -> lxml.html.HTMLParser:
    global _UTF8_PARSER
    if _UTF8_PARSER is None:
        _UTF8_PARSER = lxml.html.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
        )
    return _UTF8_PARSER


@lru_cache(maxsize=None)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector, translator="html")


def select(element: HtmlElement, selector: str) -> list[HtmlElement]:
    """element.cssselect(selector), with the CSS-to-XPath translation done once per selector."""
    return _compiled(selector)(element)


def first(root: HtmlElement, selectors: Iterable[str]) -> HtmlElement | None:
    for selector in selectors:
        found = select(root, selector)
        if found:
            return found[0]
    return None


def text_of(element: HtmlElement | None) -> str:
    if element is None:
        return ""
    return collapse_spaces(element.text_content())


def inside_any(element: HtmlElement, regions: set[HtmlElement]) -> bool:
    return any(ancestor in regions for ancestor in element.iterancestors()) or element in regions


def select_regions(root: HtmlElement, selectors: Iterable[str]) -> set[HtmlElement]:
    return set(select(root, ", ".join(selectors)))


def iter_blocks(element: HtmlElement) -> Iterator[tuple[str, str]]:
    """Yield (tag, text) for each run of text that a browser would show as its own block.

    Inline markup is flattened into the enclosing block; a block containing other blocks
    yields its loose text runs separately, so nested markup never duplicates text."""
    buffer: list[str] = []
    tag_stack: list[str] = []

    def flush() -> Iterator[tuple[str, str]]:
        text = collapse_spaces("".join(buffer))
        buffer.clear()
        if text:
            paragraph_tag = next((t for t in reversed(tag_stack) if t in PARAGRAPH_TAGS), "p")
            yield paragraph_tag, text

    def walk(node: HtmlElement) -> Iterator[tuple[str, str]]:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in BLOCK_TAGS
        if tag == "br":
            buffer.append(" ")
        if block:
            yield from flush()
            tag_stack.append(tag)
        if node.text and tag:
            buffer.append(node.text)
        for child in node:
            yield from walk(child)
            if child.tail:
                buffer.append(child.tail)
        if block:
            yield from flush()
            tag_stack.pop()

    yield from walk(element)
    yield from flush()
