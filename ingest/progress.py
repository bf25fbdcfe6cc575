"""A progress line during long crawls: pages fetched, articles stored, rate."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger("ingest.progress")


class CrawlProgress:
    def __init__(self, stats: Any, interval: float, console: bool = False) -> None:
        self.stats = stats
        self.interval = interval
        self.console = console
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        interval = crawler.settings.getfloat("INGEST_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler.stats, interval,
                        crawler.settings.getbool("INGEST_PROGRESS_CONSOLE"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report(final=True)

    def summary(self) -> str:
        get = self.stats.get_value
        stored = get("mongo/new", 0) + get("mongo/changed", 0) + get("mongo/unchanged", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        dropped = sum(v for k, v in self.stats.get_stats().items()
                      if k.startswith("validate/dropped/") or k == "dedupe/dropped")
        return (f"pages {get('response_received_count', 0)} "
                f"(listings {get('listing/pages', 0)}) | articles {get('extract/articles', 0)} "
                f"| stored {stored} (new {get('mongo/new', 0)}, changed {get('mongo/changed', 0)}) "
                f"| dropped {dropped} | errors {get('fetch/errors', 0)} "
                f"| {get('extract/articles', 0) / elapsed:.1f} articles/s")

    def report(self, final: bool = False) -> None:
        line = ("done: " if final else "progress: ") + self.summary()
        logger.info(line)
        if self.console:  # when the log goes to a file, the person watching still sees this
            print(line, file=sys.stderr, flush=True)
