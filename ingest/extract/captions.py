"""Image captions: figure/figcaption and classic WordPress [caption] markup."""

from __future__ import annotations

from urllib.parse import urljoin

from ingest.extract import selectors
from ingest.extract.html import HtmlElement, first, inside_any, select, text_of
from ingest.text import collapse_spaces, near_duplicate

LAZY_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-orig-file", "data-srcset")


def image_url(img: HtmlElement, base_url: str) -> str | None:
    """The real image behind lazy-loading placeholders (data: URIs, 1x1 spacers)."""
    src = (img.get("src") or "").strip()
    if not src or src.startswith("data:"):
        src = next((img.get(a).strip() for a in LAZY_SRC_ATTRS if img.get(a)), "")
        src = src.split(",")[0].split()[0] if src else ""
    return urljoin(base_url, src) if src and not src.startswith("data:") else None


def _caption_parts(block: HtmlElement) -> tuple[str, str | None]:
    caption = first(block, selectors.CAPTION_TEXT)
    if caption is None:
        return "", None
    credit_element = first(caption, selectors.CREDIT)
    credit = text_of(credit_element) or None
    if credit_element is not None:
        credit_element.drop_tree()
    return text_of(caption), credit


def extract_captions(scope: HtmlElement, base_url: str, excluded: set[HtmlElement]) -> list[dict]:
    """One entry per captioned image in the article, outside sidebars and related-post lists.

    A caption repeated as the image's alt/title (often with small edits) stays one entry."""
    blocks = []
    for css in selectors.CAPTION_BLOCKS:
        blocks.extend(select(scope, css))
    blocks = [b for b in blocks if not inside_any(b, excluded)]
    # Outermost captioned block wins: a figure.wp-caption inside a div.wp-caption is one image.
    block_set = set(blocks)
    blocks = [b for b in blocks if not any(a in block_set for a in b.iterancestors())]
    if len(blocks) > 1:  # the order map walks the whole scope: only when there is an order
        order = {element: index for index, element in enumerate(scope.iter())}
        blocks.sort(key=order.__getitem__)

    captions: list[dict] = []
    for block in blocks:
        working = _copy(block)
        text, credit = _caption_parts(working)
        if not text:
            continue
        img = block.find(".//img")
        alt = collapse_spaces(img.get("alt") or "") or None if img is not None else None
        entry = {
            "text": text,
            "image_url": image_url(img, base_url) if img is not None else None,
            "alt": alt,
            "credit": credit,
        }
        if any(near_duplicate(entry["text"], c["text"]) and entry["image_url"] == c["image_url"]
               for c in captions):
            continue
        captions.append(entry)
    return captions


def _copy(element: HtmlElement) -> HtmlElement:
    import copy

    clone = copy.deepcopy(element)
    clone.tail = None
    return clone
