"""Exports (ingest.store.exports) from a real store: each format read back with its own
reader and compared with the corpus; the cursor is read in batches, not all at once."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ingest.store.articles import write_articles
from ingest.store.client import connect, ensure_indexes
from ingest.store.exports import DEFAULT_EXPORT_FIELDS, export_articles
from ingest.store.queries import ArticleFilter, QueryError

T0 = datetime(2024, 3, 1, 8, 30, tzinfo=timezone.utc)
N = 57
AWKWARD_TAG = 'semi; colon, comma "quoted"\nnew line'


def item(i: int) -> dict[str, Any]:
    url = f"https://news.example/{i}/"
    return {
        "url": url, "canonical_url": url, "site": "alpha" if i % 2 else "beta",
        "title": f"Story {i}" if i % 5 else f"گزارش {i}",
        "body": f"Paragraph one of {i}.\n\nTwo.",
        "body_html": f"<p>{i}</p>", "authors": ["A. Writer"] if i % 3 else [],
        "categories": ["Economy", "Women"] if i % 4 == 0 else ["Economy"],
        "tags": [AWKWARD_TAG] if i == 7 else [f"t{i % 3}"], "language": "en",
        "captions": [{"text": f"Photo {i}", "image_url": f"{url}a.jpg", "alt": None,
                      "credit": "AP"}] if i % 6 == 0 else [],
        "published_at": T0 - timedelta(days=i), "date_source": "meta", "word_count": 5,
    }


CORPUS = [item(i) for i in range(N)]
BY_URL = {doc["canonical_url"]: doc for doc in CORPUS}


@pytest.fixture(scope="module")
def store(mongo_uri: str) -> Iterator[Any]:
    client = connect(mongo_uri)
    name = f"test_exports_{uuid.uuid4().hex[:8]}"
    ensure_indexes(client[name])
    write_articles(client[name], CORPUS, now=T0)
    yield client[name]
    client.drop_database(name)
    client.close()


def test_jsonl_streams_in_batches_newest_first(store, tmp_path: Path):
    seen: list[tuple[int, int]] = []
    path = tmp_path / "all.jsonl"
    written = export_articles(store, ArticleFilter(), "jsonl", path, batch_size=10,
                              progress=lambda done, total: seen.append((done, total)))
    assert written == N
    assert seen == [(min(n, N), N) for n in range(10, N + 10, 10)]  # 6 batches, then done
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == N
    records = [json.loads(line) for line in lines]
    assert [r["canonical_url"] for r in records] == [d["canonical_url"] for d in CORPUS]
    assert all(list(r) == list(DEFAULT_EXPORT_FIELDS) for r in records)
    first = records[0]
    assert first["published_at"] == T0.isoformat()
    # Stored without published_local (as before it existed): the UTC time, zone "UTC".
    assert (first["published_local"], first["published_zone"]) == (T0.isoformat(), "UTC")
    assert first["captions"] == [{"text": "Photo 0", "image_url": "https://news.example/0/a.jpg",
                                  "alt": None, "credit": "AP"}]
    assert first["title"] == "گزارش 0" and first["revision"] == 1
    assert not list(tmp_path.glob(".*partial"))


def test_csv_round_trips_lists_as_json(store):
    out = io.StringIO()
    flt = ArticleFilter(site="alpha", published_from=T0 - timedelta(days=20))
    assert export_articles(store, flt, "csv", out) == 10
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    expected = [d for d in CORPUS
                if d["site"] == "alpha" and d["published_at"] >= T0 - timedelta(days=20)]
    assert [r["canonical_url"] for r in rows] == [d["canonical_url"] for d in expected]
    for row in rows:
        doc = BY_URL[row["canonical_url"]]
        for field in ("categories", "authors", "tags", "captions"):
            assert json.loads(row[field]) == doc[field]
        assert datetime.fromisoformat(row["published_at"]) == doc["published_at"]
        assert row["body"] == doc["body"] and row["lead"] == ""
    awkward = next(r for r in rows if r["canonical_url"].endswith("/7/"))
    assert json.loads(awkward["tags"]) == [AWKWARD_TAG]


def test_parquet_typed_columns_in_row_groups(store, tmp_path: Path):
    path = tmp_path / "women.parquet"
    written = export_articles(store, ArticleFilter(category="Women"), "parquet", path,
                              fields=["canonical_url", "categories", "captions", "published_at",
                                      "word_count", "body_html"], batch_size=4)
    expected = [d for d in CORPUS if "Women" in d["categories"]]
    assert written == len(expected) == 15
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_row_groups == 4  # one per batch of 4
    table = parquet.read()
    assert table.column_names == ["canonical_url", "categories", "captions", "published_at",
                                  "word_count", "body_html"]
    assert str(table.schema.field("published_at").type) == "timestamp[ms, tz=UTC]"
    rows = table.to_pylist()
    for row, doc in zip(rows, expected, strict=True):
        assert row["canonical_url"] == doc["canonical_url"]
        assert row["categories"] == doc["categories"]
        assert row["captions"] == doc["captions"]
        assert row["published_at"] == doc["published_at"]
        assert row["word_count"] == 5 and row["body_html"] == doc["body_html"]


def test_empty_result_still_writes_a_readable_file(store, tmp_path: Path):
    path = tmp_path / "none.parquet"
    seen: list[tuple[int, int]] = []
    assert export_articles(store, ArticleFilter(site="nowhere"), "parquet", path,
                           progress=lambda done, total: seen.append((done, total))) == 0
    assert pq.read_table(path).num_rows == 0 and seen == [(0, 0)]


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "xlsx"}, "format"),
    ({"fields": ["title", "$where"]}, "unknown field"),
    ({"fmt": "parquet", "output": io.StringIO()}, "file"),
])
def test_bad_export_requests_are_refused(store, tmp_path: Path, kwargs, message):
    args = {"fmt": "jsonl", "output": tmp_path / "x", **kwargs}
    with pytest.raises(QueryError, match=message):
        export_articles(store, ArticleFilter(), args.pop("fmt"), args.pop("output"), **args)
    assert not (tmp_path / "x").exists()


def test_csv_cells_a_spreadsheet_would_run_are_text(db):
    titles = ["=HYPERLINK(\"http://evil.example\",\"click\")", "@SUM(A1:A9)", "+1 street party",
              "-5 degrees in Tabriz", "Plain = fine"]
    docs = [{**item(i), "title": title} for i, title in enumerate(titles)]
    ensure_indexes(db)
    write_articles(db, docs, now=T0)
    flt = ArticleFilter(published_from=T0 - timedelta(days=30))
    out, lines = io.StringIO(), io.StringIO()
    assert export_articles(db, flt, "csv", out, ["canonical_url", "title"]) == 5
    export_articles(db, flt, "jsonl", lines, ["canonical_url", "title"])
    cells = {r["canonical_url"]: r["title"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    raw = {r["canonical_url"]: r["title"] for r in map(json.loads, lines.getvalue().splitlines())}
    assert [cells[d["canonical_url"]] for d in docs] == ["'" + t for t in titles[:4]] + ["Plain = fine"]
    assert [raw[d["canonical_url"]] for d in docs] == titles  # JSON Lines keeps the text as it is
