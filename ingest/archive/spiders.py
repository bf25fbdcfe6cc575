"""Spiders that fetch nothing: their pages come from WARC files, and go through the news
spider's own article parsing, then the crawl's pipelines and store (with a run record).

- WarcImportSpider (`ingest import-warc`): the HTML responses of any WARC files.
- ReextractSpider (`ingest reextract`): the archived page of each stored article, with
  the current extractor."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse

from ingest.archive.reader import ArchivedPage, Problem, Skipped, read_page, read_pages, relocated
from ingest.archive.writer import RecordRef
from ingest.extract.article import GENERIC, ExtractionRules
from ingest.extract.version import extractor_version
from ingest.items import ArticleItem
from ingest.sites import ProfileError, SiteProfile, load_profile
from ingest.spiders.news import NewsSpider, _split
from ingest.store.client import ARTICLES, connect, mongo_uri_from_env
from ingest.store.queries import ArticleFilter, article_query, count_matching

logger = logging.getLogger(__name__)
GENERIC_PROFILE = SiteProfile(name="generic", title="Any site (generic extraction)")
# Items handed to the pipelines and not yet stored or dropped; reading waits above it.
MAX_ITEMS_IN_FLIGHT = 32
PAGE_SIZE = 200


def is_html(content_type: str) -> bool:
    return "html" in content_type.lower()


def page_response(page: ArchivedPage, meta: Mapping[str, Any] | None = None) -> HtmlResponse:
    """The archived page as the response a crawl would have handed the spider (decoded by
    the same rules: Content-Type charset, <meta>, byte order mark, detection)."""
    request = scrapy.Request(page.url, meta=dict(meta or {}))
    return HtmlResponse(url=page.url, status=page.status, headers=page.headers, body=page.body,
                        request=request)


class ArchiveSpider(NewsSpider):
    """What both share: no requests, items read ahead in a window (several pages being
    extracted at once when extraction runs in worker processes), and waiting while the
    pipelines hold MAX_ITEMS_IN_FLIGHT items, so memory stays flat however large the input."""

    def __init__(self, profile: SiteProfile, crawl_id: str | None = None, **kwargs: Any) -> None:
        scrapy.Spider.__init__(self, **kwargs)
        self.profile = profile
        self.extractor = extractor_version(None if profile is GENERIC_PROFILE else profile)
        self.allowed_domains = []
        self.max_pages = 0
        self.crawl_id = crawl_id or (f"{self.name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-"
                                     f"{uuid.uuid4().hex[:6]}")
        self.listed_in = {}
        self.extracted = set()
        self.in_flight = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_done, signal=signal)
        crawler.signals.connect(spider._watch_closing, signal=signals.spider_opened)
        return spider

    def _item_done(self, *args: Any, **kwargs: Any) -> None:
        self.in_flight -= 1

    def _watch_closing(self, spider: Any = None) -> None:
        """Scrapy (2.19) does not check whether a closing spider became idle when an item
        yielded from start() leaves the pipelines (scrapy/scrapy#7029): a crawl stopped
        (SIGTERM, CLOSESPIDER_*) while items were in the pipelines would wait forever. So
        this checks it, every 0.1 s once a stop was asked for."""
        loop = asyncio.get_running_loop()
        scraper = self.crawler.engine.scraper

        def check() -> None:
            slot = scraper.slot
            if slot is None or (slot.closing is not None and slot.closing.called):
                return
            if slot.closing is not None and slot.is_idle():
                scraper._check_if_closing()
            loop.call_later(0.1, check)

        loop.call_later(0.1, check)

    async def _articles(self, response: HtmlResponse, rules: ExtractionRules | None) -> list[ArticleItem]:
        return [item async for item in self.parse_article(response, rules)]

    async def _windowed(self, jobs: Iterable[tuple[Awaitable[list[ArticleItem]], Any]]
                        ) -> AsyncIterator[tuple[list[ArticleItem], Any]]:
        """The outcome of each job, in order, with up to one job per extraction worker (and
        one more) running at once."""
        window = max(1, self.extraction.processes) + (1 if self.extraction.processes else 0)
        pending: deque[tuple[asyncio.Future[list[ArticleItem]], Any]] = deque()
        for job, context in jobs:
            pending.append((asyncio.ensure_future(job), context))
            while len(pending) >= window:
                future, ctx = pending.popleft()
                yield await future, ctx
        while pending:
            future, ctx = pending.popleft()
            yield await future, ctx

    async def _hand_over(self, item: ArticleItem) -> ArticleItem:
        while self.in_flight >= MAX_ITEMS_IN_FLIGHT:
            await asyncio.sleep(0.01)
        self.in_flight += 1
        return item

    def profile_of(self, item: ArticleItem) -> SiteProfile | None:
        """The profile whose time zone and languages date the item (pipelines.dates)."""
        return None if self.profile is GENERIC_PROFILE else self.profile

    def closing(self) -> bool:
        """Whether the crawl is being stopped (CLOSESPIDER_*, an error): Scrapy keeps reading
        start() meanwhile, so the spiders stop handing out pages themselves."""
        slot = getattr(self.crawler.engine, "_slot", None)
        return bool(slot is not None and slot.closing is not None)


class WarcImportSpider(ArchiveSpider):
    """Arguments: files (comma-separated paths), site (profile; default generic: every
    HTML response, each article filed under its host), url_pattern (regular expression the
    URL must match), hosts (comma-separated; subdomains included), languages
    (comma-separated codes the extracted language must be one of)."""

    name = "warc-import"
    change_reason = "import"

    def __init__(self, files: str | list[str] = "", site: str | None = None,
                 url_pattern: str | None = None, hosts: str | list[str] | None = None,
                 languages: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(load_profile(site) if site else GENERIC_PROFILE, **kwargs)
        self.files = [Path(f).resolve() for f in _split(files)]
        try:
            self.url_pattern = re.compile(url_pattern) if url_pattern else None
        except re.error as exc:
            raise ProfileError(f"bad URL pattern {url_pattern!r}: {exc}") from exc
        self.hosts = tuple(h.lower().lstrip(".") for h in _split(hosts))
        self.languages = {code.lower() for code in _split(languages)}
        self.generic = site is None

    def select(self, url: str, content_type: str) -> str | None:
        """Why a response record is not imported, or None to import it. The user's filters
        come first: a record they exclude is not counted as a non-HTML one."""
        host = (urlsplit(url).hostname or "").lower()
        if self.hosts and not any(host == h or host.endswith("." + h) for h in self.hosts):
            return "host"
        if self.url_pattern and not self.url_pattern.search(url):
            return "url_pattern"
        if not self.generic and self.profile.article_url_pattern and not self.profile.is_article_url(url):
            return "not_article_url"
        if content_type and not is_html(content_type):
            return "not_html"
        return None

    async def start(self) -> AsyncIterator[ArticleItem]:
        stats = self.crawler.stats
        max_bytes = self.crawler.settings.getint("INGEST_WARC_MAX_RECORD", 16 << 20)

        def jobs() -> Iterable[tuple[Awaitable[list[ArticleItem]], ArchivedPage]]:
            for path in self.files:
                stats.inc_value("import/files")
                logger.info("importing %s", path)
                for event in read_pages(path, self.select, max_bytes):
                    if isinstance(event, Problem):
                        stats.inc_value(f"import/problems/{event.kind}")
                        stats.inc_value("import/problems")
                        logger.error("%s", event)
                        continue
                    if isinstance(event, Skipped):
                        stats.inc_value(f"import/skipped/{event.reason}")
                        if event.reason == "not_html":
                            logger.warning("not an HTML response, not imported: %s", event.url)
                        continue
                    stats.inc_value("import/responses")
                    if event.status != 200:
                        stats.inc_value("import/skipped/status")
                        continue
                    if not event.content_type and not _looks_like_html(event.body):
                        stats.inc_value("import/skipped/not_html")
                        logger.warning("not an HTML response, not imported: %s", event.url)
                        continue
                    yield self._articles(page_response(event), None), event

        async for items, page in self._windowed(jobs()):
            if self.closing():
                return
            for item in items:
                language = (item.get("language") or "").lower()
                if self.languages and language.split("-")[0] not in self.languages:
                    stats.inc_value("import/skipped/language")
                    continue
                item["archive"] = page.ref.as_dict()
                if self.generic:
                    item["site"] = _site_of(page.url)
                stats.inc_value("import/articles")
                yield await self._hand_over(item)


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def _site_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class ReextractSpider(ArchiveSpider):
    """Arguments: filters (the read side's parameters: site, category, tag, author,
    language, from, to, text), force (re-extract articles the current extractor made too).

    Articles made by an older extractor (or another profile's rules) are extracted again
    from their archived page; what differs is stored (a content change as a new revision,
    change_reason "reextract"), what does not is left as it is but for its `extractor`
    stamp, which is what lets a stopped run start again where it was."""

    name = "reextract"
    change_reason = "reextract"
    FIELDS = ("canonical_url", "site", "archive", "extractor", "listed_in", "crawl_id",
              "last_seen_at", "date_source", "published_at", "modified_at")

    def __init__(self, filters: Mapping[str, str] | None = None, force: bool | str = False,
                 **kwargs: Any) -> None:
        super().__init__(GENERIC_PROFILE, **kwargs)
        self.filter = ArticleFilter.from_params(dict(filters or {}))
        self.force = str(force).lower() in ("1", "true", "yes")
        self.profiles: dict[str, SiteProfile | None] = {}

    def site_profile(self, site: str) -> SiteProfile | None:
        if site not in self.profiles:
            try:
                self.profiles[site] = load_profile(site)
            except ProfileError:
                self.profiles[site] = None  # an imported site, or a profile since removed: generic
        return self.profiles[site]

    def rules_for(self, site: str) -> tuple[ExtractionRules, str]:
        """The site's extraction rules and the extractor version they make."""
        profile = self.site_profile(site)
        return (profile.extraction if profile else GENERIC), extractor_version(profile)

    def profile_of(self, item: ArticleItem) -> SiteProfile | None:
        return self.site_profile(item.get("site") or "")

    def stored_articles(self) -> Iterable[dict[str, Any]]:
        """The matching articles with an archived page, in _id order, a page of them at a time."""
        settings = self.crawler.settings
        uri = mongo_uri_from_env(settings.get("MONGO_URI"))
        if not uri:
            raise RuntimeError("reextract needs a store: MONGO_URI")
        with connect(uri) as client:
            db = client[settings.get("MONGO_DATABASE", "news")]
            query = article_query(db, self.filter)
            total = count_matching(db, {**query, "archive": {"$ne": None}})
            self.crawler.stats.set_value("reextract/matching", total)
            logger.info("%d matching articles have an archived page", total)
            last = None
            while True:
                page_query = {**query, "archive": {"$ne": None}}
                if last is not None:
                    page_query["_id"] = {"$gt": last}
                docs = list(db[ARTICLES].find(page_query, dict.fromkeys(self.FIELDS, 1))
                            .sort("_id", 1).limit(PAGE_SIZE))
                if not docs:
                    return
                yield from docs
                last = docs[-1]["_id"]

    async def start(self) -> AsyncIterator[ArticleItem]:
        stats = self.crawler.stats
        max_bytes = self.crawler.settings.getint("INGEST_WARC_MAX_RECORD", 16 << 20)
        warc_dir = Path(self.crawler.settings.get("INGEST_WARC_DIR") or "data/warc")

        def jobs() -> Iterable[tuple[Awaitable[list[ArticleItem]], tuple[dict[str, Any], str, RecordRef]]]:
            for doc in self.stored_articles():
                stats.inc_value("reextract/seen")
                rules, version = self.rules_for(doc.get("site") or "")
                if doc.get("extractor") == version and not self.force:
                    stats.inc_value("reextract/current")
                    continue
                try:
                    ref = relocated(RecordRef.from_dict(doc["archive"]), warc_dir)
                    page = read_page(ref, max_bytes)
                except (LookupError, ValueError, TypeError, OSError) as exc:
                    stats.inc_value("reextract/missing_record")
                    logger.error("%s: its archived page cannot be read: %s", doc.get("canonical_url"), exc)
                    continue
                meta: dict[str, Any] = {"listed_in": doc.get("listed_in") or []}
                if doc.get("date_source") == "rest-api":  # the CMS's dates, not in the page
                    meta["rest_post"] = {key: _gmt(doc.get(field)) for key, field in
                                         (("date_gmt", "published_at"), ("modified_gmt", "modified_at"))}
                yield self._articles(page_response(page, meta), rules), (doc, version, ref)

        async for items, (doc, version, ref) in self._windowed(jobs()):
            if self.closing():
                return
            if not items:
                stats.inc_value("reextract/not_extracted")
            for item in items:
                item.update(site=doc.get("site"), canonical_url=doc["canonical_url"],
                            crawl_id=doc.get("crawl_id"), archive=ref.as_dict(),
                            extractor=version, last_seen_at=doc.get("last_seen_at"))
                stats.inc_value("reextract/extracted")
                yield await self._hand_over(item)


def _gmt(value: Any) -> str | None:
    """A stored UTC instant as the WordPress REST API writes its *_gmt dates."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") if isinstance(value, datetime) else None
