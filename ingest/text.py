"""Text clean-up shared by the extractor and the normalize pipeline."""

from __future__ import annotations

import html
import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

# Invisible characters that leak from CMS editors. Not ZWNJ/ZWJ (U+200C/U+200D): Persian
# spelling and emoji sequences need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def collapse_spaces(text: str) -> str:
    """One line of visible text: invisible characters dropped, any whitespace run (whatever
    str.isspace() accepts: ASCII, no-break and every Unicode space separator) -> one space.
    split/join is twice as fast as a regex on multi-megabyte text nodes."""
    return " ".join(_INVISIBLE.sub("", text).split())


# Scripts written without spaces between words: Han, Hiragana, Katakana (Thai has no
# word marks either, but no fixed length of word to count by).
_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Characters of those scripts in a word, on average (Chinese about 1.5, Japanese more).
UNSPACED_WORD_CHARS = 2


def word_count(text: str) -> int:
    """Words in a text: the runs between spaces, and in scripts written without spaces
    (Chinese, Japanese) one word for every two of their characters, so that a paragraph of
    Chinese counts as the sentence it is rather than as one word."""
    words = len(text.split())
    if text.isascii():
        return words
    return words + len(_UNSPACED.findall(text)) // UNSPACED_WORD_CHARS


def normalize_text(text: str) -> str:
    """NFC, left-over HTML entities decoded, control and invisible characters removed,
    whitespace collapsed inside lines while paragraph breaks ("\\n\\n") are kept."""
    if _ENTITY.search(text):
        text = html.unescape(text)
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    paragraphs = (collapse_spaces(p) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


@lru_cache(maxsize=4096)
def fold_for_comparison(text: str) -> str:
    """A loose key for near-duplicate detection: case, punctuation, quotes and trailing
    numbers do not count (a caption and its image's alt text often differ only by those)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    text = re.sub(r"(\s\d{1,3})+\s*$", "", text.strip())
    return text.strip()


def near_duplicate(a: str, b: str, threshold: float = 0.9) -> bool:
    """True when two short texts say the same thing up to small edits."""
    if max(len(a), len(b)) > 3 * min(len(a), len(b)) + 20:
        return False  # folding cannot bring lengths this different close enough
    fa, fb = fold_for_comparison(a), fold_for_comparison(b)
    if not fa or not fb:
        return False
    if fa == fb:
        return True
    if (fa in fb or fb in fa) and min(len(fa), len(fb)) > 0.8 * max(len(fa), len(fb)):
        return True
    if 2 * min(len(fa), len(fb)) / (len(fa) + len(fb)) < threshold:
        return False  # the best ratio lengths this different could reach
    matcher = SequenceMatcher(None, fa, fb, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
