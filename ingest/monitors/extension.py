"""Spidermon's extension, extended: it also gathers the run's extraction figures, and before
the engine-stop suites run it compares them with the site's recent runs and records the
report in the run's record, where the web app and the next runs find it.

Listed in EXTENSIONS before ingest.logsecrets, so that its engine_stopped handler (alerts,
metrics) still runs while secrets are masked in the logs."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError
from scrapy import signals
from spidermon.contrib.scrapy.extensions import Spidermon

from ingest.items import ArticleItem
from ingest.monitors.checks import Thresholds, compare
from ingest.monitors.figures import RunFigures, run_figures
from ingest.monitors.history import recent_runs, save_report
from ingest.store.crawlstore import CrawlStore
from pipelines.validate import InvalidArticle

logger = logging.getLogger(__name__)


class RunMonitoring(Spidermon):
    def __init__(self, crawler: Any, **kwargs: Any) -> None:
        super().__init__(crawler, **kwargs)
        settings = crawler.settings
        self.thresholds = Thresholds.from_settings(settings)
        self.figures = RunFigures(min_copies=settings.getint("INGEST_MONITOR_MIN_COPIES"))
        self.report: dict[str, Any] | None = None
        # The monitoring's own CPU time, on the reactor thread it runs on: thread_time() costs
        # 0.8 us a reading, process_time() (the whole process's) 2 us, twice per article.
        self.cpu_seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunMonitoring:
        extension = super().from_crawler(crawler)
        crawler.signals.connect(extension.article_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.article_dropped, signal=signals.item_dropped)
        return extension

    def article_scraped(self, item: Any) -> None:
        if isinstance(item, ArticleItem):
            started = time.thread_time()
            self.figures.add(item)
            self.cpu_seconds += time.thread_time() - started

    def article_dropped(self, item: Any, exception: BaseException) -> None:
        if isinstance(item, ArticleItem) and isinstance(exception, InvalidArticle):
            self.article_scraped(item)

    def spider_closed(self, spider: Any) -> None:
        """Before the store pipeline saves the run record (extensions connect first)."""
        for key, value in self.figures.as_stats().items():
            self.crawler.stats.set_value(key, value)
        super().spider_closed(spider)

    def engine_stopped(self) -> None:
        started = time.thread_time()
        store = self.crawler.get_extension(CrawlStore)  # closed after this, at engine_stopped too
        db = store.db if store is not None else None
        try:
            try:
                self.report = self.build_report(self.crawler.spider, db)
            except Exception:  # a run is never lost to its monitoring; the log says why
                logger.exception("quality monitors: no report for this run")
                self.crawler.stats.inc_value("monitors/unavailable")
            super().engine_stopped()  # the suites: monitors, alerts, metrics
            self.cpu_seconds += time.thread_time() - started
            self.crawler.stats.set_value("monitors/cpu_seconds", round(self.cpu_seconds, 4))
            if db is not None and self.report is not None:
                save_report(db, self.crawler.spider.crawl_id, {**self.report,
                                                               "cpu_seconds": round(self.cpu_seconds, 4)})
        except PyMongoError as exc:
            logger.error("quality monitors: could not save the report: %s", exc)

    def build_report(self, spider: Any, db: Database | None) -> dict[str, Any] | None:
        stats = self.crawler.stats
        site = getattr(getattr(spider, "profile", None), "name", None)
        run_id = getattr(spider, "crawl_id", None)
        if not site or not run_id:
            return None
        figures = run_figures(stats.get_stats(), stats.get_value("elapsed_time_seconds"))
        limits = self.thresholds
        runs = recent_runs(db, site, run_id, 2 * limits.history_runs) if db is not None else []
        # A flagged run does not become the baseline: a broken site keeps being reported.
        history = [figures for figures, flagged in runs if not flagged][: limits.history_runs]
        previous = [figures for figures, _ in runs[: limits.new_runs - 1]]
        findings = compare(figures, history, limits, previous)
        report = {"figures": figures, "findings": [f.as_dict() for f in findings],
                  "flagged": bool(findings), "history_runs": len(history),
                  "checked_at": datetime.now(timezone.utc)}
        if db is not None:
            save_report(db, run_id, report)
        if len(history) < self.thresholds.min_history:
            logger.info("quality monitors: %d of %d past runs of %s to compare with; nothing "
                        "flagged until then", len(history), self.thresholds.min_history, site)
        stats.set_value("monitors/findings", len(findings))
        stats.set_value("monitors/finding_lines", [f.message for f in findings])
        for finding in findings:
            logger.warning("quality: %s", finding.message)
        return report

    def _generate_data_for_spider(self, spider: Any) -> dict[str, Any]:
        data = super()._generate_data_for_spider(spider)
        data["quality"] = self.report
        return data
