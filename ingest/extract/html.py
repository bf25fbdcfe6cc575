"""Parsing and walking HTML with lxml: the few primitives every extractor uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import lxml.html
from cssselect import SelectorError
from cssselect import parse as parse_css
from cssselect import parser as cssselect_parser
from lxml import etree
from lxml.cssselect import CSSSelector, LxmlHTMLTranslator

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


# C0 control characters other than tab and line breaks, and the two non-characters: XML
# cannot hold them, so a tree carrying one breaks serializers (trafilatura's among them).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def decode_html(html: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding): decoded the way browsers do (BOM, HTTP header, meta charset, then
    detection) by w3lib, the decoder Scrapy itself uses, except that a page declaring a
    single-byte encoding (ISO-8859-1, windows-1252...) whose bytes are valid UTF-8 with
    multi-byte sequences is read as UTF-8: servers and templates often declare Latin-1 by
    default, and Latin-1 text forming valid UTF-8 sequences throughout is all but unknown."""
    from w3lib.encoding import html_to_unicode

    encoding, text = html_to_unicode(content_type, html)
    if _single_byte(encoding) and _UTF8_MULTIBYTE.search(html):
        try:
            return html.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    return text, encoding


@lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    try:
        return len("\u00e9\u0416\u4e2d".encode(encoding, "ignore")) <= 2
    except LookupError:
        return False


def parse_html(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    """Parse a whole page (bytes are decoded by decode_html). Control characters are
    dropped: they are never text, and no part of the page is lost to one."""
    if isinstance(html, bytes):
        html = decode_html(html, content_type)[0]
    html = CONTROL_CHARACTERS.sub("", html)
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


def is_valid_selector(selector: str) -> bool:
    """Whether lxml can run this CSS selector (a profile's typo is caught when it is loaded,
    not on every page of the crawl)."""
    try:
        _compiled(selector)
    except (SelectorError, TypeError):
        return False
    return True


def select(element: HtmlElement, selector: str) -> list[HtmlElement]:
    """element.cssselect(selector), with the CSS-to-XPath translation done once per selector."""
    page = _PAGE.get()
    if page is None:
        return _compiled(selector)(element)
    xpath = page.xpath(selector)
    return xpath(element) if xpath is not None else []


class _PageAttributes:
    """The attribute values one page carries, to tell which selectors cannot match it."""

    def __init__(self, root: HtmlElement) -> None:
        self.text = "\n".join(_ALL_ATTRIBUTE_VALUES(root)).lower()
        self.class_names = set(" ".join(_CLASS_VALUES(root)).lower().split())
        self.ids = {value.lower() for value in _ID_VALUES(root)}
        self._xpaths: dict[str, etree.XPath | None] = {}
        self._present: dict[str, bool] = {}

    def xpath(self, selector: str) -> etree.XPath | None:
        """The selector group's members that may match on this page, as one XPath; None
        when none may."""
        try:
            return self._xpaths[selector]
        except KeyError:
            pass
        live = [xpath for required, xpath in _group_members(selector)
                if all(self._has(literal) for literal in required)]
        compiled = self._xpaths[selector] = _compiled_xpath(" | ".join(live)) if live else None
        return compiled

    def _has(self, literal: tuple[str, str]) -> bool:
        """Whether the page carries the literal: a class name or an id by a set lookup,
        other values by a substring test over all the page's values, remembered as many
        selectors name the same few ("date", "author") and each test scans all of them."""
        kind, value = literal
        if kind == "class":
            return value in self.class_names
        if kind == "id":
            return value in self.ids
        present = self._present.get(value)
        if present is None:
            present = self._present[value] = value in self.text
        return present


_TRANSLATOR = LxmlHTMLTranslator()
_ALL_ATTRIBUTE_VALUES = etree.XPath("//@*", smart_strings=False)  # plain str: half the cost
_CLASS_VALUES = etree.XPath("//@class", smart_strings=False)
_ID_VALUES = etree.XPath("//@id", smart_strings=False)
_PAGE: ContextVar[_PageAttributes | None] = ContextVar("page_attributes", default=None)


def page_class_names() -> set[str] | None:
    """The class names (lower-cased) of the page being extracted under attribute_index,
    else None."""
    page = _PAGE.get()
    return page.class_names if page is not None else None


@contextmanager
def attribute_index(root: HtmlElement) -> Iterator[None]:
    """While one page is extracted, select() skips selectors that name a class, id or
    attribute value found nowhere in the page. Most theme selectors miss on any given
    page, and a substring test costs a fraction of an XPath walk over the whole tree.
    Values come from the parsed tree (entities decoded), so nothing that could match is
    skipped; elements selected from must belong to this page or a copy of part of it."""
    token = _PAGE.set(_PageAttributes(root))
    try:
        yield
    finally:
        _PAGE.reset(token)


@lru_cache(maxsize=None)
def _group_members(selector: str) -> tuple[tuple[frozenset[tuple[str, str]], str], ...]:
    """Per member of the selector group: what a matching page must carry (lower-cased):
    ("class", a class name), ("id", an id) or ("value", a string inside some attribute
    value, for compared attributes); and the member's XPath."""
    return tuple((frozenset(_literals(parsed.parsed_tree)),
                  _TRANSLATOR.selector_to_xpath(parsed, prefix="descendant-or-self::"))
                 for parsed in parse_css(selector))


@lru_cache(maxsize=4096)
def _compiled_xpath(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def _literals(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, cssselect_parser.Class):
        yield "class", node.class_name.lower()
    elif isinstance(node, cssselect_parser.Hash):
        yield "id", node.id.lower()
    elif isinstance(node, cssselect_parser.Attrib) and node.operator not in ("exists", "!="):
        value = getattr(node.value, "value", node.value)
        if value:
            yield "value", str(value).lower()
    elif isinstance(node, cssselect_parser.CombinedSelector):
        yield from _literals(node.subselector)
    inner = getattr(node, "selector", None)  # :not(...) and the like only narrow it further
    if inner is not None:
        yield from _literals(inner)


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
