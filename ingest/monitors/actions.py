"""Spidermon actions run after the quality monitors: alerts (a file, a Slack-compatible
webhook, e-mail) when a run was flagged, Prometheus metrics after every run.

Spidermon's own SMTP action (SendSmtpEmail, 1.27.0) is not usable here: it refuses an SMTP
server without login, and it sends through scrapy.mail.MailSender, which puts the whole MIME
message in the plain-text body of a new one and returns a Deferred nobody waits for (the
monitors run as the engine stops). EmailAlert keeps Spidermon's SendEmail (settings,
templates, message) and sends with smtplib instead. Spidermon's Slack action needs a Slack
API token; WebhookAlert posts to an incoming-webhook URL, as Slack, Mattermost, Rocket.Chat
and Discord's /slack endpoint accept."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import Message
from pathlib import Path
from typing import Any

import requests
from spidermon.contrib.actions.email import SendEmail
from spidermon.contrib.actions.templates import ActionWithTemplates
from spidermon.core.actions import Action
from spidermon.exceptions import NotConfigured

from ingest.logsecrets import MASK

logger = logging.getLogger(__name__)
TEMPLATE = "findings.jinja"


class AlertError(Exception):
    """An alert could not be delivered; the message names no secret."""


def _context(action: ActionWithTemplates) -> dict[str, Any]:
    quality = action.data.quality or {}
    spider = action.data.spider
    site = _context_site(spider)
    count = len(quality.get("findings") or ())
    return {"site": site, "run_id": getattr(spider, "crawl_id", None),
            "header": f"ingest: the crawl of {site} (run {getattr(spider, 'crawl_id', '?')}) "
                      f"extracted worse than usual: {count} finding{'s' if count != 1 else ''}"}


class QualityTemplates(ActionWithTemplates):
    def get_template_context(self) -> dict[str, Any]:
        context = super().get_template_context()
        context.update(_context(self))
        return context


class AlertFile(QualityTemplates):
    """Appends the findings, a header line and one line each, to INGEST_ALERT_FILE (a Jinja
    template: `data/alerts/{{ site }}.log`)."""

    def __init__(self, filename: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not filename:
            raise NotConfigured("INGEST_ALERT_FILE is not set")
        self.filename = filename

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        return {"filename": crawler.settings.get("INGEST_ALERT_FILE")}

    def run_action(self) -> None:
        path = Path(self.render_text_template(self.filename))
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with path.open("a", encoding="utf-8") as stream:
            stream.write(f"[{stamp}] {self.render_template(TEMPLATE).strip()}\n")


class WebhookAlert(QualityTemplates):
    """POSTs Slack-compatible JSON ({"text": ...}) to INGEST_ALERT_WEBHOOK_URL."""

    def __init__(self, url: str | None = None, timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not url:
            raise NotConfigured("INGEST_ALERT_WEBHOOK_URL is not set")
        self.url = url
        self.timeout = timeout

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        return {"url": crawler.settings.get("INGEST_ALERT_WEBHOOK_URL"),
                "timeout": crawler.settings.getfloat("INGEST_ALERT_TIMEOUT")}

    def run_action(self) -> None:
        text = self.render_template(TEMPLATE).strip()
        try:
            response = requests.post(self.url, json={"text": text}, timeout=self.timeout)
        except requests.RequestException as exc:  # its message holds the URL, a secret
            raise AlertError(f"webhook unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise AlertError(f"webhook answered HTTP {response.status_code}")


class EmailAlert(QualityTemplates, SendEmail):
    """Spidermon's e-mail (SPIDERMON_EMAIL_TO, SPIDERMON_EMAIL_SENDER, SPIDERMON_EMAIL_SUBJECT,
    SPIDERMON_SMTP_HOST/PORT/USER/PASSWORD/ENFORCE_TLS/ENFORCE_SSL), sent with smtplib."""

    body_text_template = TEMPLATE
    body_html_template = None

    def __init__(self, smtp: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.smtp = smtp or {}
        if not self.smtp.get("host"):
            raise NotConfigured("SPIDERMON_SMTP_HOST is not set")

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        kwargs = super().from_crawler_kwargs(crawler)
        settings = crawler.settings
        kwargs["body_html_template"] = None
        kwargs["smtp"] = {"host": settings.get("SPIDERMON_SMTP_HOST"),
                          "port": settings.getint("SPIDERMON_SMTP_PORT") or None,
                          "user": settings.get("SPIDERMON_SMTP_USER"),
                          "password": settings.get("SPIDERMON_SMTP_PASSWORD"),
                          "tls": settings.getbool("SPIDERMON_SMTP_ENFORCE_TLS"),
                          "ssl": settings.getbool("SPIDERMON_SMTP_ENFORCE_SSL"),
                          "timeout": settings.getfloat("INGEST_ALERT_TIMEOUT")}
        return kwargs

    def send_message(self, message: Message, **kwargs: Any) -> None:
        smtp = self.smtp
        client_class = smtplib.SMTP_SSL if smtp["ssl"] else smtplib.SMTP
        port = smtp["port"] or (465 if smtp["ssl"] else 25)
        try:
            with client_class(smtp["host"], port, timeout=smtp["timeout"]) as client:
                if smtp["tls"]:
                    client.starttls(context=ssl.create_default_context())
                if smtp["user"]:
                    client.login(smtp["user"], smtp["password"] or "")
                recipients = [*self.to, *(self.cc or ()), *(self.bcc or ())]
                del message["Bcc"]
                client.sendmail(self.sender, recipients, message.as_string())
        except (OSError, smtplib.SMTPException) as exc:
            detail = str(exc).replace(smtp["password"], MASK) if smtp["password"] else str(exc)
            raise AlertError(f"e-mail not sent via {smtp['host']}:{port}: {detail}") from None


class PrometheusMetrics(Action):
    """After every run: the run's figures to INGEST_METRICS_DIR (textfile collector) and/or
    INGEST_METRICS_PUSHGATEWAY."""

    def __init__(self, directory: str | None = None, gateway: str | None = None,
                 timeout: float = 10.0) -> None:
        super().__init__()
        if not directory and not gateway:
            raise NotConfigured("neither INGEST_METRICS_DIR nor INGEST_METRICS_PUSHGATEWAY is set")
        self.directory = directory
        self.gateway = gateway
        self.timeout = timeout

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        return {"directory": crawler.settings.get("INGEST_METRICS_DIR"),
                "gateway": crawler.settings.get("INGEST_METRICS_PUSHGATEWAY"),
                "timeout": crawler.settings.getfloat("INGEST_ALERT_TIMEOUT")}

    def run_action(self) -> None:
        from ingest.monitors import metrics  # prometheus_client: ~0.1 s to import, for runs that export

        quality = self.data.quality
        if not quality:
            return
        site = _context_site(self.data.spider)
        registry = metrics.run_registry(site, quality, time.time())
        if self.directory:
            path = metrics.write_textfile(self.directory, site, registry)
            logger.info("metrics written to %s", path)
        if self.gateway:
            try:
                metrics.push(self.gateway, site, registry, timeout=self.timeout)
            except OSError as exc:  # URLError, HTTPError: their text may hold the URL
                raise AlertError(f"Pushgateway push failed: {type(exc).__name__} "
                                 f"{getattr(exc, 'code', '')}".rstrip()) from None


def _context_site(spider: Any) -> str:
    return getattr(getattr(spider, "profile", None), "name", None) or getattr(spider, "name", "unknown")
