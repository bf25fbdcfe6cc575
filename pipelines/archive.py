"""An article reaches the store only once the archived page it points to is on disk: the
store never points to a WARC record that a crash could lose."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter

from ingest.archive.middleware import WarcArchiveMiddleware
from ingest.items import ArticleItem

logger = logging.getLogger(__name__)


class ArchiveDurablePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveDurablePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        ref = adapter.get("archive")
        archive = self.crawler.get_downloader_middleware(WarcArchiveMiddleware)
        if not ref or archive is None:
            return item
        try:
            await archive.wait_durable(ref)
        except OSError as exc:
            self.stats.inc_value("archive/sync_errors")
            logger.error("the archived page of %s could not be synced to disk (%s); "
                         "stored without its archive pointer", adapter.get("url"), exc)
            adapter["archive"] = None
        return item
