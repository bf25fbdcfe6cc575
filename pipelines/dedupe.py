"""One item per canonical URL within a run (an article reached by two URLs, e.g. the
permalink and the ?p=ID shortlink, is stored once)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from ingest.items import ArticleItem


class DedupePipeline:
    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        key = ItemAdapter(item)["canonical_url"]
        if key in self.seen:
            self.stats.inc_value("dedupe/dropped")
            raise DropItem(f"duplicate in this run: {key}")
        self.seen.add(key)
        return item
