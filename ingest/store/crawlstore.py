"""The crawl's store: one MongoDB client for the whole crawl, an extension built from the
crawler's settings, that the spider (which stored articles to skip), the Mongo pipeline
(writes, the run record) and the shared scheduler (categories of duplicate links, leases)
all use, found with `crawler.get_extension(CrawlStore)`.

It numbers the articles the pipeline accepts (`accepted`); the pipeline sends the signal
`articles_durable` (argument `upto`) once every article numbered below `upto` is written
or dead-lettered: the shared scheduler releases a request's lease only then."""

from __future__ import annotations

from typing import Any

from pymongo import WriteConcern
from pymongo.database import Database
from scrapy import signals
from scrapy.exceptions import NotConfigured

from ingest.store.client import StoreClient, connect
from ingest.store.crawlstate import ended_unclean, known_articles, last_run

# Sent by pipelines.mongo.MongoPipeline with `upto`: articles 0..upto-1 are durable.
articles_durable = object()


def write_concern(settings: Any) -> WriteConcern:
    """MONGO_WRITE_CONCERN and MONGO_JOURNAL (None: the server's defaults)."""
    w = settings.get("MONGO_WRITE_CONCERN")
    journal = settings.get("MONGO_JOURNAL")
    return WriteConcern(w=int(w) if str(w).isdigit() else w or None,
                        j=settings.getbool("MONGO_JOURNAL") if journal is not None else None)


class CrawlStore:
    def __init__(self, uri: str, database: str, dialect: str = "auto",
                 concern: WriteConcern | None = None) -> None:
        self.uri = uri
        self.client: StoreClient = connect(uri, dialect)
        self.db: Database = self.client.get_database(database, write_concern=concern or WriteConcern())
        self.accepted = 0  # articles handed to the store so far

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlStore:
        settings = crawler.settings
        uri = settings.get("MONGO_URI")
        if not uri:
            raise NotConfigured("MONGO_URI is not set")
        store = cls(uri, settings.get("MONGO_DATABASE"), settings.get("INGEST_STORE_DIALECT"),
                    write_concern(settings))
        # After spider_closed, whose handlers (the run record) still write.
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
        return store

    def known_articles(self, site: str) -> dict[str, dict[str, Any]]:
        """The site's stored articles by URL and canonical URL (ingest.store.queries)."""
        return known_articles(self.db, site)

    def previous_run_unclean(self, site: str, crawl_id: str) -> bool:
        """Whether the site's last run before `crawl_id` did not finish cleanly."""
        return ended_unclean(last_run(self.db, site, excluding=crawl_id))

    def close(self) -> None:
        self.client.close()
