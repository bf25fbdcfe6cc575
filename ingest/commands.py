"""What the commands share: their settings, the store they open, a crawl run in this process."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymongo.database import Database
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

DEFAULT_DATA_DIR = Path("data")


def project_settings(args: argparse.Namespace | None = None) -> Settings:
    """The settings a command runs with: ingest.settings (or $SCRAPY_SETTINGS_MODULE) with
    the environment's values, then the command line: the flags naming the store and the
    frontier, then `--set`. A crawl adds its site profile's [settings] under the command line."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "ingest.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    flags = {"MONGO_URI": getattr(args, "mongo_uri", None),
             "MONGO_DATABASE": getattr(args, "database", None),
             "INGEST_REDIS_URL": getattr(args, "redis_url", None)}
    settings.setdict({name: value for name, value in flags.items() if value}, priority="cmdline")
    settings.setdict(_set_overrides(args), priority="cmdline")
    return settings


class StoreUnreachable(RuntimeError):
    """The store did not answer when a command started; the message is one line, without
    credentials."""


@contextlib.contextmanager
def mongo_store(settings: Settings, data_dir: Path) -> Iterator[str]:
    """The MongoDB to use: MONGO_URI, else the data folder's shared embedded server,
    adopted or started, and left (stopped by its last user) at the end."""
    from pymongo.errors import InvalidURI, PyMongoError

    from ingest.store.client import connect, redact_uri
    from ingest.store.embedded import EmbeddedMongo

    uri = settings.get("MONGO_URI")
    if not uri:
        with EmbeddedMongo(data_dir, idle_timeout=settings.getfloat("INGEST_EMBEDDED_IDLE_SECONDS")) as server:
            how = "joined the running" if server.adopted else "started an"
            print(f"store: {how} embedded MongoDB-wire server at {server.uri} (pid {server.server_pid}, "
                  f"data in {data_dir})", file=sys.stderr)
            yield server.uri
        return
    shown = redact_uri(uri)
    print(f"store: {shown}", file=sys.stderr)
    seconds = settings.getfloat("MONGO_CONNECT_SECONDS")
    started = time.monotonic()
    try:
        with connect(uri, serverSelectionTimeoutMS=int(seconds * 1000)) as client:
            client.admin.command("ping")
    except (InvalidURI, ValueError):  # pymongo's message may quote part of the URI
        raise StoreUnreachable(f"the store URI {shown} is not a valid MongoDB URI (a user name "
                               "or password must be escaped: urllib.parse.quote_plus)") from None
    except PyMongoError as exc:  # its message may quote the URI: only its name is shown
        raise StoreUnreachable(f"the store at {shown} could not be reached (tried for "
                               f"{time.monotonic() - started:.1f}s: {type(exc).__name__})") from None
    yield uri


@contextlib.contextmanager
def store_database(args: argparse.Namespace, **client_options: Any) -> Iterator[Database]:
    """The database a read command uses (MONGO_URI and MONGO_DATABASE, or their flags)."""
    settings = project_settings(args)
    with mongo_store(settings, args.data_dir / "store") as uri, \
            open_database(settings, uri, **client_options) as db:
        yield db


@contextlib.contextmanager
def open_database(settings: Settings, uri: str, **client_options: Any) -> Iterator[Database]:
    """MONGO_DATABASE at `uri`, queried in the dialect INGEST_STORE_DIALECT names."""
    from ingest.store.client import connect

    with connect(uri, settings.get("INGEST_STORE_DIALECT"), **client_options) as client:
        yield client[settings.get("MONGO_DATABASE")]


def run_crawl(spider_args: dict[str, Any], settings: Settings, spider_cls: Any = None) -> Crawler:
    """One crawl in this process (of the news spider, or `spider_cls`); returns its crawler
    (final stats and settings)."""
    from scrapy.crawler import CrawlerProcess

    from ingest.spiders.news import NewsSpider

    _import_stack_walkers()
    process = CrawlerProcess(settings)
    if settings.get("INGEST_LOG_FILE"):  # in addition to stderr, which Scrapy keeps
        _also_log_to(Path(settings["INGEST_LOG_FILE"]), settings.get("LOG_LEVEL"))
    crawler = process.create_crawler(spider_cls or NewsSpider)
    process.crawl(crawler, **spider_args)
    process.start()
    return crawler


def _import_stack_walkers() -> None:
    """Modules that call inspect.stack() when imported (Scrapy's deprecated-class shims in
    its TLS context factory, Spidermon's template discovery), imported here, a few frames
    deep: inspect.stack() reads the source of every frame on the stack, and imported inside
    the running crawl (30-odd frames of Twisted and Scrapy) they took ~0.3 s of CPU at every
    start, a sixth of a small crawl's."""
    import scrapy.core.downloader.contextfactory  # noqa: F401
    import scrapy.core.downloader.tls  # noqa: F401
    import spidermon.contrib.actions  # noqa: F401


def _also_log_to(path: Path, level: str) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    logging.getLogger().addHandler(handler)


def crawl_settings(args: argparse.Namespace, uri: str, **overrides: Any) -> Settings:
    """A crawl's settings: the store's URI (masked in logs: INGEST_SECRET_SETTINGS), the log
    flags, then `--set` over everything."""
    flags: dict[str, Any] = {"MONGO_URI": uri, **overrides}
    if args.data_dir != DEFAULT_DATA_DIR:
        flags["DEAD_LETTER_DIR"] = str(args.data_dir / "dead-letter")
        flags["INGEST_WARC_DIR"] = str(args.data_dir / "warc")
    if args.log_file:
        args.log_file.parent.mkdir(parents=True, exist_ok=True)
        flags["INGEST_LOG_FILE"] = str(args.log_file)
    if args.log_level:
        flags["LOG_LEVEL"] = args.log_level
    settings = project_settings(args)
    settings.setdict(flags, priority="cmdline")
    settings.setdict(_set_overrides(args), priority="cmdline")
    return settings


def _set_overrides(args: argparse.Namespace | None) -> dict[str, str]:
    """The `--set NAME=VALUE` settings."""
    return {name.strip(): value for name, _, value in
            (assignment.partition("=") for assignment in getattr(args, "set", None) or [])}


def print_run(stats: dict[str, Any]) -> None:
    get = stats.get
    print(f"run: {get('finish_reason')} | pages {get('response_received_count', 0)} | "
          f"articles {get('extract/articles', 0)} | new {get('mongo/new', 0)} | "
          f"changed {get('mongo/changed', 0)} | unchanged {get('mongo/unchanged', 0)} | "
          f"dead-lettered {get('mongo/dead_lettered', 0)}", file=sys.stderr)
