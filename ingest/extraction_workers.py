"""Article extraction in worker processes (INGEST_EXTRACT_PROCESSES > 0): no page can hang
the crawl (INGEST_EXTRACT_TIMEOUT ends its worker) or crash it (a worker that dies is
replaced; its page is tried once more, then counted as failed), and parsing can use cores
other than the one Scrapy's reactor runs on.

Off by default: on the 2-core machine benchmarks/crawl_speed.py was measured on, one worker
crawled 8% faster when the machine was otherwise idle, but slower beside another busy
process, for about 1 ms more CPU per page (pickling) and 55 MB more memory.
The pool is pebble's, which, unlike the standard library's, ends a worker that overruns its
time limit and replaces a dead worker without failing the pages other workers hold. Workers
are spawned, not forked, so a script that starts a crawl with them needs the
`if __name__ == "__main__":` guard (the `ingest` command has it)."""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pebble import ProcessExpired, ProcessPool
from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.python.failure import Failure

from ingest.extract.article import GENERIC, ExtractionRules, extract_article, warm_up
from ingest.extract.html import ExtractionError

logger = logging.getLogger(__name__)


def _as_deferred(future: Future[Any]) -> defer.Deferred[Any]:
    """A Deferred fired in the reactor thread when a pool's future completes."""
    from twisted.internet import reactor  # the one installed by then; importing it earlier would install one

    deferred: defer.Deferred[Any] = defer.Deferred()

    def fire(done: Future[Any]) -> None:
        error = done.exception()
        if error is not None:
            deferred.errback(Failure(error))
        else:
            deferred.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return deferred


class ExtractionWorkers:
    """`await workers.extract(html, url, rules, content_type)`: extract_article, in a worker process when
    there are any. The pool starts with the first page and stops when the spider closes."""

    def __init__(self, processes: int, timeout: float | None = None, crawler: Any = None) -> None:
        self.processes = processes
        self.timeout = timeout
        self.crawler = crawler
        self.pool: ProcessPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractionWorkers:
        processes = crawler.settings.getint("INGEST_EXTRACT_PROCESSES")
        if processes < 0:
            raise ValueError(f"INGEST_EXTRACT_PROCESSES must be 0 or more, not {processes}")
        timeout = crawler.settings.getfloat("INGEST_EXTRACT_TIMEOUT") or None
        workers = cls(processes, timeout, crawler)
        crawler.signals.connect(workers.close, signal=signals.spider_closed)
        return workers

    def _count(self, key: str) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value(key)

    def _pool(self) -> ProcessPool:
        if self.pool is None:
            # spawn, not fork: the crawl's process has threads (store writer, pymongo monitors)
            # whose locks a forked child could inherit held.
            # Each worker warms up before its first page, outside any page's time limit.
            self.pool = ProcessPool(self.processes, initializer=warm_up,
                                    context=multiprocessing.get_context("spawn"))
            logger.info("extracting in %d worker process%s", self.processes, "es" * (self.processes > 1))
        return self.pool

    async def extract(self, html: str | bytes, url: str, rules: ExtractionRules = GENERIC,
                      content_type: str | None = None) -> dict[str, Any]:
        """The page's fields. Raises ExtractionError for a page that cannot be extracted, takes
        longer than the time limit, or whose extraction killed a worker twice."""
        if not self.processes:
            return extract_article(html, url, rules, content_type)
        for attempt in (1, 2):
            future = self._pool().schedule(extract_article, (html, url, rules, content_type), timeout=self.timeout)
            try:
                return await maybe_deferred_to_future(_as_deferred(future))
            except FutureTimeout:
                self._count("extract/timed_out")
                raise ExtractionError(f"extraction took longer than {self.timeout:g} s; "
                                      "its worker process was ended") from None
            except ProcessExpired as exc:
                self._count("extract/worker_died")
                logger.error("the worker process extracting %s died (%s)%s", url, exc,
                             "; trying once more" if attempt == 1 else "")
        raise ExtractionError("the page's worker process died twice while extracting it")

    def close(self, spider: Any = None, reason: str | None = None) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None
