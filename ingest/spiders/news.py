"""The news spider: category listings -> pagination -> article pages.

It decides only what to follow; every field comes from ingest.extract."""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.selector import Selector
from scrapy.http import Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.sitemap import Sitemap

from ingest.archive.middleware import META_KEY as WARC_RECORD
from ingest.extract import selectors
from ingest.extract.article import ExtractionRules
from ingest.extract.html import ExtractionError
from ingest.extract.version import extractor_version
from ingest.extraction_workers import ExtractionWorkers
from ingest.items import ArticleItem, ListingUpdate
from ingest.sites import ENTRY_POINTS, ProfileError, SiteProfile, load_profile
from ingest.store.crawlstore import CrawlStore
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


def reads_like_headline(anchor: Selector) -> bool:
    """Whether a link reads like a headline: its text (or image alt) has a letter, or it has
    none at all (a bare thumbnail). A link reading only "17" or "2" is a calendar day or a page
    number, whatever its URL looks like: endless calendars link every day of every month."""
    text = "".join(anchor.xpath(".//text() | .//img/@alt").getall())
    return not text.strip() or any(ch.isalpha() for ch in text)


def within_listing(url: str, listing: str) -> bool:
    """Whether `url` lies under the listing page `listing` (its path or below)."""
    path, base = urlsplit(url).path, urlsplit(listing).path
    return path == base or path.startswith(base.rstrip("/") + "/")


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


class NewsSpider(scrapy.Spider):
    """Crawl a site described by a profile.

    Arguments (`-a name=value`): site (profile name or TOML path, default "wordpress"),
    start_urls (comma-separated category listings, replacing the profile's), base_url (resolve
    the profile's relative URLs, e.g. the local demo site), all_categories (follow every
    category in the site's menu), max_pages (per category; 0 = to the end), crawl_id,
    full (ignore what is stored: fetch every listing page and article), resume (after an
    unclean stop: every listing page, but only articles not stored yet; "auto": so when the
    site's last run did not finish cleanly, as `ingest crawl` asks), entry_points
    (comma-separated: listings, sitemap, feed, rest; default the profile's).

    Incremental by default: with a store configured, a category's pagination stops once
    INGEST_STOP_AFTER_KNOWN stored articles were listed, stored articles are skipped, and
    those published in the last INGEST_REFRESH_DAYS are fetched again conditionally."""

    name = "news"
    change_reason = "crawl"  # what the store records as the reason for a new version

    def __init__(self, site: str = "wordpress", start_urls: str | list[str] | None = None,
                 base_url: str | None = None, all_categories: str | bool | None = None,
                 max_pages: str | int | None = None, crawl_id: str | None = None,
                 full: str | bool | None = None, resume: str | bool | None = None,
                 entry_points: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        profile = load_profile(site)
        if base_url:
            profile = profile.with_base_url(base_url)
        if start_urls:
            profile = profile.with_start_urls(_split(start_urls))
        self.all_categories = _flag(all_categories) if all_categories is not None else profile.all_categories
        self.entry_points = tuple(_split(entry_points)) or profile.entry_points
        unknown = set(self.entry_points) - ENTRY_POINTS
        if unknown:
            raise ProfileError(f"unknown entry points {sorted(unknown)}; known: {sorted(ENTRY_POINTS)}")
        if "listings" in self.entry_points and not profile.start_urls and not (
                self.all_categories and profile.home_url):
            raise ProfileError(
                f"site {profile.name!r} has no start URLs: pass -a start_urls=<category URL>"
            )
        self.profile: SiteProfile = profile
        self.extractor = extractor_version(profile)
        self.allowed_domains = list(profile.allowed_domains)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.crawl_id = crawl_id or f"{profile.name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        # What the spider remembers of each URL is keyed by hash(url), not the URL: a crawl
        # keeps it for every article it lists, and an int costs a quarter of a URL string (a
        # collision, ~1e-8 at a million URLs, would merge two articles' listings).
        self.listed_in: dict[int, tuple[str, ...]] = {}
        self.extracted: set[int] = set()
        self.full = _flag(full)
        self.resume = _flag(resume)
        self.resume_if_unclean = str(resume).lower() == "auto"
        self.known: dict[str, dict[str, Any]] = {}
        self.known_listed: Counter[str] = Counter()
        self.rest_categories: dict[int, str] = {}
        self.category_links: dict[str, set[int]] = defaultdict(set)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.settings.setdict(spider.profile.settings, priority="spider")
        if spider.max_pages is None:
            spider.max_pages = crawler.settings.getint("INGEST_MAX_PAGES_PER_CATEGORY")
        spider.extraction = ExtractionWorkers.from_crawler(crawler)
        return spider

    def load_known(self) -> None:
        """Stored articles of this site, for an incremental or resumed run."""
        store = self.crawler.get_extension(CrawlStore)
        if self.full or store is None:
            return
        if self.resume_if_unclean and store.previous_run_unclean(self.profile.name, self.crawl_id):
            self.resume = True
            self.logger.warning("the last run of %s did not finish cleanly; resuming: every listing "
                                "page, only articles not stored yet", self.profile.name)
        if not self.crawler.settings.getbool("INGEST_INCREMENTAL"):
            return
        self.known = store.known_articles(self.profile.name)
        self.logger.info("%s run: %d stored URLs of %s known",
                         "resumed" if self.resume else "incremental", len(self.known), self.profile.name)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_known()
        profile, entries = self.profile, self.entry_points
        if "listings" in entries:
            if self.all_categories and profile.home_url:
                yield scrapy.Request(profile.home_url, callback=self.parse_menu)
            for url in profile.start_urls:
                yield self._listing_request(url, category=None, page=1)
        if "sitemap" in entries:
            for url in profile.sitemap_urls or [urljoin(profile.home_url or "", "/sitemap_index.xml")]:
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, priority=10)
        if "feed" in entries:
            for url in profile.feed_urls or [urljoin(profile.home_url or "", "/feed/")]:
                yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error, priority=10)
        if "rest" in entries:
            api = profile.rest_api or urljoin(profile.home_url or "", "/wp-json/")
            yield scrapy.Request(urljoin(api, "wp/v2/categories?per_page=100"), priority=10,
                                 callback=self.parse_rest_categories, errback=self.on_error,
                                 cb_kwargs={"api": api})

    def _listing_request(self, url: str, category: str | None, page: int,
                         chain: str | None = None) -> scrapy.Request:
        """A listing page; `chain` names the pagination it belongs to (its first page)."""
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, priority=10,
                              cb_kwargs={"category": category, "page": page, "chain": chain or url})

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

    def parse_listing(self, response: Response, category: str | None, page: int, chain: str
                      ) -> Iterator[scrapy.Request | ListingUpdate]:
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("listing/not_html")
            return
        stats.inc_value("listing/pages")
        category = category or self._archive_title(response)
        named: dict[str, bool] = {}  # article-shaped URL -> whether some link to it reads like a headline
        for anchor in response.xpath(f"//a[@href][not({LINK_NOISE_XPATH})]"):
            url = response.urljoin(anchor.attrib["href"]).split("#")[0]
            if self.profile.is_article_url(url):
                named[url] = named.get(url, False) or reads_like_headline(anchor)
        links = [url for url, ok in named.items() if ok]
        if len(links) < len(named):
            stats.inc_value("listing/numeric_links_skipped", len(named) - len(links))
        stats.inc_value("listing/article_links", len(links))
        known_here = sum(url in self.known for url in links)
        for url in links:
            yield from self.follow_article(url, [category] if category else [])
        if not links:
            stats.inc_value("listing/empty_pages")
            self.logger.info("listing %s has no article links; not paginating further", response.url)
            return
        key = category or chain
        seen_here = self.category_links[key]
        hashes = [hash(url) for url in links]
        fresh = [h for h in hashes if h not in seen_here]
        seen_here.update(hashes)
        if not fresh:  # a page repeating earlier ones: a pagination trap, or the end
            stats.inc_value("listing/repeating_pages")
            self.logger.info("listing %s repeats earlier pages; not paginating further", response.url)
            return
        if self._enough_known(key, known_here):
            return
        if self.max_pages and page >= self.max_pages:
            stats.inc_value("listing/page_limit_reached")
            return
        next_href = None
        for css in selectors.NEXT_PAGE:
            next_href = response.css(css).attrib.get("href")
            if next_href:
                break
        if not next_href:
            return
        next_url = response.urljoin(next_href)
        if not (within_listing(next_url, chain) or self.profile.is_category_url(next_url)):
            stats.inc_value("listing/next_outside_listing")
            self.logger.info("listing %s: its next link %s leaves the listing (a calendar, another "
                             "section); not following it", response.url, next_url)
            return
        yield self._listing_request(next_url, category, page + 1, chain)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | ListingUpdate]:
        """Sitemap indexes and URL sets (sitemaps.org); article URLs by the profile's pattern."""
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds on broken XML
            self.crawler.stats.inc_value("sitemap/unparsable")
            self.logger.warning("unparsable sitemap %s: %s", response.url, exc)
            return
        self.crawler.stats.inc_value("sitemap/files")
        for entry in sitemap:
            url = response.urljoin(entry.get("loc", "").strip())
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, priority=10)
            elif self.profile.is_article_url(url):
                self.crawler.stats.inc_value("listing/article_links")
                yield from self.follow_article(url, [])

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | ListingUpdate]:
        """RSS 2.0 and Atom: each entry's link and categories."""
        response = response.replace(cls=XmlResponse) if not isinstance(response, XmlResponse) else response
        response.selector.remove_namespaces()
        entries = response.xpath("//item | //entry")
        self.crawler.stats.inc_value("feed/entries", len(entries))
        for entry in entries:
            link = (entry.xpath("link/text()").get() or entry.xpath("link/@href").get() or "").strip()
            url = response.urljoin(link)
            if not self.profile.is_article_url(url):
                continue
            categories = [collapse_spaces(c) for c in
                          entry.xpath("category/text() | category/@term").getall() if collapse_spaces(c)]
            self.crawler.stats.inc_value("listing/article_links")
            yield from self.follow_article(url, categories)

    def parse_rest_categories(self, response: Response, api: str) -> Iterator[scrapy.Request]:
        self.rest_categories = {c["id"]: collapse_spaces(c["name"]) for c in json.loads(response.text)}
        yield self._rest_posts_request(api, 1)

    def _rest_posts_request(self, api: str, page: int) -> scrapy.Request:
        fields = "id,link,date_gmt,modified_gmt,categories"
        return scrapy.Request(urljoin(api, f"wp/v2/posts?per_page=100&page={page}&_fields={fields}"),
                              callback=self.parse_rest_posts, errback=self.on_error, priority=10,
                              cb_kwargs={"api": api, "page": page})

    def parse_rest_posts(self, response: Response, api: str, page: int
                         ) -> Iterator[scrapy.Request | ListingUpdate]:
        """WordPress REST API posts, newest first: exact GMT dates and category names."""
        try:
            posts = json.loads(response.text)
        except ValueError as exc:
            self.crawler.stats.inc_value("rest/unparsable")
            self.logger.warning("REST API answered non-JSON at %s: %s", response.url, exc)
            return
        self.crawler.stats.inc_value("rest/pages")
        links = [p for p in posts if self.profile.is_article_url(p.get("link", ""))]
        self.crawler.stats.inc_value("listing/article_links", len(links))
        for post in links:
            names = [self.rest_categories[c] for c in post.get("categories", []) if c in self.rest_categories]
            meta = {"rest_post": {"date_gmt": post.get("date_gmt"), "modified_gmt": post.get("modified_gmt")}}
            yield from self.follow_article(post["link"], names, meta)
        if self._enough_known("rest-api", sum(p["link"] in self.known for p in links)):
            return
        total_pages = int(response.headers.get(b"X-WP-TotalPages", b"1") or 1)
        if page < total_pages and (not self.max_pages or page < self.max_pages):
            yield self._rest_posts_request(api, page + 1)

    def follow_article(self, url: str, categories: list[str], meta: dict[str, Any] | None = None
                       ) -> Iterator[scrapy.Request | ListingUpdate]:
        """The request for an article found in a listing, sitemap, feed or the REST API, unless
        it is stored already (and not due for a refresh); its categories are recorded either way."""
        stored = self.known.get(url)
        key = hash(url)
        listed = self.listed_in.get(key, ())
        new_categories = list(dict.fromkeys(c for c in categories if c not in listed))
        if new_categories:
            self.listed_in[key] = listed + tuple(sys.intern(c) for c in new_categories)
            if key in self.extracted or stored is not None:  # not (or no longer) to be fetched
                yield ListingUpdate(url=url, listed_in=new_categories)
        if stored is None:
            # listed_in: for the store, should the request be a duplicate of another worker's
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 meta={**(meta or {}), "listed_in": categories})
        elif not self.resume and self._due_for_refresh(stored):
            yield self._refresh_request(url, stored, meta)
        else:
            self.crawler.stats.inc_value("incremental/skipped_known")

    def _enough_known(self, key: str, known_here: int) -> bool:
        """Whether an incremental run has seen enough stored articles in this listing (newest
        first) to stop paginating it."""
        self.known_listed[key] += known_here
        stop_after = self.crawler.settings.getint("INGEST_STOP_AFTER_KNOWN")
        if self.known and not self.resume and stop_after and self.known_listed[key] >= stop_after:
            self.crawler.stats.inc_value("incremental/pagination_stopped")
            return True
        return False

    def _due_for_refresh(self, stored: dict[str, Any]) -> bool:
        days = self.crawler.settings.getfloat("INGEST_REFRESH_DAYS")
        published = stored.get("published_at")
        return bool(days and published and published >= datetime.now(timezone.utc) - timedelta(days=days))

    def _refresh_request(self, url: str, stored: dict[str, Any], meta: dict[str, Any] | None = None
                         ) -> scrapy.Request:
        """A recent article fetched again for edits; unchanged pages answer 304."""
        headers = {}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            headers["If-Modified-Since"] = stored["last_modified"]
        self.crawler.stats.inc_value("incremental/refreshed")
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, headers=headers,
                              meta={**(meta or {}), "handle_httpstatus_list": [304]})

    def _archive_title(self, response: TextResponse) -> str | None:
        title = collapse_spaces(" ".join(
            response.css("h1.page-title ::text, h1.archive-title ::text, .page-header h1 ::text").getall()
        ))
        return ARCHIVE_PREFIX.sub("", title) or None

    async def parse_article(self, response: Response, rules: ExtractionRules | None = None
                            ) -> AsyncIterator[ArticleItem]:
        """The article of a page; `rules` replaces the profile's extraction rules (an
        archived page of another site)."""
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("incremental/not_modified")
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("extract/not_html")
            self.logger.warning("not an HTML page, skipped: %s", response.url)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        try:
            fields = await self.extraction.extract(response.body, response.url,
                                                   rules or self.profile.extraction, content_type)
        except ExtractionError as exc:
            stats.inc_value("extract/failed")
            self.logger.warning("could not extract %s: %s", response.url, exc)
            return
        except Exception as exc:  # a bug on one page must not end the crawl: counted, with its reason
            stats.inc_value("extract/failed")
            stats.inc_value(f"extract/failed/{type(exc).__name__}")
            self.logger.error("extraction failed on %s: %r", response.url, exc, exc_info=True)
            return
        rest_post = response.meta.get("rest_post")
        if rest_post and rest_post.get("date_gmt"):  # the CMS's own UTC time: exact
            fields["published_raw"] = rest_post["date_gmt"] + "+00:00"
            fields["date_source"] = "rest-api"
            if rest_post.get("modified_gmt"):
                fields["modified_raw"] = rest_post["modified_gmt"] + "+00:00"
        stats.inc_value("extract/articles")
        keys = (hash(response.url), hash(response.request.url))
        self.extracted.update(keys)
        listed_in = sorted(set(self.listed_in.get(keys[0], ()) or self.listed_in.get(keys[1], ()))
                           | set(response.meta.get("listed_in") or ()))  # another worker's listing
        item = ArticleItem(
            **fields,
            site=self.profile.name,
            listed_in=listed_in,
            fetched_at=datetime.now(timezone.utc),
            http_status=response.status,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            crawl_id=self.crawl_id,
            archive=response.meta.get(WARC_RECORD),
            extractor=self.extractor,
            change_reason=self.change_reason,
        )
        if not item["categories"]:
            item["categories"] = listed_in
        yield item

    def on_error(self, failure: Any) -> None:
        too_large = failure.check(DownloadCancelledError) or isinstance(
            failure.value.__cause__, _DecompressionMaxSizeExceeded)  # a decompression bomb
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and not too_large:
            self.crawler.stats.inc_value("fetch/refused")  # robots.txt, allowlist: decisions
            return
        if too_large:  # over DOWNLOAD_MAXSIZE, sent as is or once decompressed: a lost page
            self.crawler.stats.inc_value("fetch/too_large")
        self.crawler.stats.inc_value("fetch/errors")
        self.logger.warning("request failed: %s (%s)", failure.request.url, failure.getErrorMessage())
