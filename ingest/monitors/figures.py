"""A run's extraction figures, accumulated article by article: how often each field was
filled (a publication date counts when the page states it, not when it was guessed), the median body length, and how many bodies and titles are near-identical across the
run's articles (a cookie banner or the site name extracted instead of the article)."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

# stored field -> its name in findings
FIELDS: dict[str, str] = {"title": "title", "body": "body", "published_at": "published date",
                          "captions": "captions", "authors": "authors"}
# Dates the extractor only guessed: htmldate's page-wide search, a URL giving year and month.
GUESSED_DATE_SOURCES = frozenset({"heuristic"})
FINGERPRINT_WORDS = 40
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def text_fingerprint(text: str, words: int = FINGERPRINT_WORDS) -> int:
    """Equal for texts that open with the same words, whatever their case, punctuation and
    numbers (a banner with a date in it, a title with an article number)."""
    head = unicodedata.normalize("NFKC", text[: words * 12]).casefold()
    return hash(" ".join(_NOT_LETTERS.sub(" ", head).split()[:words]))


def date_guessed(article: Mapping[str, Any]) -> bool:
    source = article.get("date_source")
    return source in GUESSED_DATE_SOURCES or (source == "url" and len(article.get("published_raw") or "") < 10)


class RunFigures:
    """Figures of the articles one run extracted (stored or dropped as invalid)."""

    def __init__(self, min_copies: int = 3) -> None:
        self.min_copies = min_copies
        self.articles = 0
        self.filled: Counter[str] = Counter()
        self.body_chars: list[int] = []
        self.body_prints: Counter[int] = Counter()
        self.title_prints: Counter[int] = Counter()

    def add(self, article: Mapping[str, Any]) -> None:
        self.articles += 1
        for field in FIELDS:
            if article.get(field):
                self.filled[field] += 1
        if article.get("published_at") and date_guessed(article):
            self.filled["published_at"] -= 1
        body = article.get("body") or ""
        if body:
            self.body_chars.append(len(body))
            self.body_prints[text_fingerprint(body)] += 1
        title = article.get("title") or ""
        if title:
            self.title_prints[text_fingerprint(title)] += 1

    def repeated(self, prints: Counter[int]) -> int:
        """Articles sharing their fingerprint with at least min_copies - 1 others."""
        return sum(n for n in prints.values() if n >= self.min_copies)

    def as_stats(self) -> dict[str, int]:
        """Crawl stats (and so the run record's stats) under quality/."""
        stats = {"quality/articles": self.articles,
                 "quality/body_chars_median": int(statistics.median(self.body_chars))
                 if self.body_chars else 0,
                 "quality/boilerplate_bodies": self.repeated(self.body_prints),
                 "quality/repeated_titles": self.repeated(self.title_prints)}
        stats.update({f"quality/filled/{field}": self.filled[field] for field in FIELDS})
        return stats


def run_figures(stats: Mapping[str, Any], duration: float | None = None) -> dict[str, Any]:
    """What the monitors compare, from a run's final stats."""
    dropped = {key.rsplit("/", 1)[-1]: value for key, value in stats.items()
               if key.startswith("validate/dropped/")}
    return {
        "articles": stats.get("quality/articles", 0),
        "filled": {field: stats.get(f"quality/filled/{field}", 0) for field in FIELDS},
        "body_chars_median": stats.get("quality/body_chars_median", 0),
        "boilerplate_bodies": stats.get("quality/boilerplate_bodies", 0),
        "repeated_titles": stats.get("quality/repeated_titles", 0),
        "new": stats.get("mongo/new", 0),
        "changed": stats.get("mongo/changed", 0),
        "unchanged": stats.get("mongo/unchanged", 0),
        "dead_lettered": stats.get("mongo/dead_lettered", 0),
        "requests": stats.get("downloader/request_count", 0),
        "errors": stats.get("fetch/errors", 0) + stats.get("extract/failed", 0),
        "dropped": dropped,
        "invalid": sum(dropped.values()),
        "violations": {key.removeprefix("validate/schema/"): value for key, value in stats.items()
                       if key.startswith("validate/schema/")},
        "finish_reason": stats.get("finish_reason"),
        "duration_s": round(duration, 3) if duration is not None else None,
    }
