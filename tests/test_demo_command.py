"""`ingest demo` fills the store the read commands look at by default: a newcomer's next
command shows the demo's articles; a second demo replaces the first's, and leaves other
sites' articles alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.store.articles import write_articles
from ingest.store.client import ARTICLES, connect
from ingest.store.embedded import EmbeddedMongo

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def ingest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "ingest", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_demo_fills_the_store_that_the_read_commands_read_by_default(tmp_path: Path) -> None:
    # A clone's folder: the commands' default data folder is ./data under it.
    demo = ingest("demo", "--articles", "24", cwd=tmp_path)
    assert "./run search --site demo\n" in demo.stdout  # no --data-dir or --database needed
    searched = json.loads(ingest("search", "--site", "demo", "--json", cwd=tmp_path).stdout)
    assert searched["total"] == 24
    assert "24 articles stored" in ingest("summary", cwd=tmp_path).stdout

    with EmbeddedMongo(tmp_path / "data" / "store") as server, connect(server.uri) as client:
        db = client["news"]
        write_articles(db, [{"url": "https://other.example/a/", "canonical_url": "https://other.example/a/",
                             "site": "other", "title": "Kept", "body": "Another site's article."}])
    second = ingest("demo", "--articles", "24", cwd=tmp_path)
    assert "removed the previous demo's 24 articles" in second.stderr
    with EmbeddedMongo(tmp_path / "data" / "store") as server, connect(server.uri) as client:
        db = client["news"]
        assert db[ARTICLES].count_documents({"site": "demo"}) == 24
        assert db[ARTICLES].count_documents({"site": "other"}) == 1
    everything = json.loads(ingest("stats", "--by", "site", "--json", cwd=tmp_path).stdout)
    assert {row["value"]: row["articles"] for row in everything["counts"]} == {"demo": 24, "other": 1}
