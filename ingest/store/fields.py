"""The fields of an article document, for the writer, the read side and the counts."""

from __future__ import annotations

from typing import Any

# Every field an article document may hold, in the order docs/schema.md lists them.
ARTICLE_FIELDS = (
    "url", "canonical_url", "site", "source_id", "title", "body", "body_html", "lead",
    "captions", "authors", "categories", "listed_in", "tags", "language", "published_at",
    "published_local", "published_zone", "published_ms", "published_local_ms", "published_month",
    "modified_at", "date_source", "word_count", "etag",
    "last_modified", "crawl_id", "content_hash", "revision", "first_seen_at", "last_seen_at",
    "last_changed_at",
)


def holds_value(value: Any) -> bool:
    """A non-empty list, or anything but null and the empty string (what field coverage
    counts as filled)."""
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "")
