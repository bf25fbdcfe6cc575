"""The crawl's archive: a downloader middleware writing every response (listings, articles,
feeds, sitemaps, robots.txt, redirects) and its request to WARC files, through warcio.

It sits next to the downloader (order 950), so it sees the request as sent (after the
user agent, cookie and compression middlewares) and the response as received (before
decompression and redirects). Where each response went is in `request.meta["warc_record"]`
(file, offset, length, record id), which the spider copies into the article; the
ArchiveDurablePipeline holds an article until the record it points to is on disk."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
from importlib.metadata import version
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured

from ingest.archive.writer import Exchange, RotatingWarcWriter, check_gzip_level, header_pairs

logger = logging.getLogger(__name__)
META_KEY = "warc_record"


class WarcArchiveMiddleware:
    def __init__(self, crawler: Any, folder: Path, max_bytes: int, fsync: bool, gzip_level: int) -> None:
        check_gzip_level(gzip_level)
        self.crawler = crawler
        self.stats = crawler.stats
        self.folder = folder
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.gzip_level = gzip_level
        self.writer: RotatingWarcWriter | None = None
        self.sync: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcArchiveMiddleware:
        settings = crawler.settings
        if not settings.getbool("INGEST_WARC_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler, Path(settings.get("INGEST_WARC_DIR")),
                         settings.getint("INGEST_WARC_MAX_SIZE"),
                         settings.getbool("INGEST_WARC_FSYNC"), settings.getint("INGEST_WARC_GZIP_LEVEL"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _writer(self) -> RotatingWarcWriter:
        if self.writer is None:
            spider = self.crawler.spider
            site = getattr(getattr(spider, "profile", None), "name", None) or spider.name
            crawl_id = getattr(spider, "crawl_id", None) or f"{site}-{os.getpid()}"
            settings = self.crawler.settings
            info = {
                "software": f"ingest (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
                "format": "WARC File Format 1.0",
                "isPartOf": crawl_id,
                "description": f"crawl {crawl_id} of site {site}",
                "hostname": socket.gethostname(),
                "operating-system": platform.platform(terse=True),
                "http-header-user-agent": settings.get("USER_AGENT"),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            }
            self.writer = RotatingWarcWriter(self.folder.resolve() / site, crawl_id, self.max_bytes, info,
                                             self.gzip_level)
        return self.writer

    def process_response(self, request: Any, response: Any) -> Any:
        host = request.headers.get(b"Host") or request.url.split("/")[2].encode("latin-1")
        exchange = Exchange(
            url=response.url, method=request.method,
            request_headers=[("Host", host.decode("latin-1")),
                             *((k, v) for k, v in header_pairs(request.headers) if k.lower() != "host")],
            request_body=request.body or b"", status=response.status,
            protocol=getattr(response, "protocol", None) or "HTTP/1.1",
            response_headers=header_pairs(response.headers), body=response.body)
        try:
            writer = self._writer()
            written = writer.bytes
            ref = writer.write(exchange)
        except (OSError, UnicodeError) as exc:  # a full disk, a record that cannot be encoded:
            # the page goes on without its archive pointer rather than being lost
            self.stats.inc_value("archive/write_errors")
            logger.error("could not archive %s: %s", response.url, exc)
            return response
        request.meta[META_KEY] = ref.as_dict()
        self.stats.inc_value("archive/records")
        self.stats.inc_value("archive/bytes", writer.bytes - written)
        return response

    async def wait_durable(self, ref: Mapping[str, Any]) -> None:
        """Return once the record `ref` is on disk (fsync), sharing one fsync among all the
        records waiting for it (group commit). With INGEST_WARC_FSYNC off: at once (the
        record reached the operating system when written)."""
        if not self.fsync or self.writer is None:
            return
        end = int(ref["offset"]) + int(ref["length"])
        while not self.writer.is_durable(ref["warc_file"], end):
            if self.sync is None:
                self.sync = asyncio.ensure_future(self._sync())
            await asyncio.shield(self.sync)

    async def _sync(self) -> None:
        try:
            pending = self.writer.begin_sync() if self.writer else None
            if pending is None:
                return
            path, end, fd = pending
            try:
                await asyncio.to_thread(os.fsync, fd)
            finally:
                os.close(fd)
            self.writer.mark_durable(path, end)
            self.stats.inc_value("archive/fsyncs")
        finally:
            self.sync = None

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.writer is None:
            return
        self.writer.close()
        self.stats.set_value("archive/files", len(self.writer.files))
        logger.info("archived %d responses (%d bytes) in %d WARC files under %s",
                    self.writer.records, self.writer.bytes, len(self.writer.files),
                    self.writer.folder)
