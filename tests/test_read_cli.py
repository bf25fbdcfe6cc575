"""The analysts' commands through main(argv) against a real store: outputs, exit codes,
hostile flag values taken literally, and no credentials in any output."""

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

from ingest.cli import main
from ingest.store.articles import write_articles
from ingest.store.client import connect, ensure_indexes

T0 = datetime(2024, 5, 10, 9, 0, tzinfo=timezone.utc)
EDITED = "https://news.example/edited/"


def story(i: int) -> dict[str, Any]:
    url = f"https://news.example/{i}/"
    return {
        "url": url, "canonical_url": url, "site": "alpha" if i < 6 else "beta",
        "title": f"Story {i} " + ("flood warning" if i % 2 else "market day"),
        "body": f"Body of story {i}.", "authors": ["Sara Ahmadi"] if i % 3 == 0 else [],
        "categories": ["Weather"] if i % 2 else ["Economy"], "tags": ["$ne"] if i == 3 else [],
        "language": "en" if i < 8 else "fa", "captions": [],
        "published_at": T0 - timedelta(days=40 * i), "date_source": "meta",
    }


def edited(version: int) -> dict[str, Any]:
    boats = {1: "Twelve", 2: "Fourteen"}[version]
    return {**story(99), "url": EDITED, "canonical_url": EDITED, "title": "Harbour report",
            "body": f"The harbour was under water.\n\n{boats} boats sank.", "authors": [],
            "language": "en", "published_at": T0}


STORIES = [story(i) for i in range(10)]


@pytest.fixture(scope="module")
def store(mongo_uri: str) -> Iterator[list[str]]:
    """The store options every command takes."""
    client = connect(mongo_uri)
    name = f"test_cli_{uuid.uuid4().hex[:8]}"
    ensure_indexes(client[name])
    write_articles(client[name], [*STORIES, edited(1)], now=T0)
    write_articles(client[name], [edited(2)], now=T0 + timedelta(hours=3))
    yield ["--mongo-uri", mongo_uri, "--database", name]
    client.drop_database(name)
    client.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_text_and_filters(store, capsys):
    code, out, _ = run(capsys, "search", "flood", "--site", "alpha", "--json", *store)
    assert code == 0
    page = json.loads(out)
    expected = [f"https://news.example/{i}/" for i in (1, 3, 5)]
    assert [item["canonical_url"] for item in page["items"]] == expected
    assert page["total"] == 3 and page["filter"] == {"text": "flood", "site": "alpha"}
    code, out, _ = run(capsys, "search", "--category", "Economy", "--from", "2023-06-01",
                       "--to", "2024-03-31", "--per-page", "2", "--page", "2", *store)
    in_range = [s for s in STORIES if "Economy" in s["categories"]
                and datetime(2023, 6, 1, tzinfo=timezone.utc) <= s["published_at"]
                <= datetime(2024, 3, 31, 23, 59, 59, tzinfo=timezone.utc)]
    assert code == 0 and out.startswith(f"{len(in_range)} articles | page 2 of 2\n")
    assert in_range[2]["title"] in out and in_range[1]["title"] not in out


def test_article_with_revisions_and_diff(store, capsys):
    code, out, _ = run(capsys, "article", EDITED, *store)
    assert code == 0
    assert out.startswith("Harbour report\n")
    assert "2 versions" in out and "revision 1 -> 2" in out
    assert "-Twelve boats sank.\n+Fourteen boats sank.\n" in out
    code, out, _ = run(capsys, "article", EDITED, "--json", *store)
    data = json.loads(out)
    assert [r["revision"] for r in data["revisions"]] == [1]
    assert data["article"]["revision"] == 2 and data["changes"][0]["to_revision"] == 2
    code, _, err = run(capsys, "article", "https://news.example/never/", *store)
    assert code == 1 and "no stored article" in err


def test_stats_and_coverage(store, capsys):
    code, out, _ = run(capsys, "stats", "--by", "site", *store)
    assert code == 0 and out == "site   articles\nalpha         6\nbeta          5\n"
    code, out, _ = run(capsys, "stats", "--by", "author", "--json", *store)
    assert json.loads(out)["counts"] == [{"value": "Sara Ahmadi", "articles": 4}]
    code, out, _ = run(capsys, "coverage", "--language", "fa", "--json", *store)
    fields = {f["field"]: (f["present"], f["articles"]) for f in json.loads(out)["fields"]}
    assert fields["title"] == (2, 2) and fields["authors"] == (1, 2) and fields["lead"] == (0, 2)


def test_stats_by_month_and_category(store, capsys):
    beta = [s for s in [*STORIES, edited(2)] if s["site"] == "beta"]
    expected = sorted({(s["published_at"].strftime("%Y-%m"), s["categories"][0]) for s in beta})
    code, out, _ = run(capsys, "stats", "--by", "month-category", "--site", "beta", "--json", *store)
    counts = json.loads(out)["counts"]
    assert code == 0 and [(c["month"], c["category"]) for c in counts] == expected
    assert sum(c["articles"] for c in counts) == len(beta) == 5
    code, out, _ = run(capsys, "stats", "--by", "month-category", "--site", "beta", *store)
    assert out.splitlines()[0].split() == ["month", "category", "articles"]
    assert "2024-05  Weather" in out


def test_export_every_format(store, capsys, tmp_path: Path):
    code, out, err = run(capsys, "export", "--format", "jsonl", "-o", "-", "--site", "beta", *store)
    assert code == 0 and [json.loads(line)["site"] for line in out.splitlines()] == ["beta"] * 5
    assert "export: 5/5 articles" in err and "exported 5 articles to -" in err
    code, out, _ = run(capsys, "export", "--format", "csv", "-o", "-", "--fields",
                       "canonical_url,tags", "--text", "flood", *store)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 5 and rows[0].keys() == {"canonical_url", "tags"}
    assert next(r for r in rows if r["canonical_url"].endswith("/3/"))["tags"] == '["$ne"]'
    path = tmp_path / "all.parquet"
    code, _, _ = run(capsys, "export", "--format", "parquet", "-o", str(path), *store)
    assert code == 0 and pq.read_table(path).num_rows == len(STORIES) + 1


@pytest.mark.parametrize("argv, message", [
    (["search", "--from", "yesterday"], "not a date"),
    (["search", "--from", "2024-05-01", "--to", "2024-04-01"], "starts after it ends"),
    (["search", "x", "--page", "0"], "page"),
    (["search", "\"\" -- ..."], "no word"),
    (["stats", "--site", "a" * 300], "longer than"),
    (["export", "--format", "parquet", "-o", "-"], "needs a file"),
    (["export", "--format", "csv", "-o", "-", "--fields", "title,_id"], "unknown field"),
    (["export", "--format", "csv", "-o", "/nonexistent/dir/x.csv"], "cannot write"),
])
def test_bad_input_exits_2_with_a_clear_message(store, capsys, argv, message):
    code, out, err = run(capsys, *argv, *store)
    assert code == 2 and message in err and out == ""


@pytest.mark.parametrize("flag, value", [
    ("--site", '{"$ne": null}'), ("--category", "$where"), ("--tag", ".*"),
    ("--author", "'; db.dropDatabase(); '"), ("--text", '" OR 1=1 --'),
])
def test_injection_attempts_are_literal_strings(store, capsys, flag, value):
    code, out, _ = run(capsys, "export", "--format", "jsonl", "-o", "-", flag, value, *store)
    assert code == 0 and out == ""  # no article has that literal value


def test_a_literal_dollar_value_matches_exactly(store, capsys):
    code, out, _ = run(capsys, "search", "--tag", "$ne", "--json", *store)
    assert [i["canonical_url"] for i in json.loads(out)["items"]] == ["https://news.example/3/"]


@pytest.mark.parametrize("argv", [
    ("search", "--from", "9999-12-31T23:59:59-23:59"), ("stats", "--to", "0001-01-01T00:00:00+23:59"),
    ("search", "flood\0water"), ("export", "--format", "csv", "--category", "News\0"),
    ("export", "--format", "jsonl", "-o", ""), ("export", "--format", "jsonl", "-o", "."),
])
def test_unusable_input_exits_2_with_one_line(store, capsys, argv):
    if argv[0] == "export" and "-o" not in argv:
        argv = (*argv, "-o", "-")
    code, out, err = run(capsys, *argv, *store)
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("error: "), err


def test_store_failure_exits_1_without_credentials(capsys):
    uri = "mongodb+srv://analyst:s3cret-pw@cluster0.invalid/?authSource=admin"
    code, out, err = run(capsys, "search", "flood", "--mongo-uri", uri)
    assert code == 1 and "could not be reached" in err and len(err.strip().splitlines()) == 2
    assert "s3cret" not in out + err and "***@cluster0.invalid" in err
