"""Latency of the read side over a generated corpus: p50/p95 of search, filtered listing,
counts and coverage, as the CLI and the web app run them.

    .venv/bin/python benchmarks/read_latency.py                  # 100,000 articles, embedded store
    .venv/bin/python benchmarks/read_latency.py --articles 20000 --runs 20
    .venv/bin/python benchmarks/read_latency.py --mongo-uri mongodb://localhost:27017/

The corpus goes into a database of its own (dropped at the end unless --keep) or, without
--mongo-uri, into an embedded store in a temporary folder."""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.store.articles import published_keys  # noqa: E402
from ingest.store.client import ARTICLES, connect, ensure_indexes, redact_uri  # noqa: E402
from ingest.store.counts import ensure_counts  # noqa: E402
from ingest.store.embedded import EmbeddedMongo  # noqa: E402
from ingest.store.exports import export_articles  # noqa: E402
from ingest.store.queries import (  # noqa: E402
    ArticleFilter, counts_by, field_coverage, monthly_counts_by_category, search_articles,
    uses_text_index,
)

SITES = [f"site{n}.example" for n in range(8)]
CATEGORIES = ["Politics", "Economy", "World", "Women", "Culture", "Sport", "Science", "Health",
              "Human rights", "Opinion", "Iran", "Environment"]
LANGUAGES = ["en"] * 6 + ["fa"] * 2 + ["de", "fr"]
EPOCH = datetime(2022, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 3 * 365


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Pronounceable made-up words; drawn with a Zipf-like skew like real text."""
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(1, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables)))
    return sorted(words)


class CorpusGenerator:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.tags = [f"tag-{w}" for w in self.words[:300]]
        self.authors = [f"{a.title()} {b.title()}" for a, b in zip(self.words[300:700:2], self.words[301:700:2])]

    def text(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=n))

    def article(self, i: int, now: datetime) -> dict[str, Any]:
        rng = self.rng
        site = rng.choice(SITES)
        url = f"https://{site}/{i}/{self.words[i % len(self.words)]}/"
        paragraphs = [self.text(rng.randint(40, 90)).capitalize() + "." for _ in range(rng.randint(3, 6))]
        body = "\n\n".join(paragraphs)
        published = EPOCH + timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400))
        doc: dict[str, Any] = {
            "url": url, "canonical_url": url, "site": site, "source_id": str(i),
            "title": self.text(rng.randint(5, 11)).capitalize(),
            "body": body, "body_html": "".join(f"<p>{p}</p>" for p in paragraphs),
            "captions": [{"text": self.text(8), "image_url": f"{url}img{n}.jpg", "alt": None,
                          "credit": None} for n in range(rng.choice([0, 0, 0, 1, 1, 2]))],
            "authors": rng.sample(self.authors, rng.choice([0, 1, 1, 1, 2])),
            "categories": rng.sample(CATEGORIES, rng.choice([1, 1, 2])),
            "tags": rng.sample(self.tags, rng.randint(0, 4)),
            "language": rng.choice(LANGUAGES),
            "published_at": published, "modified_at": published + timedelta(hours=rng.randint(0, 48)),
            "date_source": rng.choice(["json-ld", "meta", "time", "url"]),
            "word_count": len(body.split()), "content_hash": uuid.uuid4().hex,
            "revision": 1, "first_seen_at": now, "last_seen_at": now, "last_changed_at": now,
            "crawl_id": "benchmark",
        }
        doc.update(published_keys(published))  # as the store writer adds them
        doc["listed_in"] = list(doc["categories"])
        if rng.random() < 0.7:
            doc["lead"] = paragraphs[0][:200]
        return doc


def generate(db: Any, n: int, batch: int = 1000) -> float:
    started = time.monotonic()
    generator = CorpusGenerator()
    now = datetime.now(timezone.utc)
    ensure_indexes(db)
    for first in range(0, n, batch):
        db[ARTICLES].insert_many([generator.article(i, now) for i in range(first, min(n, first + batch))],
                                 ordered=False)
        done = min(n, first + batch)
        if done % (10 * batch) == 0 or done == n:
            print(f"  {done:,} articles ({time.monotonic() - started:.0f}s)", file=sys.stderr, flush=True)
    ensure_indexes(db)
    ensure_counts(db)  # inserted around the store writer: counted as at a crawl's start
    return time.monotonic() - started


def measure(run: Callable[[int], Any], runs: int, budget: float = float("inf"),
            least: int = 3) -> tuple[float, float, float, int]:
    """p50, p95 and max in ms over `runs` timed runs after a warm-up, or fewer (at least
    `least`) once `budget` seconds went by; and how many runs were timed."""
    run(0)  # warm-up
    times: list[float] = []
    began = time.perf_counter()
    for n in range(runs):
        started = time.perf_counter()
        run(n + 1)
        times.append((time.perf_counter() - started) * 1000)
        if len(times) >= least and time.perf_counter() - began > budget:
            break
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, times[-1], len(times)


def scenarios(db: Any) -> list[tuple[str, Callable[[int], Any]]]:
    words = CorpusGenerator().words
    mid = words[200:400]  # neither stop words nor hapaxes: hundreds to thousands of matches
    rng = random.Random(1)

    def window(n: int) -> tuple[datetime, datetime]:
        start = EPOCH + timedelta(days=(n * 37) % (SPAN_DAYS - 180))
        return start, start + timedelta(days=180)

    def listing(n: int, page: int) -> Any:
        start, end = window(n)
        flt = ArticleFilter(category=CATEGORIES[n % len(CATEGORIES)], published_from=start, published_to=end)
        return search_articles(db, flt, page=page, per_page=20)

    return [
        ("text search, 1 word", lambda n: search_articles(db, ArticleFilter(text=rng.choice(mid)))),
        ("text search, 2 words + site", lambda n: search_articles(
            db, ArticleFilter(text=f"{rng.choice(words[:100])} {rng.choice(mid)}", site=SITES[n % 8]))),
        ("listing: category + 6 months, page 1", lambda n: listing(n, 1)),
        ("listing: category + 6 months, page 50", lambda n: listing(n, 50)),
        ("listing: site, newest, page 1", lambda n: search_articles(db, ArticleFilter(site=SITES[n % 8]))),
        ("counts by category (all)", lambda n: counts_by(db, ArticleFilter(), "category")),
        ("counts by month, one site", lambda n: counts_by(db, ArticleFilter(site=SITES[n % 8]), "month")),
        ("monthly counts by category (all)", lambda n: monthly_counts_by_category(db, ArticleFilter())),
        ("field coverage (all)", lambda n: field_coverage(db, ArticleFilter())),
    ]


def measure_exports(db: Any) -> None:
    """Whole-corpus exports: time, size, and how far the process's peak memory rose (it
    stays flat when the export streams)."""
    with tempfile.TemporaryDirectory(prefix="read-latency-export-") as folder:
        for fmt in ("parquet", "jsonl", "csv"):
            path = Path(folder) / f"all.{fmt}"
            peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            written = export_articles(db, ArticleFilter(), fmt, path)
            seconds = time.perf_counter() - started
            rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
            print(f"export {fmt:8} {written:,} articles in {seconds:5.1f}s "
                  f"({written / seconds:,.0f}/s), {path.stat().st_size / 2**20:,.0f} MiB, "
                  f"peak memory +{rise / 1024:,.0f} MiB", flush=True)


@contextlib.contextmanager
def store(uri: str | None, data_dir: Path | None = None) -> Iterator[str]:
    if uri:
        yield uri
        return
    if data_dir:
        with EmbeddedMongo(data_dir) as server:
            yield server.uri
        return
    with tempfile.TemporaryDirectory(prefix="read-latency-") as folder, EmbeddedMongo(folder) as server:
        yield server.uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query (default 50)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per query after which fewer runs (at least 3) suffice")
    parser.add_argument("--mongo-uri", help="a MongoDB to measure (default: an embedded store)")
    parser.add_argument("--data-dir", type=Path,
                        help="embedded store folder to keep the corpus in (default: a temporary one)")
    parser.add_argument("--database", help="reuse this database if it holds the corpus")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--only", help="run only the queries whose name contains this")
    parser.add_argument("--no-export", action="store_true", help="skip the whole-corpus exports")
    args = parser.parse_args(argv)
    with store(args.mongo_uri, args.data_dir) as uri:
        client = connect(uri)
        name = args.database or f"bench_{uuid.uuid4().hex[:8]}"
        db = client[name]
        kind = redact_uri(args.mongo_uri) if args.mongo_uri else "embedded nx-27017"
        try:
            held = db[ARTICLES].estimated_document_count()
            if held < args.articles:
                print(f"generating {args.articles - held:,} articles into {kind} ({name})", file=sys.stderr)
                seconds = generate(db, args.articles) if not held else 0.0
                print(f"generated in {seconds:.0f}s", file=sys.stderr)
            print(f"store: {kind}; articles: {db[ARTICLES].estimated_document_count():,}; "
                  f"text search via {'$text' if uses_text_index(db) else 'regex'}; "
                  f"{args.runs} runs each")
            print(f"{'query':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'runs':>5}")
            for label, run in scenarios(db):
                if args.only and args.only not in label:
                    continue
                p50, p95, worst, runs = measure(run, args.runs, args.budget)
                flag = "" if p50 < 200 else "  (p50 over 200 ms)"
                print(f"{label:42} {p50:8.1f} {p95:8.1f} {worst:8.1f} {runs:5}{flag}", flush=True)
            if not args.no_export and not args.only:
                measure_exports(db)
        finally:
            if not args.keep and not args.database:
                client.drop_database(name)
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
