"""Latency of `ingest serve` as a browser sees it: full HTTP round trips to the real app on
waitress at 127.0.0.1 (routing, queries, templates, sanitizing), p50/p95 per page, then
throughput with several clients at once. The corpus is read_latency.py's.

    .venv/bin/python benchmarks/web_latency.py                   # 20,000 articles, embedded store
    .venv/bin/python benchmarks/web_latency.py --articles 100000 --runs 20
    .venv/bin/python benchmarks/web_latency.py --mongo-uri mongodb://localhost:27017/"""

from __future__ import annotations

import argparse
import random
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from read_latency import CATEGORIES, SITES, CorpusGenerator, generate, measure, store  # noqa: E402

from ingest.store.client import ARTICLES, connect, redact_uri  # noqa: E402
from ingest.web import create_app  # noqa: E402
from ingest.web.server import WebServer, trusted_hosts  # noqa: E402


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:
        return len(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for throughput")
    parser.add_argument("--mongo-uri", help="a MongoDB to measure (default: an embedded store)")
    args = parser.parse_args(argv)
    with store(args.mongo_uri) as uri:
        client = connect(uri, timeoutMS=15_000)
        name = f"bench_web_{uuid.uuid4().hex[:8]}"
        db = client[name]
        kind = redact_uri(args.mongo_uri) if args.mongo_uri else "embedded nx-27017"
        try:
            print(f"generating {args.articles:,} articles into {kind}", file=sys.stderr)
            generate(db, args.articles)
            urls = [d["canonical_url"] for d in db[ARTICLES].find({}, {"canonical_url": 1}).limit(200)]
            words = CorpusGenerator().words[200:400]
            rng = random.Random(3)
            with WebServer(create_app(db, trusted_hosts("127.0.0.1"))) as server:
                base = server.url
                pages = [
                    ("/ (newest, facets)", lambda n: base),
                    ("/?text=WORD", lambda n: f"{base}?text={rng.choice(words)}"),
                    ("/?category=C&page=5", lambda n: f"{base}?category={urllib.parse.quote(CATEGORIES[n % 12])}&page=5"),
                    ("/?site=S&from=..&to=..", lambda n: f"{base}?site={SITES[n % 8]}&from=2023-01-01&to=2023-06-30"),
                    ("/article?url=..", lambda n: f"{base}article?url={urllib.parse.quote(urls[n % len(urls)])}"),
                    ("/stats", lambda n: f"{base}stats"),
                    ("/api/search?text=WORD", lambda n: f"{base}api/search?text={rng.choice(words)}"),
                    ("/api/stats", lambda n: f"{base}api/stats"),
                ]
                print(f"app: {base} over {kind}; articles: {db[ARTICLES].estimated_document_count():,}; "
                      f"{args.runs} requests each")
                print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
                for label, url in pages:
                    p50, p95, worst, _ = measure(lambda n: fetch(url(n)), args.runs)
                    print(f"{label:34} {p50:8.1f} {p95:8.1f} {worst:8.1f}", flush=True)
                requests = args.runs * args.clients
                targets = [pages[n % 2][1](n) if n % 4 else pages[4][1](n) for n in range(requests)]
                started = time.perf_counter()
                with ThreadPoolExecutor(args.clients) as pool:
                    sizes = list(pool.map(fetch, targets))
                seconds = time.perf_counter() - started
                print(f"{args.clients} clients, {requests} mixed requests (/, /?text=, /article): "
                      f"{requests / seconds:.1f} requests/s, {sum(sizes) / requests / 1024:.0f} KiB each")
        finally:
            client.drop_database(name)
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
