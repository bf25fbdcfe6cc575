"""The private parts of Scrapy this project uses, where Scrapy has no public interface: each
test fails loudly, naming the part, when a Scrapy upgrade changes it.

- the engine's slot (ingest.distributed.scheduler.engine_slot): `inprogress`, the requests
  being downloaded or scraped, and `nextcall.schedule()`, which runs the engine's loop now;
- RobotsTxtMiddleware's `_parse_robots`, `_robots_error`, `_parsers`, `_parserimpl` and
  `_stats` (ingest.middlewares.robots: a robots.txt that cannot be fetched disallows all).

The shared scheduler encodes requests through public parts only (Request.to_dict,
request_from_dict and the scrapy-redis queue's serializer); its round trip is tested here."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import PriorityQueue

from fault_server import FaultServer
from ingest.distributed.scheduler import SharedScheduler
from ingest.middlewares.robots import StrictRobotsTxtMiddleware

ROOT = Path(__file__).resolve().parents[1]

ENGINE_PROBE = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from ingest.distributed.scheduler import engine_slot

seen = {}

class Probe(scrapy.Spider):
    name = "probe"
    start_urls = [sys.argv[1]]

    def parse(self, response):
        slot = engine_slot(self.crawler.engine)
        seen["inprogress is a set"] = isinstance(getattr(slot, "inprogress", None), set)
        seen["holds the request being scraped"] = response.request in slot.inprogress
        seen["nextcall.schedule is callable"] = callable(getattr(getattr(slot, "nextcall", None),
                                                                 "schedule", None))
        slot.nextcall.schedule()
        seen["crawl went on after schedule()"] = True

process = CrawlerProcess({"LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
                          "ROBOTSTXT_OBEY": False})
process.crawl(Probe)
process.start()
print(json.dumps(seen))
"""


def test_engine_slot_holds_requests_in_progress_and_can_be_woken() -> None:
    with FaultServer() as server:
        server.routes["/"] = server.html("<html><body><p>probe</p></body></html>")
        result = subprocess.run([sys.executable, "-c", ENGINE_PROBE, server.base_url + "/"], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"Scrapy's engine._slot changed: {result.stderr[-2000:]}"
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    broken = [name for name, ok in seen.items() if not ok]
    assert len(seen) == 4 and not broken, f"Scrapy's engine._slot changed: {broken or seen}"


def test_robots_middleware_privates_are_as_overridden() -> None:
    parse = inspect.signature(RobotsTxtMiddleware._parse_robots)
    assert inspect.iscoroutinefunction(RobotsTxtMiddleware._parse_robots) and \
        list(parse.parameters) == ["self", "response", "netloc", "request"], \
        f"RobotsTxtMiddleware._parse_robots changed: {parse}"
    error = inspect.signature(RobotsTxtMiddleware._robots_error)
    assert list(error.parameters) == ["self", "exc", "netloc"], \
        f"RobotsTxtMiddleware._robots_error changed: {error}"
    middleware = StrictRobotsTxtMiddleware.from_crawler(get_crawler(Spider, {"ROBOTSTXT_OBEY": True}))
    assert isinstance(getattr(middleware, "_parsers", None), dict), "RobotsTxtMiddleware._parsers changed"
    assert hasattr(getattr(middleware, "_parserimpl", None), "from_crawler"), \
        "RobotsTxtMiddleware._parserimpl changed"
    assert hasattr(getattr(middleware, "_stats", None), "inc_value"), "RobotsTxtMiddleware._stats changed"


def test_the_shared_scheduler_round_trips_requests_through_public_parts() -> None:
    class Site(Spider):
        name = "site"

        def parse_article(self, response: object) -> None:
            pass

    spider = Site()
    scheduler = SharedScheduler.__new__(SharedScheduler)  # its encoding needs only these two
    scheduler.spider = spider
    scheduler.queue = PriorityQueue(server=None, spider=spider, key="k")
    request = Request("https://news.example/a/", callback=spider.parse_article, priority=10,
                      meta={"listed_in": ["News"]}, cb_kwargs={"page": 2})
    data = scheduler.encode(request)
    assert scheduler.queue._encode_request(request) == data  # what scrapy-redis stores itself
    back = scheduler.decode(data)
    assert (back.url, back.callback, back.priority, back.meta["listed_in"], back.cb_kwargs) == \
        (request.url, spider.parse_article, 10, ["News"], {"page": 2})


@pytest.mark.parametrize("name", ["_parse_robots", "_robots_error"])
def test_the_overrides_still_override_something(name: str) -> None:
    assert name in vars(RobotsTxtMiddleware), f"RobotsTxtMiddleware no longer defines {name}"
