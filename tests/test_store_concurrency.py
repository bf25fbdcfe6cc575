"""Many writers, one store: idempotent upserts on the unique key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingest.store.articles import write_articles
from ingest.store.client import ARTICLES, ensure_indexes

ROOT = Path(__file__).resolve().parents[1]
WRITER = """
import sys
from datetime import datetime, timezone
from ingest.store.articles import write_articles
from ingest.store.client import connect
uri, name, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = list(range(500))
keys = keys[worker * 37 % 500:] + keys[:worker * 37 % 500]  # each writer starts elsewhere
with connect(uri) as client:
    db = client[name]
    for start in range(0, 500, 50):
        batch = [{"canonical_url": f"https://news.example/{k}/", "url": f"https://news.example/{k}/",
                  "title": f"Title {k}", "body": f"Body of {k}", "captions": [], "site": "race"}
                 for k in keys[start:start + 50]]
        result = write_articles(db, batch, now=datetime.now(timezone.utc))
        assert not result.failed, result.failed
"""


def test_eight_writers_on_the_same_500_keys_leave_500_documents(mongo_uri, db, database_name, figure):
    ensure_indexes(db)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, mongo_uri, database_name, str(n)],
                                cwd=ROOT, stderr=subprocess.PIPE, text=True) for n in range(8)]
    for writer in writers:
        _, stderr = writer.communicate(timeout=300)
        assert writer.returncode == 0, stderr[-2000:]
    assert db[ARTICLES].count_documents({}) == 500
    assert len(db[ARTICLES].distinct("canonical_url")) == 500
    figure("8 processes upserting the same 500 keys: 500 documents, 0 errors")


def test_injected_duplicate_key_errors_fail_only_their_own_documents(db, figure):
    ensure_indexes(db)
    db[ARTICLES].create_index("title", unique=True, name="title_unique_for_test")
    batch = [{"canonical_url": f"https://news.example/{k}/", "title": "Same title" if k in (3, 7) else f"T{k}",
              "body": "b", "captions": []} for k in range(10)]
    result = write_articles(db, batch)
    assert db[ARTICLES].count_documents({}) == 9
    assert [key for key, _ in result.failed] == ["https://news.example/7/"] or \
        [key for key, _ in result.failed] == ["https://news.example/3/"]
    assert "11000" in result.failed[0][1]
    figure(f"bulk write of 10 with an injected duplicate-key error: 9 applied, failed by key {result.failed[0][0]}")
