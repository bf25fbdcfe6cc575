"""What every article pipeline shares: built from the crawler, counting in its stats, and
letting items other than articles (listing updates for the store) pass untouched."""

from __future__ import annotations

from typing import Any

from ingest.items import ArticleItem


class ArticlePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticlePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        return self.process_article(item)

    def process_article(self, item: ArticleItem) -> ArticleItem:
        raise NotImplementedError
