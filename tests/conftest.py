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
