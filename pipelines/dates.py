"""Raw page dates -> UTC instants, in the site's time zone when the page gives none, and
the publication date as the site's calendar shows it (published_local)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from ingest.dates import parse_local
from ingest.items import ArticleItem
from pipelines.base import ArticlePipeline


class DatesPipeline(ArticlePipeline):
    """The spider's site profile gives the time zone and languages (a spider whose items
    come from several sites names each item's: `profile_of(item)`); without one, the
    INGEST_DEFAULT_TIMEZONE setting."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.default_timezone = self.settings.get("INGEST_DEFAULT_TIMEZONE", "UTC")

    def process_article(self, item: ArticleItem) -> ArticleItem:
        adapter = ItemAdapter(item)
        spider = self.crawler.spider
        profile_of = getattr(spider, "profile_of", None)
        profile = profile_of(item) if profile_of else getattr(spider, "profile", None)
        tz = profile.timezone if profile else self.default_timezone
        languages = list(profile.languages) if profile and profile.languages else None
        language = adapter.get("language")
        if language and languages and language not in languages:
            languages = [language, *languages]
        for raw_field, field in (("published_raw", "published_at"), ("modified_raw", "modified_at")):
            raw = adapter.get(raw_field)
            if not raw:
                adapter[field] = None
                if field == "published_at":
                    adapter["published_local"] = adapter["published_zone"] = None
                self.stats.inc_value(f"dates/missing/{field}")
                continue
            stated = parse_local(raw, timezone=tz, languages=languages, url=adapter.get("url") or "",
                                 printed=adapter.get("printed_date_raw") if field == "published_at" else None)
            value = stated.utc if stated else None
            adapter[field] = value
            if field == "published_at":
                adapter["published_local"] = stated.local if stated else None
                adapter["published_zone"] = stated.zone if stated else None
            if value is None:
                self.stats.inc_value(f"dates/unparsable/{field}")
                if spider is not None:
                    spider.logger.info("unparsable %s %r on %s", field, raw, adapter.get("url"))
            else:
                self.stats.inc_value(f"dates/parsed/{field}")
        published, modified = adapter.get("published_at"), adapter.get("modified_at")
        if published and modified and modified < published:
            adapter["modified_at"] = published
            self.stats.inc_value("dates/fixed/modified_before_published")
        return item
