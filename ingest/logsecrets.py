"""Secret settings stay out of the logs. Scrapy logs every overridden setting when a crawl
starts, so `--set HTTPAUTH_PASS=...` would otherwise be printed in clear; the values of the
settings INGEST_SECRET_SETTINGS names are masked in every log line while the crawl runs."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

MASK = "***"


class SecretMask(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, None
        return True


class SecretSettingsLogFilter:
    """Built with the crawler's extensions, i.e. before Scrapy logs the settings."""

    def __init__(self, secrets: list[str]) -> None:
        self.mask = SecretMask(secrets)
        self.handlers: list[logging.Handler] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> SecretSettingsLogFilter:
        names = crawler.settings.getlist("INGEST_SECRET_SETTINGS")
        secrets = [str(crawler.settings[name]) for name in names if crawler.settings.get(name)]
        if not secrets:
            raise NotConfigured
        extension = cls(secrets)
        extension.install()
        crawler.signals.connect(extension.uninstall, signal=signals.engine_stopped)
        return extension

    def install(self) -> None:
        # On the handlers: a logger's own filters do not see its children's records.
        self.handlers = list(logging.getLogger().handlers)
        for handler in self.handlers:
            handler.addFilter(self.mask)

    def uninstall(self) -> None:
        for handler in self.handlers:
            handler.removeFilter(self.mask)
