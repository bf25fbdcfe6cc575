"""The news spider: category listings -> pagination -> article pages.

It decides only what to follow; every field comes from ingest.extract."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from ingest.extract import selectors
from ingest.extract.article import extract_article
from ingest.extract.html import ExtractionError
from ingest.items import ArticleItem, ListingUpdate
from ingest.sites import ProfileError, SiteProfile, load_profile
from ingest.store.client import connect, mongo_uri_from_env
from ingest.store.queries import known_articles
from ingest.text import collapse_spaces

# Where a listing's article links are not: menus, sidebars ("Recent Posts"), footers.
LINK_NOISE_XPATH = (
    "ancestor::nav or ancestor::aside or ancestor::footer or ancestor::header or "
    "ancestor::form or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')] "
    "or ancestor::*[contains(@class, 'sidebar') or contains(@class, 'menu') or "
    "contains(@class, 'related') or contains(@class, 'recent')]"
)
ARCHIVE_PREFIX = re.compile(r"^(category|archives?|tag|section|topic)\s*:\s*", re.I)


def _split(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return value
    return [v.strip() for v in value.split(",") if v.strip()]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


class NewsSpider(scrapy.Spider):
    """Crawl a site described by a profile.

    Arguments (`-a name=value`): site (profile name or TOML path, default "wordpress"),
    start_urls (comma-separated category listings, replacing the profile's), base_url (resolve
    the profile's relative URLs, e.g. the local demo site), all_categories (follow every
    category in the site's menu), max_pages (per category; 0 = to the end), crawl_id,
    full (ignore what is stored: fetch every listing page and article), resume (after an
    unclean stop: every listing page, but only articles not stored yet).

    Incremental by default: with a store configured, a category's pagination stops once
    INGEST_STOP_AFTER_KNOWN stored articles were listed, stored articles are skipped, and
    those published in the last INGEST_REFRESH_DAYS are fetched again conditionally."""

    name = "news"

    def __init__(self, site: str = "wordpress", start_urls: str | list[str] | None = None,
                 base_url: str | None = None, all_categories: str | bool | None = None,
                 max_pages: str | int | None = None, crawl_id: str | None = None,
                 full: str | bool | None = None, resume: str | bool | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        profile = load_profile(site)
        if base_url:
            profile = profile.with_base_url(base_url)
        if start_urls:
            profile = profile.with_start_urls(_split(start_urls))
        self.all_categories = _flag(all_categories) if all_categories is not None else profile.all_categories
        if not profile.start_urls and not (self.all_categories and profile.home_url):
            raise ProfileError(
                f"site {profile.name!r} has no start URLs: pass -a start_urls=<category URL>"
            )
        self.profile: SiteProfile = profile
        self.allowed_domains = list(profile.allowed_domains)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.crawl_id = crawl_id or f"{profile.name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.listed_in: dict[str, set[str]] = defaultdict(set)
        self.extracted: set[str] = set()
        self.full = _flag(full)
        self.resume = _flag(resume)
        self.known: dict[str, dict[str, Any]] = {}
        self.known_listed: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.settings.setdict(spider.profile.settings, priority="spider")
        if spider.max_pages is None:
            spider.max_pages = crawler.settings.getint("INGEST_MAX_PAGES_PER_CATEGORY")
        return spider

    def load_known(self) -> None:
        """Stored articles of this site, for an incremental or resumed run."""
        settings = self.crawler.settings
        uri = mongo_uri_from_env(settings.get("MONGO_URI"))
        if self.full or not uri or not settings.getbool("INGEST_INCREMENTAL", True):
            return
        with connect(uri) as client:
            self.known = known_articles(client[settings.get("MONGO_DATABASE", "news")], self.profile.name)
        self.logger.info("%s run: %d stored URLs of %s known",
                         "resumed" if self.resume else "incremental", len(self.known), self.profile.name)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_known()
        if self.all_categories and self.profile.home_url:
            yield scrapy.Request(self.profile.home_url, callback=self.parse_menu)
        for url in self.profile.start_urls:
            yield self._listing_request(url, category=None, page=1)

    def _listing_request(self, url: str, category: str | None, page: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              cb_kwargs={"category": category, "page": page}, priority=10)

    def parse_menu(self, response: Response) -> Iterator[scrapy.Request]:
        """Every category the site's menus link to."""
        if not isinstance(response, TextResponse):
            return
        seen: set[str] = set()
        for link in response.css("nav a[href], .menu a[href], header a[href]"):
            url = response.urljoin(link.attrib["href"]).split("#")[0]
            if url in seen or not self.profile.is_category_url(url):
                continue
            seen.add(url)
            name = collapse_spaces(" ".join(link.css("::text").getall())) or None
            yield self._listing_request(url, category=name, page=1)
        self.crawler.stats.set_value("listing/categories", len(seen))
        if not seen:
            self.logger.warning("no category links found in the menu of %s", response.url)

    def parse_listing(self, response: Response, category: str | None, page: int
                      ) -> Iterator[scrapy.Request | ListingUpdate]:
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("listing/not_html")
            return
        stats.inc_value("listing/pages")
        category = category or self._archive_title(response)
        links = []
        for href in response.xpath(f"//a[@href][not({LINK_NOISE_XPATH})]/@href").getall():
            url = response.urljoin(href).split("#")[0]
            if self.profile.is_article_url(url) and url not in links:
                links.append(url)
        stats.inc_value("listing/article_links", len(links))
        known_here = 0
        for url in links:
            stored = self.known.get(url)
            known_here += stored is not None
            if category and category not in self.listed_in[url]:
                self.listed_in[url].add(category)
                if url in self.extracted or stored is not None:  # not (or no longer) to be fetched
                    yield ListingUpdate(url=url, listed_in=[category])
            if stored is None:
                yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
            elif not self.resume and self._due_for_refresh(stored):
                yield self._refresh_request(url, stored)
            else:
                stats.inc_value("incremental/skipped_known")
        if not links:
            stats.inc_value("listing/empty_pages")
            self.logger.info("listing %s has no article links; not paginating further", response.url)
            return
        key = category or response.url
        self.known_listed[key] += known_here
        stop_after = self.crawler.settings.getint("INGEST_STOP_AFTER_KNOWN", 10)
        if self.known and not self.resume and stop_after and self.known_listed[key] >= stop_after:
            stats.inc_value("incremental/pagination_stopped")
            return
        if self.max_pages and page >= self.max_pages:
            stats.inc_value("listing/page_limit_reached")
            return
        next_href = None
        for css in selectors.NEXT_PAGE:
            next_href = response.css(css).attrib.get("href")
            if next_href:
                break
        if next_href:
            yield self._listing_request(response.urljoin(next_href), category, page + 1)

    def _due_for_refresh(self, stored: dict[str, Any]) -> bool:
        days = self.crawler.settings.getfloat("INGEST_REFRESH_DAYS", 3.0)
        published = stored.get("published_at")
        return bool(days and published and published >= datetime.now(timezone.utc) - timedelta(days=days))

    def _refresh_request(self, url: str, stored: dict[str, Any]) -> scrapy.Request:
        """A recent article fetched again for edits; unchanged pages answer 304."""
        headers = {}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            headers["If-Modified-Since"] = stored["last_modified"]
        self.crawler.stats.inc_value("incremental/refreshed")
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, headers=headers,
                              meta={"handle_httpstatus_list": [304]})

    def _archive_title(self, response: TextResponse) -> str | None:
        title = collapse_spaces(" ".join(
            response.css("h1.page-title ::text, h1.archive-title ::text, .page-header h1 ::text").getall()
        ))
        return ARCHIVE_PREFIX.sub("", title) or None

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("incremental/not_modified")
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("extract/not_html")
            self.logger.warning("not an HTML page, skipped: %s", response.url)
            return
        try:
            fields = extract_article(response.text, response.url, self.profile.extraction)
        except ExtractionError as exc:
            stats.inc_value("extract/failed")
            self.logger.warning("could not extract %s: %s", response.url, exc)
            return
        stats.inc_value("extract/articles")
        self.extracted.update((response.url, response.request.url))
        listed_in = sorted(self.listed_in.get(response.url, ()) or
                           self.listed_in.get(response.request.url, ()))
        item = ArticleItem(
            **fields,
            site=self.profile.name,
            listed_in=listed_in,
            fetched_at=datetime.now(timezone.utc),
            http_status=response.status,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            crawl_id=self.crawl_id,
        )
        if not item["categories"]:
            item["categories"] = listed_in
        yield item

    def on_error(self, failure: Any) -> None:
        self.crawler.stats.inc_value("fetch/errors")
        self.logger.warning("request failed: %s (%s)", failure.request.url, failure.getErrorMessage())
