"""The article body: find its container, strip what is not the article, read its blocks."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

from ingest.dates import parse_datetime
from ingest.extract import selectors
from ingest.extract.html import HtmlElement, inside_any, iter_blocks, page_class_names, select
from ingest.extract.maincontent import MAIN_SHARE, is_prose, main_content, prose_words
from ingest.text import collapse_spaces, near_duplicate, word_count

SANITIZER = Cleaner(
    scripts=True, javascript=True, comments=True, style=True, inline_style=True, links=True,
    meta=True, page_structure=True, processing_instructions=True, embedded=True, frames=True,
    forms=True, annoying_tags=True, remove_unknown_tags=False, safe_attrs_only=True,
    safe_attrs=frozenset({"href", "title", "alt"}),
    allow_tags={"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
                "a", "strong", "em", "b", "i", "u", "sub", "sup", "br", "code", "table",
                "thead", "tbody", "tr", "td", "th", "div"},
)


MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?")
STANDALONE_DATE = re.compile(
    rf"\b(?:{MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\b"
    r"|\b\d{1,2}:\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:utc|gmt|[ecmp][sd]t)\b",
    re.I,
)


# A Gregorian or Solar Hijri year in any digits: cheap gate before asking dateparser.
YEAR = re.compile(r"(?:19|20|13|14)\d\d|[۱١][۳۴٣٤][۰-۹٠-٩]{2}|[۲٢][۰٠][۰-۹٠-٩]{2}")


@dataclass
class Body:
    paragraphs: list[str]
    html: str

    @property
    def word_count(self) -> int:
        return sum(word_count(p) for p in self.paragraphs)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def find_body_container(scope: HtmlElement, excluded: set[HtmlElement],
                        body_selectors: tuple[str, ...] = ()) -> HtmlElement | None:
    """The element a known theme keeps the article text in, if the page has one."""
    for selector in body_selectors + selectors.BODY:
        candidates = [e for e in select(scope, selector) if not inside_any(e, excluded)]
        if len(candidates) > 1:
            outermost = [e for e in candidates if not any(a in candidates for a in e.iterancestors())]
            if len(outermost) > 1 and all(e.tag == "p" for e in outermost):
                return _joined(outermost)
        if candidates:
            best = max(candidates, key=_paragraph_weight)
            parts = _continuations(best, excluded)
            return _joined(parts) if len(parts) > 1 else best
    return None


def _continuations(container: HtmlElement, excluded: set[HtmlElement]) -> list[HtmlElement]:
    """The container and its siblings of the same tag whose classes are among its own and
    name a body ("article_body"), in page order: an article that an ad or a pull quote
    splits into two boxes of one kind. Layout classes ("main-wrapper") do not count."""
    parent = container.getparent()
    classes = set((container.get("class") or "").split())
    if parent is None or not classes:
        return [container]

    def continues(element: HtmlElement) -> bool:
        own = set((element.get("class") or "").split())
        return (element.tag == container.tag and bool(own) and own <= classes
                and any(BODY_CLASS.search(name) for name in own) and element not in excluded)

    return [e for e in parent if e is container or continues(e)]


BODY_CLASS = re.compile(r"body|text|content|story|article", re.I)


def _joined(elements: list[HtmlElement]) -> HtmlElement:
    """One container holding copies of the parts of an article body that a theme splits
    (itemprop=articleBody on each <p>, boxes of one class around an ad)."""
    wrapper = lxml.html.Element("div")
    for element in elements:
        part = copy.deepcopy(element)
        part.tail = None
        wrapper.append(part)
    return wrapper


def generic_body(root: HtmlElement, captions: list[dict], title: str | None = None,
                 scope: HtmlElement | None = None, trafilatura: bool = True) -> Body:
    """Main-content extraction for pages of unknown structure (see _main_text), minus
    caption lines, page furniture and the readers' comments. trafilatura: whether its
    full mode may answer where main_content's answer is deficient."""
    links = _links_by_text(root)
    text, box = _main_text(root, links, trafilatura)
    caption_texts = [c["text"] for c in captions] + [c["alt"] for c in captions if c["alt"]]
    noise = page_noise(root, scope, box)
    lines = [LIST_MARK.sub("", collapse_spaces(raw)) for raw in text.split("\n")]
    if box is None:
        lines = _as_page_blocks(root, lines, links)
    lines = [line for line in lines
             if line
             and line not in links
             and not any(near_duplicate(line, caption) for caption in caption_texts)
             and not is_boilerplate_line(line, title)]
    lines = _before_comments(lines)
    boxes = _boxes_not_holding(list(noise), lines)
    paragraphs = _without_noise(lines, boxes, root, [e for box in boxes for e in noise[box]])
    html = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return Body(paragraphs, f"<div>{html}</div>" if html else "")


def _as_page_blocks(root: HtmlElement, lines: list[str], links: dict[str, list[HtmlElement]]
                    ) -> list[str]:
    """trafilatura's lines as the page's own blocks: table rows split into their cells,
    Persian words given back the zero-width joiners it drops, sentences it broke at their
    links put back together."""
    if any(line.startswith("|") for line in lines):
        lines = _table_cells_as_blocks(root, lines)
    if any(ARABIC_SCRIPT.search(line) for line in lines):
        page_text = {_without_joiners(block): block for _tag, block in iter_blocks(root)}
        lines = [page_text.get(_without_joiners(line), line) for line in lines]
    return _rejoin_inline_links([line for line in lines if line], links)


TABLE_CELL = re.compile(r"(?<!\\)\|")


def _table_cells_as_blocks(root: HtmlElement, lines: list[str]) -> list[str]:
    """Table rows as trafilatura writes them ("| a | b |") as the page's own blocks: on
    pages laid out in tables a row holds the menu cell beside the article cell, and a
    cell's paragraphs come out as one line."""
    blocks = [block for _tag, block in iter_blocks(root)]
    starts: dict[str, list[int]] = {}
    for index, block in enumerate(blocks):
        starts.setdefault(block, []).append(index)
    result: list[str] = []
    for line in lines:
        if not line.startswith("|"):
            result.append(line)
            continue
        for cell in TABLE_CELL.split(line):
            cell = collapse_spaces(cell.replace("\\|", "|"))
            if cell:
                result.extend(_split_into_blocks(cell, blocks, starts))
    return result


def _split_into_blocks(text: str, blocks: list[str], starts: dict[str, list[int]]) -> list[str]:
    """text as the run of consecutive page blocks it is made of, or as itself."""
    for first_block in (b for b in starts if text.startswith(b) and len(b) < len(text)):
        for index in starts[first_block]:
            run, length = [], 0
            while index < len(blocks) and length < len(text):
                run.append(blocks[index])
                length = len(" ".join(run))
                index += 1
            if " ".join(run) == text:
                return run
    return [text]


COMMENTS_HEADING = re.compile(
    r"(?:\d+|no|one)?\s*(?:reader\s+|user\s+)?(?:comments?|responses?|replies|reactions)"
    r"(?:\s*\(\d+\)|\s+(?:yet|so far))?[.:]?"
    r"|(?:leave|post|add|write)\s+a\s+(?:comment|reply|response)", re.I)


def _before_comments(lines: list[str]) -> list[str]:
    """The lines before a heading that opens the readers' comments ("Comments", "12
    Responses", "Leave a reply"), where most of the prose comes before it: what follows
    is the discussion, which an extractor that does not know the theme's comment markup
    takes for more article. A heading above the article (a link to the comments beside
    the byline, with more prose below it than words above) cuts nothing."""
    for index, line in enumerate(lines):
        if COMMENTS_HEADING.fullmatch(line):
            before = sum(word_count(line) for line in lines[:index])
            after = prose_words(lines[index + 1:])
            if before and before >= after:
                return lines[:index]
    return lines


def _links_by_text(root: HtmlElement) -> dict[str, list[HtmlElement]]:
    """The page's links by their text: a line that is one whole link is a menu entry or a
    teaser, not article text (unless it is a fragment of a sentence, see
    _rejoin_inline_links)."""
    links: dict[str, list[HtmlElement]] = {}
    for a in root.iter("a"):
        if text := collapse_spaces(a.text_content()):
            links.setdefault(text, []).append(a)
    return links


SENTENCE_END = re.compile(r"[.!?:…\"”»)]$")
CONTINUES = re.compile(r"^[\w,;.)’”»]")


def _rejoin_inline_links(lines: list[str], links: dict[str, list[HtmlElement]]) -> list[str]:
    """Lines put back together where the extractor broke a sentence at its links (text
    sitting loose in a <div> comes out one line per text node): a line that is one whole
    link joins its neighbours when the page has that link inside running text, the words
    right before it ending the previous line mid-sentence, or the words right after it
    starting the next line. Menu links, separated by bars or nothing, stay apart."""
    result: list[str] = []
    glue_next = False
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        previous = result[-1] if result else ""
        inline = line in links and _inside_sentence(links[line], previous, following)
        if result and (inline or glue_next):
            result[-1] = _glued(result[-1], line)
        else:
            result.append(line)
        glue_next = inline and bool(following)
    return result


def _inside_sentence(anchors: list[HtmlElement], previous: str, following: str) -> bool:
    """Whether one of these links sits in running text: words without a full stop right
    before it that end the previous line, or words right after it that begin the next."""
    for a in anchors:
        before = a.getprevious().tail if a.getprevious() is not None else a.getparent().text
        before = collapse_spaces(before or "")[-30:]
        after = collapse_spaces(a.tail or "")[:30]
        if (WORD.search(before) and previous.endswith(before)
                and not SENTENCE_END.search(before)):
            return True
        if WORD.search(after) and CONTINUES.match(after) and following.startswith(after):
            return True
    return False


def _glued(left: str, right: str) -> str:
    return left + right if right[:1] in ",.;:!?)’”»" else f"{left} {right}"


def _main_text(root: HtmlElement, links: dict[str, list[HtmlElement]], trafilatura: bool = True
               ) -> tuple[str, HtmlElement | None]:
    """The page's main text, and the box holding it: found by main_content, or by
    trafilatura's full mode (which weighs readability's and jusText's answers too; no box)
    where main_content finds nothing, no line of prose (a fixtures table, a link list),
    mostly whole links (a menu taken in), or a short text on a page laid out in tables."""
    found = main_content(root)
    text = "\n".join(found.lines)
    if not trafilatura:
        return text, found.box
    if (found.box is None or not any(is_prose(line) for line in found.lines)
            or (len(text) < SHORT_TEXT and _laid_out_in_tables(root))):
        return _trafilatura_text(root) or "", None
    if _mostly_menu(text, links):
        return _trafilatura_text(root) or text, None
    return text, found.box


def _trafilatura_text(root: HtmlElement) -> str | None:
    """trafilatura's text without comments, in its full mode."""
    import trafilatura

    return trafilatura.extract(root, options=_trafilatura_options())


def _mostly_menu(text: str, links: dict[str, list[HtmlElement]]) -> bool:
    """A main text whose lines are more often whole links (menus, headline lists) than
    not: the page's navigation taken in, which the full mode cleans."""
    lines = [line for raw in text.split("\n") if (line := collapse_spaces(raw))]
    if len(lines) < MENU_LINES:
        return False
    return 2 * sum(line in links for line in lines) > len(lines)


MENU_LINES = 10


@lru_cache(maxsize=1)
def _trafilatura_options() -> Any:
    """trafilatura's settings for its full pass (text without comments), built once:
    building them reads its configuration on every call otherwise."""
    from trafilatura.settings import Extractor

    return Extractor(output_format="txt", fast=False, comments=False)


_laid_out_in_tables = etree.XPath("count(//table) > count(//p)")


# A main text shorter than this (characters) on a page laid out in tables goes to trafilatura.
SHORT_TEXT = 500


# A theme container holding less than this is probably not the article (a teaser, an
# empty wrapper): the generic extractor gets a say.
MIN_THEME_BODY_WORDS = 60
# A single paragraph of prose the container lacks this long is an article, not a bio box.
ARTICLE_PARAGRAPH_WORDS = 200


def theme_body_in_doubt(body: Body) -> bool:
    """A theme container's text worth a second opinion from the generic extractor: short
    (a teaser, an empty wrapper, a photo post), or mostly not prose (image stubs, labels)."""
    words = body.word_count
    return words < MIN_THEME_BODY_WORDS or 2 * prose_words(body.paragraphs) < words


def generic_holds_article(theme: Body, generic: Body, outside: list[str]) -> bool:
    """Whether the generic extraction found the article where the theme container holds
    something else or only part of it: it has more prose that the container lacks than the
    container has, in at least two paragraphs (or one long one), not counting text from
    regions that are never the article (outside: sidebars, widgets, related lists). A
    longer answer alone is no reason: beside a short post it is often comments forms,
    "previous/next" links or an author box."""
    if not theme.paragraphs:
        return True
    own = _shingles(" ".join(theme.paragraphs))
    lacking = [p for p in generic.paragraphs
               if is_prose(p) and not _mostly_within(p, own)
               and not any(p in region for region in outside)]
    words = sum(word_count(p) for p in lacking)
    return (words > prose_words(theme.paragraphs)
            and (len(lacking) >= 2 or words >= ARTICLE_PARAGRAPH_WORDS))


WORD = re.compile(r"\w+")


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def _mostly_within(paragraph: str, shingles: set[tuple[str, ...]]) -> bool:
    """Most of the paragraph's four-word runs occur in the other text (the same paragraph
    split or joined differently)."""
    own = _shingles(paragraph)
    return bool(own) and 2 * len(own & shingles) >= len(own)


def _without_noise(lines: list[str], boxes: list[str], root: HtmlElement,
                   elements: list[HtmlElement]) -> list[str]:
    """The lines not found in a noise box, and the prose lines that are but that the page
    shows outside every noise box too: an article paragraph a reader's comment quotes."""
    if not boxes:
        return lines
    outside: str | None = None
    kept = []
    for line in lines:
        if any(line in box for box in boxes):
            if not is_prose(line):
                continue
            if outside is None:
                outside = _text_outside(root, set(elements))
            if line not in outside:
                continue
        kept.append(line)
    return kept


def _text_outside(root: HtmlElement, skipped: set[HtmlElement]) -> str:
    """The page's visible text outside the skipped elements."""
    body = root.find("body")
    parts: list[str] = []
    stack: list[HtmlElement | str] = [body if body is not None else root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if item.text and item.tag not in INVISIBLE:
            parts.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            if isinstance(child.tag, str) and child not in skipped:
                stack.append(child)
    return collapse_spaces("".join(parts))


INVISIBLE = {"script", "style", "noscript", "template"}


def _boxes_not_holding(boxes: list[str], lines: list[str]) -> list[str]:
    """The noise boxes that do not hold most of the text: a box marked as noise that holds
    the bulk of what the extractor found (a blog widget, a lightbox, a header wrapping the
    whole post) is where the article is, not noise beside it; and boxes that together
    would take most of it (bylines left open around the paragraphs) are not trusted. Shares
    are of the prose lines: a sidebar list of many short lines (archive months, tags) that
    the extractor took in is noise however much of its answer it makes up."""
    prose = [line for line in lines if is_prose(line)] or lines
    total = sum(len(line) for line in prose)
    boxes = [box for box in boxes
             if sum(len(line) for line in prose if line in box) < MAIN_SHARE * total]
    removed = sum(len(line) for line in prose if any(line in box for box in boxes))
    return boxes if removed < MAIN_SHARE * total else []


def _paragraph_weight(element: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


class _NoiseMatcher:
    """NOISE_BOXES matched in one pass over the tree: class fragments as one regex, class
    names as a set, the few other selectors by CSS. Dozens of [class*=...] selectors as
    XPath cost a full scan each."""

    def __init__(self, boxes: tuple[str, ...]) -> None:
        fragment, token = re.compile(r"^\[class\*='([^']+)'\]$"), re.compile(r"^\.([\w-]+)$")
        self.fragment_list = tuple(m.group(1) for b in boxes if (m := fragment.match(b)))
        self.fragments = _alternatives(self.fragment_list)
        self.tokens = {m.group(1) for b in boxes if (m := token.match(b))}
        self.others = ", ".join(b for b in boxes if not fragment.match(b) and not token.match(b))
        # The page whose class names _on_page last read, and its answer: a page is matched
        # several times (its container, its noise boxes), and the answer scans every fragment.
        self._last: tuple[set[str], tuple[re.Pattern[str] | None, set[str]]] | None = None
        self._lower_fragments = tuple((f, f.lower()) for f in self.fragment_list)
        self._lower_tokens = tuple((t, t.lower()) for t in self.tokens)

    def __call__(self, element: HtmlElement) -> list[HtmlElement]:
        fragments, tokens = self._on_page()
        found = []
        if fragments is not None or tokens:
            for node in element.iter():
                classes = node.get("class") if isinstance(node.tag, str) else None
                if classes and ((fragments is not None and fragments.search(classes))
                                or not tokens.isdisjoint(classes.split())):
                    found.append(node)
        return found + (select(element, self.others) if self.others else [])

    def _on_page(self) -> tuple[re.Pattern[str] | None, set[str]]:
        """The fragments and class names that occur in the page's class names (all of
        them outside attribute_index): a fragment cannot match a class value whose page
        lacks it, and the regex of the few present is much cheaper to run on every class."""
        names = page_class_names()
        if names is None:
            return self.fragments, self.tokens
        last = self._last
        if last is not None and last[0] is names:
            return last[1]
        joined = "\n".join(names)
        present = tuple(f for f, lower in self._lower_fragments if lower in joined)
        tokens = {t for t, lower in self._lower_tokens if lower in names}
        answer = (_alternatives(present) if present else None), tokens
        self._last = (names, answer)
        return answer


@lru_cache(maxsize=256)
def _alternatives(fragments: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(f) for f in fragments))


noise_boxes = _NoiseMatcher(selectors.NOISE_BOXES)
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def _without_joiners(text: str) -> str:
    return text.replace("\u200c", "").replace("\u200d", "")


LIST_MARK = re.compile(r"^[-•*]\s+")
MAX_NOISE_BOX = 3000


def page_noise(root: HtmlElement, scope: HtmlElement | None = None,
               main: HtmlElement | None = None) -> dict[str, list[HtmlElement]]:
    """Texts of the boxes the page itself marks as not the article (share, related, ads,
    bylines, "most read"...), with the boxes holding each, for filtering a generic
    extractor's lines. Big boxes are left out: a class name like "hidden-xs" on a wrapper
    must not take the article with it, nor can the boxes around the article's scope or
    around the main content found (a Blogger post's "widget")."""
    elements = noise_boxes(root) + list(root.iter("footer", "nav", "aside", "header", "address", "amp-ad"))
    around = {a for box in (scope, main) if box is not None for a in (box, *box.iterancestors())}
    if around:
        elements = [e for e in elements if e not in around]
    boxes: dict[str, list[HtmlElement]] = {}
    for element in elements:
        text = collapse_spaces(element.text_content())
        if text and len(text) <= MAX_NOISE_BOX:
            boxes.setdefault(text, []).append(element)
    return boxes


def strip_noise(container: HtmlElement, noise_selectors: tuple[str, ...] = ()) -> HtmlElement:
    """A copy of the container without scripts, captions, share boxes, related posts..."""
    clone = copy.deepcopy(container)
    clone.tail = None
    found = list(clone.iter(*selectors.NON_TEXT)) + noise_boxes(clone)
    if noise_selectors:
        found += select(clone, ", ".join(noise_selectors))
    for element in found:
        if element is not clone and element.getparent() is not None:
            element.drop_tree()
    for element in list(clone.iter("li", "p", "div", "section", "ul")):
        if element is not clone and element.getparent() is not None and _mostly_links(element):
            element.drop_tree()
    return clone


def _mostly_links(element: HtmlElement) -> bool:
    """Lists of other stories: blocks whose text is nearly all link text."""
    if element.find(".//a") is None:
        return False
    text = collapse_spaces(element.text_content())
    if not text:
        return False
    linked = sum(len(collapse_spaces(a.text_content())) for a in element.iter("a"))
    return linked >= 0.8 * len(text)


def is_boilerplate_line(text: str, title: str | None) -> bool:
    """Lines themes put inside the article container: the headline again, a bare URL,
    a dateline or timestamp on its own."""
    if title and near_duplicate(text, title):
        return True
    if re.fullmatch(r"https?://\S+", text):
        return True
    words = word_count(text)
    if words <= 12 and STANDALONE_DATE.search(text):
        return True
    # a dateline in any language: a few words that are all a date
    return words <= 6 and bool(YEAR.search(text)) and parse_datetime(text) is not None


def extract_body(container: HtmlElement, captions: list[dict], title: str | None = None,
                 noise_selectors: tuple[str, ...] = ()) -> Body:
    cleaned = strip_noise(container, noise_selectors)
    caption_texts = [c["text"] for c in captions] + [c["alt"] for c in captions if c["alt"]]
    paragraphs = [
        text for _tag, text in iter_blocks(cleaned)
        if not any(near_duplicate(text, caption) for caption in caption_texts)
        and not is_boilerplate_line(text, title)
    ]
    return Body(paragraphs, sanitized_html(cleaned) if paragraphs else "")


def sanitized_html(element: HtmlElement) -> str:
    """Body markup safe to show: structure, links and emphasis only; no script, style,
    event handler or unknown attribute survives. The element is cleaned in place (the
    Cleaner's clean_html would copy it first): extract_body hands over its own copy."""
    SANITIZER(element)
    element.tag = "div"
    element.attrib.clear()
    return lxml.html.tostring(element, encoding="unicode").strip()
