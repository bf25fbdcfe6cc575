"""The main content of a page of unknown structure, found in one walk of its tree.

Every run of text a browser shows as its own block is weighed: prose counts for the
element holding it, link text counts against it. The element whose subtree weighs most
is the article's box (a maximum-weight subtree), and its blocks, less navigation, are the
text. Menus, sidebars and footers lose because their link text outweighs what little
prose they have; the article's own short lines (subheadings, a dateline) come along
because they sit inside the winning box. What ids and classes say tips the balance
(prose in a "sidebar" or "copyright" box weighs less, an "entry-content" box gets a
bonus) and takes out what the box holds beside the article (comments, an author box, a
byline), but never decides alone: a page whose names would leave nothing is read again
without them. Hidden elements are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from lxml import etree

from ingest.extract.html import BLOCK_TAGS, PARAGRAPH_TAGS, WALK_EVENTS, HtmlElement
from ingest.text import collapse_spaces, word_count

# Never shown as text, or controls rather than content.
SKIPPED_TAGS = frozenset(
    "script style noscript template iframe svg select option button input textarea label "
    "nav aside footer head object embed map area canvas video audio figcaption".split())
CONTAINER_TAGS = frozenset("div section ul ol li dl table tbody tr td article header".split())

# Boxes of readers' comments, by their id or class ("comments", "commentlist",
# "blogComments", "disqus_thread"), not flags on a post ("comments-open", "commentable").
COMMENTS_BOX = re.compile(
    r"comment(?!able|s?[-_]?(?:open|closed|count|link|number))|^respond$|disqus|trackback|pingback",
    re.I)
# Boxes whose id or class says they hold something beside the article; their prose does not
# make a box the article's unless the same name also says content ("sidebar" but not
# "content-with-sidebar").
BESIDE_ARTICLE = re.compile(
    r"footer|(?<![a-z])foot(?![a-z])|copyright|credit|profile|author|byline|sidebar|widget"
    r"|related|menu|navigation|navbar|masthead|sponsor|advert"
    r"|promo|share|social|breadcrumb|disclaimer|legal|popular|subscribe|newsletter|banner"
    r"|signup|login|rss|teaser|sitemap|skyscraper|pagination|pager|popup|cookie|tool|caption|gallery"
    r"|slideshow|carousel|meta|(?<![a-z])date(?!line)|(?<![a-z])time(?![a-z])|posted", re.I)
ARTICLE_NAME = re.compile(r"article|content|entry|main|post|story|body|text|column", re.I)
# What prose counts for in a box named as beside the article: names mislead often enough
# (Blogger keeps posts in a "widget") that they only tip the balance.
BESIDE_SHARE = 0.25
# A box named as beside the article is left out unless it holds this share of the article
# (then the name is wrong: Blogger's posts sit in a "widget").
MAIN_SHARE = 0.5
# A box holding this share of the heaviest box's weight is the article's box.
INNER_SHARE = 0.8
# What a box's own name adds to its weight when the box is chosen.
NAME_BONUS = 100.0
# Elements that can be the article's box: not one paragraph, heading or list item, which
# would leave the rest of the article behind when one of its paragraphs outweighs it.
BOX_TAGS = (BLOCK_TAGS | {"body"}) - frozenset(
    "p h1 h2 h3 h4 h5 h6 pre li dt dd th blockquote figcaption summary address hr".split())
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
HIDING_CLASSES = frozenset(
    "hidden is-hidden visually-hidden sr-only screen-reader-text d-none invisible".split())

# Words in a line of prose rather than a label or a link (or a list of them: fixtures).
PROSE_WORDS = 15
# A block with more of its text in links than this is navigation.
LINK_HEAVY = 0.5
# Characters of its own, beside its links, that make a list entry more than a link.
OWN_TEXT = 8
# Blocks shorter than this (in characters) weigh nothing either way unless they are links.
SHORT_BLOCK = 25


@dataclass
class Block:
    """One run of text shown as its own block, and the block element holding it."""

    text: str
    holder: HtmlElement
    link_chars: int
    in_comments: bool = False
    links: int = 0
    # Mostly text of inline elements named as a byline, a date or a share button.
    furniture: bool = False
    # The innermost box around it named as beside the article (or as comments), if any.
    beside: HtmlElement | None = None


@dataclass
class MainContent:
    """The box that holds the article, and its blocks worth keeping, in page order."""

    box: HtmlElement | None
    lines: list[str] = field(default_factory=list)


def block_weight(block: Block) -> float:
    """Prose counts by its unlinked characters, sentences by a bonus for each full stop
    and comma; link text counts against, so a menu's box loses to the article's."""
    length = len(block.text)
    linked = block.link_chars
    if linked > LINK_HEAVY * length or length < SHORT_BLOCK:
        return -float(linked)
    own = length - linked
    punctuation = block.text.count(",") + block.text.count(". ")
    return own + 10.0 * punctuation - 2.0 * linked


class _Walk:
    """One pass over the tree: blocks in page order, and each box's subtree weight,
    summed as its elements close."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.weights: dict[HtmlElement, float] = {}
        self.buffer: list[str] = []
        self.link_chars = 0
        self.link_depth = 0
        self.links = 0
        self.furniture_chars = 0
        self.furniture_depth = 0
        self.holders: list[HtmlElement] = []
        self.own: list[float] = []
        self.comments_depth = 0
        self.beside_boxes: list[HtmlElement] = []
        self.totals: list[float] = []
        self.use_names = True
        # Whether any name changed a weight: if none did, a walk without names is the same.
        self.names_mattered = False

    def flush(self) -> None:
        text = collapse_spaces("".join(self.buffer))
        self.buffer.clear()
        linked, self.link_chars = self.link_chars, 0
        furniture, self.furniture_chars = self.furniture_chars, 0
        links, self.links = self.links, 0
        if not text or not self.holders:
            return
        beside = self.beside_boxes[-1] if self.beside_boxes else None
        block = Block(text, self.holders[-1], link_chars=min(linked, len(text)),
                      in_comments=self.comments_depth > 0, links=links,
                      furniture=2 * furniture > len(text), beside=beside)
        self.blocks.append(block)
        weight = block_weight(block)
        if (block.in_comments or block.furniture) and weight > 0:
            weight = 0.0
            self.names_mattered = True
        elif beside is not None and weight > 0:
            weight *= BESIDE_SHARE
            self.names_mattered = True
        self.own[-1] += weight

    def text(self, value: str) -> None:
        """Text shown inside the current block."""
        self.buffer.append(value)
        if self.link_depth:
            self.link_chars += len(value.strip())
        if self.furniture_depth:
            self.furniture_chars += len(value.strip())

    def walk(self, start: HtmlElement) -> None:
        """Every element under start, in page order, walked by lxml (pages nest deeper than
        Python's recursion allows)."""
        walker = etree.iterwalk(start, events=WALK_EVENTS)
        opened: list[_Exit | None] = []
        for event, node in walker:
            if event == "start" and isinstance(node.tag, str):
                exit_ = self.enter(node)
                opened.append(exit_)
                if exit_ is None:
                    walker.skip_subtree()
                continue
            exit_ = opened.pop() if event == "end" else None
            if exit_ is not None:
                self.leave(exit_)
            if node.tail and node is not start:
                self.text(node.tail)

    def enter(self, node: HtmlElement) -> _Exit | None:
        """Open an element; None if it is not read (not shown, not text)."""
        tag = node.tag
        if tag in SKIPPED_TAGS or not isinstance(tag, str):
            return None
        get = node.get
        ident, classes, style = get("id"), get("class"), get("style")
        if ((style and HIDDEN_STYLE.search(style)) or get("hidden") is not None
                or get("aria-hidden") == "true"):
            return None
        names = _names(ident, classes) if ident or classes else None
        if names is not None and names.hiding:
            return None
        block = tag in BLOCK_TAGS or tag == "body"
        if block:
            if self.buffer:
                self.flush()
            self.holders.append(node)
            self.own.append(0.0)
        elif tag == "br":
            self.buffer.append(" ")
        link = tag == "a"
        if link:
            self.link_depth += 1
            self.links += 1
        comments = beside = furniture = False
        if self.use_names:
            if names is not None:
                if tag in CONTAINER_TAGS:
                    comments = names.comments
                    beside = names.hint < 0
                elif not block or tag in PARAGRAPH_TAGS:
                    # a line named as a date or byline is one ("article__date", "postmetadata")
                    furniture = names.names_beside
            furniture = furniture or tag == "time"
        self.furniture_depth += furniture
        self.comments_depth += comments
        if beside:
            self.beside_boxes.append(node)
        self.totals.append(0.0)
        if node.text:
            self.text(node.text)
        hint = names.hint if names is not None and self.use_names else 0
        return _Exit(node, block, link, furniture, comments, beside, hint)

    def leave(self, opened: _Exit) -> None:
        if opened.block and self.buffer:
            self.flush()
        if opened.link:
            self.link_depth -= 1
        self.furniture_depth -= opened.furniture
        self.comments_depth -= opened.comments
        if opened.beside:
            self.beside_boxes.pop()
        total = self.totals.pop()
        if opened.block:
            self.holders.pop()
            total += self.own.pop()
            if opened.node.tag in BOX_TAGS:
                self.weights[opened.node] = total + NAME_BONUS * opened.hint
                self.names_mattered = self.names_mattered or opened.hint != 0
        if self.totals:
            self.totals[-1] += total


class _Exit(NamedTuple):
    """An open element, and what closing it undoes."""

    node: HtmlElement
    block: bool
    link: bool
    furniture: bool
    comments: bool
    beside: bool
    hint: int


class _Names(NamedTuple):
    """What an element's id and class say about it."""

    hiding: bool  # a class that only hides ("hidden", "sr-only")
    comments: bool  # readers' comments
    hint: int  # +1 named as content ("story", "entry-content"), -1 as beside it, else 0
    names_beside: bool  # a name of something beside the article, whatever else it says


@lru_cache(maxsize=4096)
def _names(ident: str | None, classes: str | None) -> _Names:
    values = [value for value in (ident, classes) if value]
    name = " ".join(values)
    comments = any(COMMENTS_BOX.search(value) for value in values)
    beside = bool(BESIDE_ARTICLE.search(name))
    if comments:
        hint = -1
    else:
        hint = bool(ARTICLE_NAME.search(name)) - beside
    hiding = bool(classes) and not HIDING_CLASSES.isdisjoint(classes.split())
    return _Names(hiding, comments, hint, beside)


def main_content(root: HtmlElement) -> MainContent:
    """The page's main content: the blocks of the heaviest box, less link lists, bylines,
    comments and the boxes inside it named as something else."""
    body = root.find("body")
    start = body if body is not None else root
    walk = _Walk()
    walk.walk(start)
    box, weight = _heaviest(walk)
    if (box is None or weight <= 0) and walk.names_mattered:
        # the names mark every box as beside the article: the names are wrong
        walk = _Walk()
        walk.use_names = False
        walk.walk(start)
        box, weight = _heaviest(walk)
    if box is None or weight <= 0:
        return MainContent(None)
    inside = _descendant_blocks(box)
    blocks = [b for b in walk.blocks
              if b.holder in inside and not _navigation(b) and not b.furniture]
    dropped = {b.beside for b in blocks
               if b.beside is not None and b.beside is not box and b.beside in inside
               and walk.weights.get(b.beside, 0.0) < MAIN_SHARE * weight}
    if (prose_words(b.text for b in blocks if b.beside in dropped and not b.in_comments)
            > prose_words(b.text for b in blocks if b.beside not in dropped)):
        # the names are wrong (the article's paragraphs each in a "caption" box): only
        # the named boxes without prose go, and the comments
        with_prose = {b.beside for b in blocks
                      if b.beside in dropped and not b.in_comments and is_prose(b.text)}
        dropped -= with_prose
    lines = [b.text for b in blocks if b.beside not in dropped]
    return MainContent(box, lines)


def _heaviest(walk: _Walk) -> tuple[HtmlElement | None, float]:
    """The heaviest box, or the innermost box inside it holding nearly as much: the
    article's own box rather than the column that also holds its author box and a list
    of recommendations."""
    if not walk.weights:
        return None, 0.0
    box, weight = max(walk.weights.items(), key=lambda item: item[1])
    if weight <= 0:
        return box, weight
    heavy = [e for e in box.iter(*BOX_TAGS) if walk.weights.get(e, 0.0) >= INNER_SHARE * weight]
    innermost = heavy[-1]
    if all(e is innermost or e in innermost.iterancestors() for e in heavy):
        return innermost, walk.weights[innermost]
    return box, weight


def _navigation(block: Block) -> bool:
    """Mostly link text, and either several links (a menu, "Home | News | Sport") or one
    with hardly a word beside it; not an entry of a list with words of its own beside its
    link ("Bad news! - 16.2%")."""
    return (block.link_chars > LINK_HEAVY * len(block.text)
            and (block.links > 2 or len(block.text) - block.link_chars < OWN_TEXT))


def is_prose(line: str) -> bool:
    """Long enough to be a sentence of prose, not a label, a link or an image stub."""
    return word_count(line) >= PROSE_WORDS


def prose_words(paragraphs: Iterable[str]) -> int:
    """Words in paragraphs long enough to be prose, not labels, links or image stubs."""
    return sum(n for p in paragraphs if (n := word_count(p)) >= PROSE_WORDS)


def _descendant_blocks(box: HtmlElement) -> set[HtmlElement]:
    return {box, *box.iterdescendants(*BLOCK_TAGS)}
