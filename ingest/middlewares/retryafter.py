"""Honour Retry-After on 429 and 503: no request goes to that site until the time it
asked for has passed (up to RETRY_AFTER_MAX seconds); the refused request is retried."""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import get_retry_request

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - (now or time.time()))
    except (TypeError, ValueError):
        return None


class RetryAfterMiddleware:
    def __init__(self, crawler: Any, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.not_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("RETRY_AFTER_MAX"))

    async def process_request(self, request: Any) -> None:
        wait = self.not_before.get(urlsplit(request.url).netloc, 0.0) - time.monotonic()
        if wait > 0:
            self.crawler.stats.inc_value("retry_after/delayed_requests")
            await asyncio.sleep(wait)

    def process_response(self, request: Any, response: Any) -> Any:
        if response.status not in (429, 503):
            return response
        seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
        if seconds is None:
            return response  # the retry middleware handles it as usual
        seconds = min(seconds, self.max_wait)
        netloc = urlsplit(request.url).netloc
        self.not_before[netloc] = max(self.not_before.get(netloc, 0.0), time.monotonic() + seconds)
        self.crawler.stats.inc_value("retry_after/honoured")
        logger.info("%s asked to wait %.0fs (HTTP %d)", netloc, seconds, response.status)
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"retry-after {response.status}")
        return retry or response
