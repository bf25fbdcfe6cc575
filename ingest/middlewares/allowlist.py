"""Requests go only to the site's own origins: http(s), the profile's hosts (and their
subdomains), the ports its URLs use. Everything else is refused before any connection:
other schemes (file:, data:, ftp:), other ports, and private, loopback, link-local or
metadata addresses — whether written as IP literals or reached through names that resolve
to them — unless the site itself lives there (the local demo site does).

Scrapy's offsite filter checks host names only; redirects and links pass through here too."""

from __future__ import annotations

import ipaddress
import logging
import socket
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)
DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(scheme: str, port: int | None) -> int:
    return port or DEFAULT_PORTS.get(scheme, 0)


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or \
        ip.is_multicast or ip.is_unspecified


@lru_cache(maxsize=1024)
def resolves_internal(host: str) -> bool:
    """Whether a host name resolves to any internal address (a DNS answer can point a
    public-looking name at the metadata service or the local network)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the download fails on its own, without a connection
    return any(_internal(info[4][0]) for info in infos)


class SiteAllowlistMiddleware:
    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteAllowlistMiddleware:
        middleware = cls(crawler.stats)
        middleware.crawler = crawler
        return middleware

    def origins(self, spider: Any) -> tuple[set[str], set[tuple[str, int]]]:
        profile = getattr(spider, "profile", None)
        domains = {d.lower() for d in getattr(spider, "allowed_domains", None) or []}
        own: set[tuple[str, int]] = set()
        urls = list(getattr(profile, "start_urls", ()) or ()) + [getattr(profile, "home_url", None) or ""]
        urls += list(getattr(profile, "sitemap_urls", ()) or ()) + list(getattr(profile, "feed_urls", ()) or ())
        urls.append(getattr(profile, "rest_api", None) or "")
        for url in filter(None, urls):
            parts = urlsplit(url)
            if parts.hostname:
                own.add((parts.hostname.lower(), _port(parts.scheme, parts.port)))
                domains.add(parts.hostname.lower())
        return domains, own

    def process_request(self, request: Any) -> None:
        spider = self.crawler.spider
        reason = self.refusal(request.url, *self.origins(spider))
        if reason:
            self.stats.inc_value(f"allowlist/refused/{reason}")
            logger.info("refused %s: %s", request.url, reason)
            raise IgnoreRequest(f"not on the site's allowlist ({reason}): {request.url}")

    @staticmethod
    def refusal(url: str, domains: set[str], own: set[tuple[str, int]]) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            return "scheme"
        host = (parts.hostname or "").lower()
        try:
            port = _port(parts.scheme, parts.port)
        except ValueError:
            return "port"
        if not host:
            return "host"
        if domains and not any(host == d or host.endswith("." + d) for d in domains):
            return "host"
        own_ports = {p for h, p in own if h == host}
        if own_ports & set(DEFAULT_PORTS.values()):
            own_ports |= set(DEFAULT_PORTS.values())  # http and https of one site
        if own_ports and port not in own_ports or not own_ports and port not in DEFAULT_PORTS.values():
            return "port"
        if (host, port) in own:
            return None  # the site's own origin, wherever it lives
        try:
            if _internal(host):
                return "internal_address"
        except ValueError:
            if resolves_internal(host):
                return "internal_address"
        return None
