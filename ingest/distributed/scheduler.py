"""The shared scheduler: scrapy-redis's Scheduler with leases, so that no request is lost when
a worker dies, and with a crawl-wide end, so that no worker quits while others still work.

A popped request stays in this worker's in-flight hash in Redis until the engine is done with
it (its new requests queued) and the store has written or dead-lettered every article handed
to it up to then (the crawl store's count of accepted articles, and the pipeline's signal
articles_durable). A worker that stops
renewing its lease (SIGKILL, lost host) has its in-flight requests re-queued by the others.
An idle worker stays open while the queue holds requests, a live worker is still seeding, or
any worker holds in-flight requests; the last one to close clears the frontier.

When Redis cannot be reached, the worker pauses: it takes no new requests, keeps the ones it
finds in memory and queues them once Redis answers again (its heartbeat tries every beat).
After INGEST_REDIS_MAX_OUTAGE seconds it stops with the reason "redis_unavailable"."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import deque
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from pymongo.errors import PyMongoError

from ingest.distributed import connect_redis, crawl_prefix, redis_url
from ingest.distributed.frontier import CrawlConflict, SharedFrontier, request_id
from ingest.store.articles import add_listings
from ingest.store.crawlstore import CrawlStore, articles_durable

logger = logging.getLogger(__name__)

CONFLICT_REASON = "crawl_conflict"  # ingest.cli maps it to exit 75
OUTAGE_REASON = "redis_unavailable"
# Counters summed over the workers of a crawl (kept in Redis, copied into each worker's stats
# at its end as distributed/crawl/<name>).
CRAWL_COUNTERS = ("listing/article_links", "extract/articles", "downloader/request_count",
                  "fetch/errors", "mongo/new", "mongo/changed", "mongo/unchanged",
                  "mongo/dead_lettered")


def engine_slot(engine: Any) -> Any:
    """The engine's slot: the requests in progress (`inprogress`: downloaded or being
    scraped) and the engine's next call (`nextcall.schedule()` runs its loop now). Scrapy
    offers no public interface for either; tests/test_scrapy_contracts.py fails loudly when
    an upgrade changes them."""
    return engine._slot


def crawl_params(spider: Any) -> dict[str, Any]:
    """What makes two workers part of the same crawl."""
    profile = spider.profile
    return {"site": profile.name, "start_urls": list(profile.start_urls), "home_url": profile.home_url,
            "all_categories": spider.all_categories, "entry_points": list(spider.entry_points),
            "max_pages": spider.max_pages, "full": spider.full}


class SharedScheduler(Scheduler):
    def __init__(self, server: Any, crawler: Any, crawl_name: str, lease_seconds: float,
                 heartbeat_seconds: float, max_outage_seconds: float = 600.0, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.crawler = crawler
        self.stats = crawler.stats
        self.crawl_name = crawl_name
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.frontier: SharedFrontier | None = None
        self.leased: dict[str, Request] = {}
        self.done: list[tuple[str, int]] = []  # (lease id, articles accepted by then)
        self.pushed: dict[str, int] = {}
        self.seeding = True
        self.beat: task.LoopingCall | None = None
        self.max_outage_seconds = max_outage_seconds
        self.outage_since: float | None = None
        self.backlog: deque[Request] = deque()  # found while Redis was unreachable
        self.store: CrawlStore | None = crawler.get_extension(CrawlStore)
        self.durable_upto = 0  # articles numbered below it are written or dead-lettered

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        settings = crawler.settings
        url = redis_url(settings)
        if not url:
            raise ValueError("SharedScheduler needs INGEST_REDIS_URL or REDIS_URL")
        server = connect_redis(url, timeout=settings.getfloat("INGEST_REDIS_TIMEOUT"))
        server.ping()
        scheduler = cls(server, crawler,
                        crawl_name=settings.get("INGEST_REDIS_CRAWL"),
                        lease_seconds=settings.getfloat("INGEST_REDIS_LEASE"),
                        heartbeat_seconds=settings.getfloat("INGEST_REDIS_HEARTBEAT"),
                        max_outage_seconds=settings.getfloat("INGEST_REDIS_MAX_OUTAGE"),
                        persist=True, queue_cls=settings.get("SCHEDULER_QUEUE_CLASS",
                                                             "scrapy_redis.queue.PriorityQueue"))
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.articles_durable, signal=articles_durable)
        return scheduler

    def articles_durable(self, upto: int) -> None:
        self.durable_upto = upto

    def open(self, spider: Any) -> None:
        prefix = crawl_prefix(spider.profile.name, self.crawl_name)
        self.queue_key = f"{prefix}:requests"
        self.df = RFPDupeFilter(self.server, key=f"{prefix}:dupefilter",
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        super().open(spider)
        self.frontier = SharedFrontier(self.server, prefix, self.worker)
        info = {"host": socket.gethostname(), "pid": os.getpid(), "crawl_id": spider.crawl_id,
                "since": time.time()}
        try:
            first = self.frontier.join(crawl_params(spider), info, self.lease_seconds)
        except CrawlConflict as exc:
            logger.error("%s", exc)
            self.frontier = None
            raise CloseSpider(CONFLICT_REASON) from None
        self.stats.set_value("distributed/worker", self.worker)
        self.stats.set_value("distributed/frontier", prefix)
        logger.info("worker %s %s the shared crawl %s (%d requests queued)", self.worker,
                    "starts" if first else "joins", prefix, self.frontier.pending())
        self.beat = task.LoopingCall(self.heartbeat)
        self.beat.start(self.heartbeat_seconds, now=False)

    def enqueue_request(self, request: Request) -> bool:
        if self.outage_since is None:
            try:
                return self._push(request)
            except redis.RedisError as exc:
                self._redis_down(exc, "queueing a request")
        self.backlog.append(request)
        self.stats.inc_value("distributed/backlogged")
        return True

    def _push(self, request: Request) -> bool:
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        data = self.encode(request)
        if not self.frontier.push(fingerprint, data, -request.priority):
            self.df.log(request, self.spider)
            # The worker that fetches the article may never see this listing: the store gets
            # its categories at the end of the crawl, whoever survives to it.
            self.frontier.add_listing(request.url, request.meta.get("listed_in") or ())
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.outage_since is not None:
            return None
        try:
            data = self.frontier.lease()
        except redis.RedisError as exc:
            self._redis_down(exc, "taking a request")
            return None
        if data is None:
            return None
        request = self.decode(data)
        self.leased[request_id(data)] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def encode(self, request: Request) -> bytes:
        """A request as the queue stores it (what scrapy-redis's queues do, through public
        parts: Request.to_dict and the queue's serializer)."""
        return self.queue.serializer.dumps(request.to_dict(spider=self.spider))

    def decode(self, data: bytes) -> Request:
        return request_from_dict(self.queue.serializer.loads(data), spider=self.spider)

    def _redis_down(self, exc: Exception, doing: str) -> None:
        self.stats.inc_value("distributed/redis_errors")
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            self.stats.inc_value("distributed/redis_outages")
            logger.error("Redis unavailable (%s: %s): the worker pauses, keeps the requests it "
                         "finds, and tries again every %g s", doing, exc, self.heartbeat_seconds)

    def _redis_back(self) -> None:
        if self.outage_since is not None:
            seconds = time.monotonic() - self.outage_since
            self.outage_since = None
            self.stats.max_value("distributed/redis_longest_outage_s", round(seconds, 1))
            logger.warning("Redis answers again after %.1f s; the worker goes on", seconds)

    def _flush_backlog(self) -> None:
        while self.backlog:
            self._push(self.backlog[0])
            self.backlog.popleft()

    def heartbeat(self) -> None:
        try:
            self.frontier.heartbeat(self.lease_seconds)
            self._flush_backlog()
            self.ack()
        except redis.RedisError as exc:  # keep beating: a LoopingCall that raises stops
            self._redis_down(exc, "heartbeat")
            if time.monotonic() - self.outage_since > self.max_outage_seconds:
                logger.error("Redis unreachable for over %g s: stopping this worker",
                             self.max_outage_seconds)
                self.beat.stop()
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=OUTAGE_REASON))
            return
        self._redis_back()
        slot = engine_slot(self.crawler.engine)
        if slot is not None and self.frontier.pending():
            slot.nextcall.schedule()  # others' requests: fetch them now, not at the engine's 5 s tick

    def ack(self) -> None:
        """Release the leases of requests the engine is done with, once the store holds (or
        has dead-lettered) every article accepted up to then."""
        slot = engine_slot(self.crawler.engine)
        in_progress = slot.inprogress if slot is not None else set()
        accepted = self.store.accepted if self.store is not None else 0
        for lease, request in list(self.leased.items()):
            if request not in in_progress:
                del self.leased[lease]
                self.done.append((lease, accepted))
        durable = self.durable_upto if self.store is not None else accepted
        ready = [lease for lease, mark in self.done if mark <= durable]
        totals = {name: self.stats.get_value(name, 0) for name in CRAWL_COUNTERS}
        self.frontier.ack(ready, {name: value - self.pushed.get(name, 0) for name, value in totals.items()})
        self.done = [(lease, mark) for lease, mark in self.done if mark > durable]
        self.pushed = totals
        self.stats.inc_value("distributed/acked", len(ready))

    def spider_idle(self, spider: Any) -> None:
        if self.frontier is None:
            return
        if self.outage_since is not None or self.backlog:
            raise DontCloseSpider  # the heartbeat decides: Redis back, or the worker stops
        try:
            self._check_crawl_end()
        except redis.RedisError as exc:
            self._redis_down(exc, "checking for the crawl's end")
            raise DontCloseSpider from None

    def _check_crawl_end(self) -> None:
        if self.seeding:  # the engine is idle only once the start requests are all queued
            self.seeding = False
            self.frontier.seeded()
        requeued = self.frontier.requeue_dead()
        if requeued:
            self.stats.inc_value("distributed/requeued", requeued)
            logger.warning("re-queued %d requests of workers whose lease expired", requeued)
        self.ack()
        if not self.leased and not self.done:
            orphans = self.frontier.release_all()
            if orphans:
                self.stats.inc_value("distributed/unanswered_leases_requeued", orphans)
                logger.warning("re-queued %d requests leased by calls that timed out", orphans)
        if self.leased or self.done or self.frontier.busy():
            self.stats.inc_value("distributed/idle_waits")
            raise DontCloseSpider

    def store_listings(self, listings: dict[str, set[str]]) -> None:
        if not listings or self.store is None:
            return
        try:
            changed = add_listings(self.store.db, listings)
        except PyMongoError as exc:
            logger.error("could not record the categories of %d duplicate links: %s", len(listings), exc)
            return
        self.stats.inc_value("mongo/listings_added", changed)

    def has_pending_requests(self) -> bool:
        if self.frontier is None or self.outage_since is not None:
            return False
        try:
            return self.frontier.pending() > 0
        except redis.RedisError as exc:
            self._redis_down(exc, "counting the queue")
            return False

    def close(self, reason: str) -> None:
        if self.frontier is None:
            return
        if self.beat and self.beat.running:
            self.beat.stop()
        try:
            self._flush_backlog()
            self.ack()
            self.frontier.leave()  # anything not done goes back to the queue
            if reason == "finished" and self.frontier.finish():
                logger.info("the shared crawl %s is complete; its frontier is cleared", self.frontier.prefix)
                self.store_listings(self.frontier.take_listings())
            for name, value in self.frontier.crawl_stats().items():
                self.stats.set_value(f"distributed/crawl/{name}", value)
        except redis.RedisError as exc:
            self._redis_down(exc, "leaving the crawl")
            self.stats.set_value("distributed/requests_not_queued", len(self.backlog))
            logger.error("Redis unreachable while leaving the crawl: %d requests found during the "
                         "outage were not queued (the next run finds them again); the other "
                         "workers re-queue this worker's %d leased requests once its lease expires",
                         len(self.backlog), len(self.leased) + len(self.done))
