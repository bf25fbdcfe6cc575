"""The Spidermon suite run when a crawl's engine stops: one monitor per kind of finding,
alerts when any failed, metrics after every run. Actions whose settings are missing are
left out (Spidermon would refuse to build the suite)."""

from __future__ import annotations

import warnings
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action
from spidermon.exceptions import NotConfigured

from ingest.monitors.actions import AlertFile, EmailAlert, PrometheusMetrics, WebhookAlert

# Spidermon 1.27's runner logs through Spider.log(), which Scrapy 2.19 deprecates.
warnings.filterwarnings("ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning,
                        r"spidermon\.")
ALERTS: tuple[type[Action], ...] = (AlertFile, WebhookAlert, EmailAlert)
FINISHED: tuple[type[Action], ...] = (PrometheusMetrics,)


@monitors.name("Extraction against the site's recent runs")
class RunQualityMonitor(Monitor):
    def _no_findings(self, *checks: str) -> None:
        quality = self.data.quality
        if not quality:
            self.skipTest("no figures for this run")
        lines = [f["message"] for f in quality["findings"] if f["check"].split(":")[0] in checks]
        self.assertFalse(lines, msg="; ".join(lines))

    @monitors.name("Fields filled as usual")
    def test_fill_rates(self) -> None:
        self._no_findings("fill")

    @monitors.name("Bodies and titles look like articles")
    def test_bodies_and_titles(self) -> None:
        self._no_findings("body_length", "boilerplate", "repeated_titles")

    @monitors.name("New articles as usual")
    def test_new_articles(self) -> None:
        self._no_findings("new_articles")

    @monitors.name("Errors and invalid articles as usual")
    def test_errors_and_invalid(self) -> None:
        self._no_findings("errors", "invalid")


def configured(actions: tuple[type[Action], ...], crawler: Any) -> list[Action]:
    built = []
    for action in actions:
        try:
            built.append(action.from_crawler(crawler))
        except NotConfigured:
            continue
    return built


class RunQualitySuite(MonitorSuite):
    monitors = [RunQualityMonitor]

    def __init__(self, *args: Any, crawler: Any = None, **kwargs: Any) -> None:
        if crawler is not None:
            kwargs.setdefault("monitors_failed_actions", configured(ALERTS, crawler))
            kwargs.setdefault("monitors_finished_actions", configured(FINISHED, crawler))
        super().__init__(*args, crawler=crawler, **kwargs)
