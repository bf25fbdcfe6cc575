"""One item per canonical URL within a run (an article reached by two URLs, e.g. the
permalink and the ?p=ID shortlink, is stored once)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from ingest.items import ArticleItem
from pipelines.base import ArticlePipeline


class DedupePipeline(ArticlePipeline):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.seen: set[int] = set()  # hash(canonical_url): a quarter of the string's memory

    def process_article(self, item: ArticleItem) -> ArticleItem:
        url = ItemAdapter(item)["canonical_url"]
        key = hash(url)
        if key in self.seen:
            self.stats.inc_value("dedupe/dropped")
            raise DropItem(f"duplicate in this run: {url}")
        self.seen.add(key)
        return item
