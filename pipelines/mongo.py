"""Store articles in MongoDB: buffered bulk upserts, retried through outages, never dropped
silently (what cannot be written ends in a dead-letter file), and one record per run. The
crawl's store component (ingest.store.crawlstore) holds the client; this pipeline sends its
signal articles_durable as batches settle."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bson.errors import InvalidDocument
from itemadapter import ItemAdapter
from pymongo.database import Database
from pymongo.errors import DocumentTooLarge, PyMongoError
from scrapy import Item, signals
from scrapy.exceptions import NotConfigured

from ingest.items import ListingUpdate
from ingest.store.articles import add_listings, backfill_published_keys, safe_keys, write_articles
from ingest.store.client import RUNS, ensure_indexes, redact_uri
from ingest.store.crawlstore import CrawlStore, articles_durable
from ingest.store.counts import ensure_counts

logger = logging.getLogger(__name__)


class MongoPipeline:
    def __init__(self, crawler: Any, store: CrawlStore, buffer_size: int, retry_seconds: float,
                 dead_letter_dir: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store
        self.buffer_size = max(1, buffer_size)
        self.retry_seconds = retry_seconds
        self.dead_letter_dir = Path(dead_letter_dir)
        self.buffer: list[dict[str, Any]] = []
        self.late_listings: dict[str, set[str]] = {}
        # Articles handed to the store but not yet written; above max_pending, new ones wait.
        self.in_flight = 0
        self.max_pending = 4 * self.buffer_size
        self.writes: set[asyncio.Future[None]] = set()
        # Articles are numbered as accepted (store.accepted); `writing` maps the first number of
        # each batch being written to its size, so that articles_durable can tell how far all
        # are settled.
        self.writing: dict[int, int] = {}
        self.durable_upto = 0
        self.started_at: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> MongoPipeline:
        settings = crawler.settings
        store = crawler.get_extension(CrawlStore)
        if store is None:
            logger.warning("MONGO_URI is not set: articles will not be stored "
                           "(`python -m ingest crawl` starts an embedded store)")
            raise NotConfigured("MONGO_URI not set")
        pipeline = cls(crawler, store, settings.getint("MONGO_BUFFER_SIZE"),
                       settings.getfloat("MONGO_RETRY_SECONDS"), settings.get("DEAD_LETTER_DIR"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    @property
    def db(self) -> Database:
        return self.store.db

    @property
    def crawl_id(self) -> str:
        return getattr(self.crawler.spider, "crawl_id", "unknown")

    def open_spider(self) -> None:
        self.started_at = datetime.now(timezone.utc)
        ensure_indexes(self.db)
        backfilled = backfill_published_keys(self.db)
        if backfilled:
            logger.info("gave published_local and its read-side copies to %d stored articles", backfilled)
        ensure_counts(self.db, rebuild=backfilled > 0)
        self._save_run_record(status="running")
        logger.info("storing into %s database %r", redact_uri(self.store.uri), self.db.name)

    async def process_item(self, item: Any) -> Any:
        """Buffered as a shallow copy: write_articles builds each document anew (safe_keys
        copies the nested values), so the item's lists and dicts are never changed."""
        if isinstance(item, ListingUpdate):
            self.late_listings.setdefault(item["url"], set()).update(item["listed_in"])
            return item
        while self.in_flight >= self.max_pending:  # the store is slow or away: hold the crawl
            self.stats.inc_value("mongo/backpressure_waits")
            await asyncio.sleep(0.1)
        self.buffer.append(dict(item) if isinstance(item, (dict, Item)) else ItemAdapter(item).asdict())
        self.store.accepted += 1
        if len(self.buffer) >= self.buffer_size:
            # Written in the background: awaiting the store here would hold this item's
            # response in the scraper, and Scrapy stops downloading while many are held.
            self._start_write()
        return item

    def _start_write(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        first = self.store.accepted - len(batch)
        self.writing[first] = len(batch)
        self.in_flight += len(batch)
        self.stats.max_value("mongo/max_pending", self.in_flight)
        write = asyncio.ensure_future(self._write_in_thread(first, batch))
        self.writes.add(write)
        write.add_done_callback(self.writes.discard)

    async def _write_in_thread(self, first: int, batch: list[dict[str, Any]]) -> None:
        try:
            await asyncio.to_thread(self._write, batch)
        finally:
            self.in_flight -= len(batch)
            del self.writing[first]
            unwritten = self.store.accepted - len(self.buffer)
            upto = min(min(self.writing, default=unwritten), unwritten)
            if upto > self.durable_upto:
                self.durable_upto = upto
                self.crawler.signals.send_catch_log(articles_durable, upto=upto)

    def spider_idle(self, spider: Any) -> None:
        """A crawl waiting for work (a shared crawl's worker) writes what it holds meanwhile."""
        self._start_write()

    async def close_spider(self) -> None:
        self._start_write()
        while self.writes:
            await asyncio.gather(*self.writes)
        if self.late_listings:
            await asyncio.to_thread(self._add_listings)

    def _add_listings(self) -> None:
        """Categories whose listings were reached after their articles had been fetched."""
        try:
            changed = add_listings(self.db, self.late_listings)
        except PyMongoError as exc:
            logger.error("could not record %d late category listings: %s", len(self.late_listings), exc)
            return
        self.stats.inc_value("mongo/listings_added", changed)

    def _write(self, batch: list[dict[str, Any]]) -> None:
        """Write a batch, retrying through a store outage for up to retry_seconds."""
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.5
        while True:
            try:
                result = write_articles(self.db, batch)
                break
            except (InvalidDocument, DocumentTooLarge) as exc:
                if len(batch) > 1:  # find the offending documents; store the rest
                    for doc in batch:
                        self._write([doc])
                    return
                logger.error("invalid document %s: %s", batch[0].get("canonical_url"), exc)
                self._dead_letter(batch, f"invalid document: {exc}")
                return
            except PyMongoError as exc:
                self.stats.inc_value("mongo/write_retries")
                if time.monotonic() + delay > deadline:
                    logger.error("store unavailable for %.0fs (%s): dead-lettering %d articles",
                                 self.retry_seconds, exc, len(batch))
                    self._dead_letter(batch, f"store unavailable: {exc}")
                    return
                logger.warning("store write failed (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.stats.inc_value("mongo/flushes")
        for outcome in ("new", "changed", "unchanged"):
            self.stats.inc_value(f"mongo/{outcome}", getattr(result, outcome))
        if result.failed:
            failed_keys = {key for key, _ in result.failed}
            for key, reason in result.failed:
                logger.error("could not store %s: %s", key, reason)
            self._dead_letter([d for d in batch if d["canonical_url"] in failed_keys], "write error")

    def _dead_letter(self, docs: list[dict[str, Any]], reason: str) -> None:
        self.dead_letter_dir.mkdir(parents=True, exist_ok=True)
        path = self.dead_letter_dir / f"{self.crawl_id}.jsonl"
        with path.open("a", encoding="utf-8") as stream:
            for doc in docs:
                stream.write(json.dumps({"reason": reason, "article": doc}, ensure_ascii=False,
                                        default=str) + "\n")
        self.stats.inc_value("mongo/dead_lettered", len(docs))
        logger.error("%d articles written to %s", len(docs), path)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.started_at is None:  # never opened
            return
        try:
            self._save_run_record(status="finished", finish_reason=reason)
        except PyMongoError as exc:
            logger.error("could not save the run record: %s", exc)

    def _save_run_record(self, **fields: Any) -> None:
        spider = self.crawler.spider
        stats = safe_keys(self.stats.get_stats())
        get = self.stats.get_value
        record = {
            "_id": self.crawl_id,
            "site": getattr(getattr(spider, "profile", None), "name", None),
            "spider": getattr(spider, "name", None),
            "started_at": self.started_at,
            "finished_at": datetime.now(timezone.utc) if fields.get("status") == "finished" else None,
            "store": redact_uri(self.store.uri),
            "counts": {
                "pages": get("response_received_count", 0),
                "listing_pages": get("listing/pages", 0),
                "articles_extracted": get("extract/articles", 0),
                "new": get("mongo/new", 0),
                "changed": get("mongo/changed", 0),
                "unchanged": get("mongo/unchanged", 0),
                "dead_lettered": get("mongo/dead_lettered", 0),
                "dropped": {k.rsplit("/", 1)[-1]: v for k, v in stats.items()
                            if k.startswith("validate/dropped/") or k == "dedupe/dropped"},
                "errors": get("log_count/ERROR", 0) + get("fetch/errors", 0),
                "violations": {k.removeprefix("validate/schema/"): v for k, v in stats.items()
                               if k.startswith("validate/schema/")},
            },
            "stats": stats,
            **fields,
        }
        self.db[RUNS].replace_one({"_id": record["_id"]}, record, upsert=True)
