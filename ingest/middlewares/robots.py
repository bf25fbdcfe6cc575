"""robots.txt as RFC 9309 reads it: a robots.txt that cannot be fetched because the server
fails (5xx, connection errors) means "disallow everything" until it can, not "allow all"
as Scrapy's own middleware assumes. 4xx still means no restrictions."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.misc import build_from_crawler

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Overrides Scrapy's private _parse_robots and _robots_error and sets its _parsers (no
    public hook exists for a robots.txt that cannot be fetched); tests/test_scrapy_contracts.py
    fails loudly when an upgrade changes them."""

    async def _parse_robots(self, response: Any, netloc: str, request: Any) -> None:
        if response.status >= 500:
            self._unreachable(netloc, f"HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unreachable(netloc, repr(exc))
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        deferred = self._parsers[netloc]
        self._parsers[netloc] = parser
        deferred.callback(parser)

    def _unreachable(self, netloc: str, reason: str) -> None:
        self._stats.inc_value("robotstxt/unreachable_disallow_all")
        logger.warning("robots.txt of %s unreachable (%s): nothing on it will be fetched", netloc, reason)
