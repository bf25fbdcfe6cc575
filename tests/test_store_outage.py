"""The store goes away in the middle of a crawl: nothing is lost, nothing duplicated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ingest.demo.site import DemoServer, DemoSite
from ingest.store.client import ARTICLES, RUNS, connect
from ingest.serverprocess import free_port
from ingest.store.embedded import EmbeddedMongo

ROOT = Path(__file__).resolve().parents[1]
OUTAGE_SECONDS = float(os.environ.get("INGEST_TEST_OUTAGE_SECONDS", "20"))
ARTICLES_ON_SITE = 1000


def test_store_outage_mid_crawl_loses_nothing(tmp_path, figure):
    store_dir, port = tmp_path / "store", free_port()
    store = EmbeddedMongo(store_dir, port=port).start()
    site = DemoSite(n_articles=ARTICLES_ON_SITE, seed=13)
    dead_letters = tmp_path / "data" / "dead-letter"
    try:
        with DemoServer(site) as server:
            command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url",
                       server.base_url, "--all-categories", "--mongo-uri", store.uri, "--database", "outage",
                       "--data-dir", str(tmp_path / "data"), "--set", "MONGO_BUFFER_SIZE=50",
                       "--set", f"MONGO_RETRY_SECONDS={OUTAGE_SECONDS + 60}",
                       "--set", "DOWNLOAD_DELAY=0.01", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]
            crawl = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
            with connect(store.uri) as client:
                deadline = time.monotonic() + 300
                while client.outage[ARTICLES].count_documents({}) < 0.4 * ARTICLES_ON_SITE:
                    assert time.monotonic() < deadline and crawl.poll() is None
                    time.sleep(0.2)
            store.stop()  # the store is gone ...
            time.sleep(OUTAGE_SECONDS)
            store = EmbeddedMongo(store_dir, port=port).start()  # ... and back, same data
            _, stderr = crawl.communicate(timeout=600)
        with connect(store.uri) as client:
            ids = [d["source_id"] for d in client.outage[ARTICLES].find({}, {"source_id": 1})]
            dead = []
            for path in dead_letters.glob("*.jsonl") if dead_letters.exists() else []:
                dead += [json.loads(line)["article"]["source_id"] for line in path.read_text().splitlines()]
            run = client.outage[RUNS].find_one({"status": "finished"})
        assert len(ids) == len(set(ids))  # no duplicates
        assert len(set(ids) | set(dead)) == ARTICLES_ON_SITE == len(ids) + len(dead)
        assert run["stats"]["mongo/write_retries"] > 0  # the outage is in the run's record
        assert run["stats"]["mongo/max_pending"] <= 4 * 50 + 50  # the write buffer kept its cap
        assert "store write failed" in stderr
        figure(f"store outage {OUTAGE_SECONDS:.0f}s: stored {len(ids)}, dead-lettered {len(dead)}, "
              f"write retries {run['stats']['mongo/write_retries']}, "
              f"max pending {run['stats']['mongo/max_pending']} (cap {4 * 50 + 50})")
    finally:
        store.stop()
