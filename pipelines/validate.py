"""Drop items that are not articles (no title or no body), counting each reason."""

from __future__ import annotations

import re
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from ingest.items import ArticleItem
from pipelines.base import ArticlePipeline

WORD = re.compile(r"\w+")


class ValidatePipeline(ArticlePipeline):
    """Also caps oversized text (a runaway page would exceed MongoDB's 16 MB document
    limit): such fields are cut at INGEST_MAX_FIELD_CHARS and counted."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.min_body_words = self.settings.getint("INGEST_MIN_BODY_WORDS")
        self.max_field_chars = self.settings.getint("INGEST_MAX_FIELD_CHARS")

    def process_article(self, item: ArticleItem) -> ArticleItem:
        adapter = ItemAdapter(item)
        for name in ("body", "body_html", "title", "lead"):
            value = adapter.get(name)
            if isinstance(value, str) and len(value) > self.max_field_chars:
                adapter[name] = value[: self.max_field_chars]
                self.stats.inc_value(f"validate/truncated/{name}")
        words = len(WORD.findall(adapter.get("body") or ""))
        adapter["word_count"] = words
        if not adapter.get("title"):
            self._drop("missing_title", adapter)
        if words == 0:
            self._drop("missing_body", adapter)
        if words < self.min_body_words:
            self._drop("short_body", adapter)
        if not adapter.get("canonical_url"):
            self._drop("missing_url", adapter)
        self.stats.inc_value("validate/passed")
        return item

    def _drop(self, reason: str, adapter: ItemAdapter) -> None:
        self.stats.inc_value(f"validate/dropped/{reason}")
        raise DropItem(f"{reason}: {adapter.get('url')}")
