"""Distributed crawling: any number of worker processes, on any hosts, share one frontier
(request queue) and one duplicate filter in Redis through scrapy-redis, with the same spider,
extraction and pipelines. It is switched on by configuration alone: a Redis URL in the
INGEST_REDIS_URL setting (or the REDIS_URL environment variable, see ingest.settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    import redis

SCHEDULER = "ingest.distributed.scheduler.SharedScheduler"


def redis_url(settings: Any) -> str | None:
    return settings.get("INGEST_REDIS_URL") or None


def crawl_prefix(site: str, crawl: str) -> str:
    """Every key of one shared crawl starts with this: one crawl per site and crawl name."""
    return f"ingest:{site}:{crawl}"


def connect_redis(url: str, timeout: float = 5.0) -> redis.Redis:
    """A client whose calls give up after `timeout` seconds: the crawl's reactor thread makes
    them, and the scheduler, not the client, decides when to try again. Redis's modules are
    imported here, not with the add-on: a local crawl never loads them (0.1 s at start)."""
    from scrapy_redis import defaults
    from scrapy_redis.connection import get_redis

    params = {**defaults.REDIS_PARAMS, "socket_timeout": timeout, "socket_connect_timeout": timeout,
              "retry_on_timeout": False}
    return get_redis(url=url, **params)


class SharedCrawl:
    """Scrapy add-on (ADDONS): with a Redis URL configured, the crawl's scheduler and
    duplicate filter are the shared ones; without, nothing changes."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedCrawl:
        if not redis_url(crawler.settings):
            raise NotConfigured
        return cls()

    def update_settings(self, settings: Any) -> None:
        settings.set("SCHEDULER", SCHEDULER, priority="addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="addon")
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority="addon")
        # The crawl's end, not a worker's, clears the frontier (SharedScheduler.close).
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
