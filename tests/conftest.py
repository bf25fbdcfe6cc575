"""Shared test fixtures: a real MongoDB-wire server (embedded, or the one TEST_MONGO_URI /
MONGO_URI names) and a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.store.client import connect
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


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(mongo_uri: str, database_name: str):
    client = connect(mongo_uri)
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
)
REDIS = ("tests/test_distributed.py",)


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
    if FIGURES:
        terminalreporter.section("scenario figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
