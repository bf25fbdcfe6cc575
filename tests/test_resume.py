"""Killed crawls resume to a complete store: Scrapy's JOBDIR is not crash-safe, so a run
after an unclean stop rebuilds its frontier by walking every listing against the store."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.demo.site import DemoServer, DemoSite
from ingest.store.client import ARTICLES, RUNS, connect

ROOT = Path(__file__).resolve().parents[1]
ARTICLES_ON_SITE = 1000


@pytest.fixture(scope="module")
def big_site():
    site = DemoSite(n_articles=ARTICLES_ON_SITE, seed=11)
    with DemoServer(site) as server:
        yield site, server


def crawl_command(base_url: str, mongo_uri: str, database: str, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
            "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
            "--data-dir", str(data_dir), "--set", "MONGO_BUFFER_SIZE=50"]


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_stopped_crawl_resumes_to_every_article_once(big_site, mongo_uri, tmp_path, stop_signal, figure):
    site, server = big_site
    database = f"resume_{stop_signal.name.lower()}"
    client = connect(mongo_uri)
    client.drop_database(database)
    articles = client[database][ARTICLES]
    command = crawl_command(server.base_url, mongo_uri, database, tmp_path)
    try:
        first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and articles.count_documents({}) < 0.4 * ARTICLES_ON_SITE:
            assert first.poll() is None, first.stderr.read()[-2000:]
            time.sleep(0.2)
        first.send_signal(stop_signal)
        first.communicate(timeout=120)
        stored_at_stop = articles.count_documents({})
        assert 0 < stored_at_stop < ARTICLES_ON_SITE

        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "resuming" in second.stderr

        expected = {str(a.id) for a in site.articles}
        stored_ids = [d["source_id"] for d in articles.find({}, {"source_id": 1})]
        assert len(stored_ids) == ARTICLES_ON_SITE
        assert set(stored_ids) == expected  # every article, each once
        last = client[database][RUNS].find_one({}, sort=[("started_at", -1)])
        assert last["counts"]["new"] == ARTICLES_ON_SITE - stored_at_stop
        figure(f"{stop_signal.name} at {stored_at_stop}/{ARTICLES_ON_SITE} stored, then a normal run: "
               f"{len(stored_ids)}/{ARTICLES_ON_SITE} stored, 0 duplicates")
    finally:
        client.drop_database(database)
        client.close()
