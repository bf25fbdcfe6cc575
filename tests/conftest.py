"""Shared test fixtures: a real MongoDB-wire server (embedded, or the one TEST_MONGO_URI /
MONGO_URI names) and a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import monitoring
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from ingest.store.client import StoreClient, connect
from ingest.store.embedded import EmbeddedMongo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    uri = os.environ.get("TEST_MONGO_URI") or os.environ.get("MONGO_URI")
    if uri:
        yield uri
        return
    with EmbeddedMongo(tmp_path_factory.mktemp("embedded-store")) as server:
        yield server.uri


# The store and read-side tests run twice: with the query shapes a real MongoDB is given
# ("mongodb", runnable on the embedded server too) and with the embedded server's own.
BOTH_DIALECTS = ("test_store.py", "test_read_side.py", "test_counts.py", "test_exports.py")
DIALECTS = ("mongodb", "embedded")
# Commands whose shape (field names and operators, no values) tells a query apart.
SHAPED = {"find": ("filter", "sort"), "aggregate": ("pipeline",), "count": ("query",),
          "distinct": ("key", "query"), "delete": ("deletes",), "update": ("updates",),
          "findAndModify": ("query",)}


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((key, _shape(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(dict.fromkeys(_shape(item) for item in value))
    return type(value).__name__


class QueryShapes(monitoring.CommandListener):
    """The shapes of the queries a client sent, by dialect."""

    seen: dict[str, set[tuple[Any, ...]]] = defaultdict(set)

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        parts = SHAPED.get(event.command_name)
        if parts is not None:
            shape = tuple(_shape(event.command.get(part)) for part in parts)
            self.seen[self.dialect].add((event.command_name, event.command[event.command_name], shape))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def store_client(uri: str, dialect: str) -> StoreClient:
    """A client querying in `dialect`, its queries' shapes recorded."""
    return connect(uri, dialect, event_listeners=[QueryShapes(dialect)])


def project_crawler(spidercls: type[Spider] = Spider, **settings: Any) -> Crawler:
    """A crawler (not started) with the project's own settings, the given ones over them, and
    the crawl's store component when MONGO_URI is given."""
    import ingest.settings

    ours = {name: getattr(ingest.settings, name) for name in dir(ingest.settings)
            if name.startswith(("INGEST_", "MONGO_", "DEAD_LETTER_"))}
    return get_crawler(spidercls, settings_dict={
        **ours, "EXTENSIONS": {"ingest.store.crawlstore.CrawlStore": 0}, **settings})


@pytest.fixture(scope="module")
def dialect() -> str:
    return "auto"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dialect" in metafunc.fixturenames and metafunc.definition.path.name in BOTH_DIALECTS:
        metafunc.parametrize("dialect", DIALECTS, scope="module")


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(mongo_uri: str, database_name: str, dialect: str):
    client = store_client(mongo_uri, dialect)
    yield client[database_name]
    client.drop_database(database_name)
    client.close()


# The fast loop (`./run test-fast`) leaves out the tests marked slow, browser or redis (the
# markers are declared in pyproject.toml). Tests in files edited elsewhere are marked here by
# node id; a new test that crawls, starts processes or takes seconds gets @pytest.mark.slow.
SLOW = (
    "tests/test_bombs.py", "tests/test_end_to_end.py", "tests/test_extraction_workers.py",
    "tests/test_faults.py", "tests/test_resume.py", "tests/test_store_outage.py",
    "tests/test_packaging.py", "tests/test_distributed.py", "tests/test_store_concurrency.py",
    "tests/test_security.py::test_hostile_html_does_not_crash_extraction",
    "tests/test_security.py::test_store_uri_secrets_never_reach_logs_or_run_records",
    "tests/test_web.py::test_serve_command",
    "tests/test_web.py::test_held_open_connections_do_not_starve_others",
    "tests/test_store_service.py",
    *(f"tests/test_archive.py::test_{name}" for name in (  # crawls of the demo site
        "every_response", "each_article_points", "warcio_checks", "a_setting_turns", "a_killed_crawl",
        "export_writes", "reextracting_a_fresh")),
    *(f"tests/test_warc_import.py::test_{name}" for name in (  # imports and re-extractions: crawls
        "import_", "reextract_", "damaged_input", "a_50_mb_record")),
    *(f"tests/test_monitors.py::test_{name}" for name in (  # the crawls of the `runs` fixture
        "ordinary_runs_and_a_quiet_day_are_not_flagged", "a_theme_change_is_flagged_with_what_changed",
        "alerts_reach_the_file_the_webhook_and_the_mailbox", "metrics_after_every_run",
        "monitoring_page_shows_runs_fill_rates_and_findings", "monitoring_costs_little_cpu",
        "bad_monitor_settings_are_a_usage_error")),
)
REDIS = ("tests/test_distributed.py",
         "tests/test_archive.py::test_shared_crawl_workers_archive_each_in_their_own_files")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(REDIS):
            item.add_marker(pytest.mark.redis)
        if "page" in getattr(item, "fixturenames", ()):  # a Playwright page: a real browser
            item.add_marker(pytest.mark.browser)


FIGURES: list[str] = []


@pytest.fixture
def figure():
    """Record a scenario's measured figure; all of them are printed at the end of the run."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter) -> None:
    seen = QueryShapes.seen
    if seen["mongodb"] and seen["embedded"]:
        both = seen["mongodb"] & seen["embedded"]
        FIGURES.append(f"query shapes run in the store and read-side tests: {len(seen['mongodb'])} in "
                       f"the MongoDB dialect, {len(seen['embedded'])} in the embedded one; "
                       f"{len(both)} in both, {len(seen['mongodb'] - both)} MongoDB-only (run on "
                       f"this run's server too), {len(seen['embedded'] - both)} embedded-only")
    if FIGURES:
        terminalreporter.section("scenario figures")
        for line in FIGURES:
            terminalreporter.write_line(line)

