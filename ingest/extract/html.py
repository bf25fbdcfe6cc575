"""Parsing and walking HTML with lxml: the few primitives every extractor uses."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, NamedTuple

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
# Looked for by one substring test per character before the regex runs: a quarter of the
# regex's scan, and pages rarely hold any.
_CONTROL_CHARACTER_LIST = tuple(chr(c) for c in (*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF))
CONTROL_CHARACTERS = re.compile("[" + "".join(_CONTROL_CHARACTER_LIST) + "]")
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
def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


@lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    try:
        return len("\u00e9\u0416\u4e2d".encode(encoding, "ignore")) <= 2
    except LookupError:
        return False


def parse_html(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    """Parse a whole page (bytes are decoded by decode_html). Control characters are
    dropped: they are never text, and no part of the page is lost to one."""
    return parse_page(html, content_type)[0]


def parse_page(html: str | bytes, content_type: str | None = None) -> tuple[HtmlElement, str]:
    """The page's tree, and its text as parsed (decoded, control characters dropped)."""
    source = None
    if isinstance(html, bytes):
        fetched = html
        html, encoding = decode_html(fetched, content_type)
        source = _as_utf8_source(fetched, html, encoding)
    if source is None and any(character in html for character in _CONTROL_CHARACTER_LIST):
        html = CONTROL_CHARACTERS.sub("", html)
    if not html or html.isspace():
        raise ExtractionError("empty document")
    if source is None:
        source = html.encode("utf-8", "replace")
    try:
        # Parsed from UTF-8 bytes: lxml refuses str input that declares an encoding.
        root = lxml.html.document_fromstring(source, parser=_utf8_parser())
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc
    if root is None:
        raise ExtractionError("unparsable HTML")
    return root, html


# The control characters as they appear in UTF-8: C0 ones as single bytes, which no other
# character's encoding contains (all deleted in one pass by bytes.translate, a third of the
# time of one search per byte), and the two non-characters as three.
_CONTROL_C0_BYTES = bytes(ord(c) for c in _CONTROL_CHARACTER_LIST if ord(c) < 0x20)
_CONTROL_UTF8_SEQUENCES = tuple(c.encode() for c in _CONTROL_CHARACTER_LIST if ord(c) >= 0x20)


def _as_utf8_source(fetched: bytes, text: str, encoding: str) -> bytes | None:
    """The fetched bytes themselves, when they are exactly what encoding the decoded text
    would give the parser (UTF-8 without a byte-order mark, nothing replaced, no control
    character): a page's worth of encoding saved, and the control characters looked for
    with memchr over bytes rather than in a wide string."""
    if (_codec_name(encoding) != "utf-8" or fetched.startswith(codecs.BOM_UTF8) or "\ufffd" in text
            or len(fetched.translate(None, _CONTROL_C0_BYTES)) != len(fetched)
            or any(sequence in fetched for sequence in _CONTROL_UTF8_SEQUENCES)):
        return None
    return fetched


_UTF8_PARSER: etree.HTMLParser | None = None


def _utf8_parser() -> etree.HTMLParser:
    """lxml.html's parser, with its element classes (HtmlElement, FormElement...) chosen in C:
    lxml.html picks them in a Python method for every element object made, a tenth of the
    whole extraction's time on a theme page."""
    global _UTF8_PARSER
    if _UTF8_PARSER is None:
        parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
        by_tag = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
        by_tag.get_namespace(None).update(lxml.html.HtmlElementClassLookup._default_element_classes)
        parser.set_element_class_lookup(by_tag)
        _UTF8_PARSER = parser
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
    """element.cssselect(selector), with the CSS-to-XPath translation done once per selector.
    Selectors of tag names only ("aside, nav, form") are lxml's tag iteration: one walk of
    the elements in C, where the XPath union walks every node once per name."""
    tags = _plain_tags(selector)
    if tags is not None:
        return list(element.iter(*tags))
    page = _PAGE.get()
    if page is not None:
        members = _simple_members(selector)
        if members is not None:
            found = page.selected(members, element)
            if found is not None:
                return found
    xpath = _compiled(selector) if page is None else page.xpath(selector)
    if xpath is None:
        return []
    member = _tag_member(selector)
    if member is not None:
        return [found for found in element.iter(member.tag) if member.matches(found)]
    return xpath(element)


class _TagMember(NamedTuple):
    """A selector of one tag with conditions on the element's own attributes, each
    (attribute, operator, value) as lxml's HTML translator tests it: "exists", "=" (the
    whole value), "class" (one of the class names), "^=" and "*=" (a non-empty prefix or
    part)."""

    tag: str
    conditions: tuple[tuple[str, str, str], ...]

    def matches(self, element: HtmlElement) -> bool:
        for attribute, operator, wanted in self.conditions:
            value = element.get(attribute)
            if value is None:
                return False
            if operator == "=":
                if value != wanted:
                    return False
            elif operator == "class":
                if wanted not in _class_tokens(value):
                    return False
            elif operator == "^=":
                if not value.startswith(wanted):
                    return False
            elif operator == "*=" and wanted not in value:
                return False
        return True


@lru_cache(maxsize=None)
def _tag_member(selector: str) -> _TagMember | None:
    """The selector as a _TagMember ("meta[property='og:locale']", "h1.entry-title",
    "time[datetime]"): answered by lxml's iteration over the elements of that tag, in C,
    where the XPath walks every node of the tree; None for any other selector."""
    try:
        group = parse_css(selector)
    except SelectorError:
        return None
    if len(group) != 1 or group[0].pseudo_element is not None:
        return None
    conditions: list[tuple[str, str, str]] = []
    node = group[0].parsed_tree
    while not isinstance(node, cssselect_parser.Element):
        if isinstance(node, cssselect_parser.Class):
            conditions.append(("class", "class", node.class_name))
        elif isinstance(node, cssselect_parser.Hash):
            conditions.append(("id", "=", node.id))
        elif isinstance(node, cssselect_parser.Attrib) and node.namespace is None:
            value = "" if node.operator == "exists" else str(getattr(node.value, "value", node.value))
            if node.operator not in ("exists", "=", "^=", "*=") or (node.operator in ("^=", "*=") and not value):
                return None
            conditions.append((node.attrib.lower(), node.operator, value))
        else:
            return None
        node = node.selector
    if node.namespace is not None or node.element in (None, "*"):
        return None
    return _TagMember(node.element.lower(), tuple(reversed(conditions)))


@lru_cache(maxsize=None)
def _plain_tags(selector: str) -> tuple[str, ...] | None:
    """The tag names of a selector group made of type selectors alone (lower-cased, as the
    HTML translator compares them, the element itself included, in document order, each
    element once: as the XPath union answers); None for any other selector."""
    try:
        group = parse_css(selector)
    except SelectorError:
        return None
    tags = []
    for parsed in group:
        node = parsed.parsed_tree
        if (parsed.pseudo_element is not None or not isinstance(node, cssselect_parser.Element)
                or node.namespace is not None or node.element in (None, "*")):
            return None
        tags.append(node.element.lower())
    return tuple(tags)


class _PageAttributes:
    """The attribute values one page carries, to tell which selectors cannot match it, and
    its elements by class and id."""

    def __init__(self, root: HtmlElement) -> None:
        self.root = root
        # Bytes with ASCII letters lowered, as literals are: str.lower() on a page whose values
        # hold any non-ASCII character costs ten times more.
        self.text = "\n".join(_ALL_ATTRIBUTE_VALUES(root)).encode().lower()
        self._elements: list[HtmlElement] = _CLASSED_OR_IDENTIFIED(root)
        self._by_value: dict[str, list[int]] = {}
        self._by_class: dict[str, list[int]] = {}
        self._by_id: dict[str, list[int]] = {}
        for position, element in enumerate(self._elements):
            value = element.get("class")
            if value:
                self._by_value.setdefault(value, []).append(position)
            identifier = element.get("id")
            if identifier is not None:
                self._by_id.setdefault(identifier, []).append(position)
        for value, positions in self._by_value.items():
            for name in _class_tokens(value):
                self._by_class.setdefault(name, []).extend(positions)
        # Lower-cased and split on any space: a superset, for telling what cannot match.
        self.class_names = set(" ".join(self._by_value).lower().split())
        self.ids = {value.lower() for value in self._by_id}
        self._xpaths: dict[str, etree.XPath | None] = {}
        self._present: dict[str | bytes, bool] = {}

    def matching(self, member: _SimpleMember) -> list[HtmlElement]:
        """The page's elements that a selector of classes, ids and class substrings
        matches, from an index of the elements that carry a class or an id: for a region
        that many such selectors name, one pass over those elements replaces a walk of the
        whole tree per selector."""
        return [self._elements[position] for position in self._positions(member)]

    def selected(self, members: tuple[_SimpleMember, ...], within: HtmlElement) -> list[HtmlElement] | None:
        """What the selector group of these members finds from `within`, an element of this
        page, as CSS finds it (descendant-or-self, document order, each element once);
        None for an element of another tree (a copy of part of the page)."""
        if within is not self.root and within.getroottree().getroot() is not self.root:
            return None
        positions = sorted({position for member in members for position in self._positions(member)})
        found = [self._elements[position] for position in positions]
        if within is self.root:
            return found
        return [element for element in found
                if element is within or any(ancestor is within for ancestor in element.iterancestors())]

    def _positions(self, member: _SimpleMember) -> list[int]:
        """Where the elements the member matches are in the index (not in document order:
        a class's elements are listed class value by class value)."""
        tag, classes, ids, parts = member
        if classes:
            positions: Iterable[int] = self._by_class.get(classes[0], ())
            classes = classes[1:]
        elif ids:
            positions = self._by_id.get(ids[0], ())
        else:
            first, parts = parts[0], parts[1:]
            positions = [position for value, at in self._by_value.items() if first in value
                         for position in at]
        found = []
        for position in positions:
            element = self._elements[position]
            if tag is not None and element.tag != tag:
                continue
            value = element.get("class") or ""
            if classes and not _class_tokens(value).issuperset(classes):
                continue
            if ids and any(element.get("id") != wanted for wanted in ids):
                continue
            if parts and not all(part in value for part in parts):
                continue
            found.append(position)
        return found

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

    def _has(self, literal: tuple[str, str | bytes]) -> bool:
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
# Elements reached from their class and id attributes: libxml2 evaluates a predicate such as
# [@class or @id] on every element, building node-sets, at twice this path's cost.
_CLASSED_OR_IDENTIFIED = etree.XPath("descendant-or-self::*/@class/.. | descendant-or-self::*/@id/..")
_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() splits on, as CSS does
# str.split() splits on more (no-break and other Unicode spaces): used only where it agrees.
_PLAIN_SPACE = re.compile(r"[ \t\r\n!-~]*").fullmatch


@lru_cache(maxsize=4096)
def _class_tokens(value: str) -> frozenset[str]:
    """The class names in a class attribute, split as CSS and XPath split them."""
    return frozenset(value.split() if _PLAIN_SPACE(value) else _XML_SPACE.split(value.strip(" \t\r\n")))


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
def _group_members(selector: str) -> tuple[tuple[frozenset[tuple[str, str | bytes]], str], ...]:
    """Per member of the selector group: what a matching page must carry (lower-cased):
    ("class", a class name), ("id", an id) or ("value", a string inside some attribute
    value, for compared attributes, as UTF-8 with ASCII letters lowered); and the member's
    XPath."""
    return tuple((frozenset(_literals(parsed.parsed_tree)),
                  _TRANSLATOR.selector_to_xpath(parsed, prefix="descendant-or-self::"))
                 for parsed in parse_css(selector))


@lru_cache(maxsize=4096)
def _compiled_xpath(xpath: str) -> etree.XPath:
    return etree.XPath(xpath)


def _literals(node: Any) -> Iterator[tuple[str, str | bytes]]:
    if isinstance(node, cssselect_parser.Class):
        yield "class", node.class_name.lower()
    elif isinstance(node, cssselect_parser.Hash):
        yield "id", node.id.lower()
    elif isinstance(node, cssselect_parser.Attrib) and node.operator not in ("exists", "!="):
        value = getattr(node.value, "value", node.value)
        if value:
            yield "value", str(value).encode().lower()
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
    """Every element any of the selectors matches. Under attribute_index, selectors made
    only of classes, ids and class substrings are answered from the page's index."""
    page = _PAGE.get()
    if page is None or page.root is not root:
        return set(select(root, ", ".join(selectors)))
    found: set[HtmlElement] = set()
    walked = []
    for selector in selectors:
        members = _simple_members(selector)
        if members is None:
            walked.append(selector)
        else:
            for member in members:
                found.update(page.matching(member))
    if walked:
        found.update(select(root, ", ".join(walked)))
    return found


class _SimpleMember(NamedTuple):
    tag: str | None
    classes: tuple[str, ...]
    ids: tuple[str, ...]
    class_parts: tuple[str, ...]


@lru_cache(maxsize=None)
def _simple_members(selector: str) -> tuple[_SimpleMember, ...] | None:
    """The selector group as members an index of classes and ids can answer (each naming
    at least one class, id or [class*=...] part, with or without a tag, nothing else);
    None if any member needs more. Matching stays case-sensitive, as the XPath is."""
    members = []
    for parsed in parse_css(selector):
        if parsed.pseudo_element is not None:
            return None
        classes: list[str] = []
        ids: list[str] = []
        parts: list[str] = []
        node = parsed.parsed_tree
        while not isinstance(node, cssselect_parser.Element):
            if isinstance(node, cssselect_parser.Class):
                classes.append(node.class_name)
            elif isinstance(node, cssselect_parser.Hash):
                ids.append(node.id)
            elif (isinstance(node, cssselect_parser.Attrib) and node.namespace is None
                  and node.attrib.lower() == "class" and node.operator == "*="
                  and getattr(node.value, "value", node.value)):
                parts.append(str(getattr(node.value, "value", node.value)))
            else:
                return None
            node = node.selector
        if node.namespace is not None or not (classes or ids or parts):
            return None
        tag = node.element.lower() if node.element not in (None, "*") else None
        members.append(_SimpleMember(tag, tuple(classes), tuple(ids), tuple(parts)))
    return tuple(members)


# What lxml's walk reports: comments and processing instructions too, for their tails.
WALK_EVENTS = ("start", "end", "comment", "pi")


def iter_blocks(element: HtmlElement) -> Iterator[tuple[str, str]]:
    """(tag, text) of each run of text that a browser would show as its own block.

    Inline markup is flattened into the enclosing block; a block containing other blocks
    yields its loose text runs separately, so nested markup never duplicates text.
    (Collected in one walk driven by lxml, then yielded: pages nest deeper than Python's
    recursion allows, and a generator per element cost more than the walk itself.)"""
    blocks: list[tuple[str, str]] = []
    buffer: list[str] = []
    tag_stack: list[str] = []

    def flush() -> None:
        if not buffer:
            return
        text = collapse_spaces("".join(buffer))
        buffer.clear()
        if text:
            paragraph_tag = next((t for t in reversed(tag_stack) if t in PARAGRAPH_TAGS), "p")
            blocks.append((paragraph_tag, text))

    for event, node in etree.iterwalk(element, events=WALK_EVENTS):
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in BLOCK_TAGS
        if event == "start" and tag:
            if tag == "br":
                buffer.append(" ")
            if block:
                flush()
                tag_stack.append(tag)
            if node.text:
                buffer.append(node.text)
            continue
        if block:
            flush()
            tag_stack.pop()
        if node.tail and node is not element:
            buffer.append(node.tail)
    flush()
    return iter(blocks)
