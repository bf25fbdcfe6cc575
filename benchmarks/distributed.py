"""Throughput of a shared crawl with 1, 2 and 3 worker processes on one demo site.

    .venv/bin/python benchmarks/distributed.py [--articles 2000] [--workers 1,2,3]

Everything is local: a redis-server (Debian's redis-server), the embedded MongoDB-wire store
and the demo site on loopback ports. Each round crawls the whole site into a fresh database
with a fresh frontier and prints articles stored per second of wall time (first worker
started to last worker exited)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.demo.site import DemoServer, DemoSite  # noqa: E402
from ingest.distributed.localserver import LocalRedis  # noqa: E402
from ingest.store.client import ARTICLES, connect  # noqa: E402
from ingest.store.embedded import EmbeddedMongo  # noqa: E402


def one_round(workers: int, base_url: str, mongo_uri: str, redis_url: str, work: Path) -> tuple[float, int]:
    database = f"bench_distributed_{workers}"
    with connect(mongo_uri) as client:
        client.drop_database(database)
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
               "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
               "--redis-url", redis_url, "--log-level", "WARNING",
               "--set", f"INGEST_REDIS_CRAWL=bench{workers}"]
    started = time.monotonic()
    processes = [subprocess.Popen(command + ["--data-dir", str(work / f"{workers}-{i}")], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for i in range(workers)]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            sys.exit(f"a worker failed ({process.returncode}):\n{err[-2000:]}")
    elapsed = time.monotonic() - started
    with connect(mongo_uri) as client:
        stored = client[database][ARTICLES].count_documents({})
        client.drop_database(database)
    return elapsed, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,3", help="comma-separated worker counts")
    args = parser.parse_args()
    site = DemoSite(n_articles=args.articles, seed=31)
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        work = Path(tmp)
        with LocalRedis(work / "redis") as redis_server, EmbeddedMongo(work / "store") as store, \
                DemoServer(site) as demo:
            print(f"demo site: {len(site.articles)} articles; store: embedded; "
                  f"frontier: redis-server on 127.0.0.1")
            for workers in (int(n) for n in args.workers.split(",")):
                elapsed, stored = one_round(workers, demo.base_url, store.uri, redis_server.url, work)
                print(f"{workers} worker(s): {stored}/{len(site.articles)} stored in {elapsed:.1f}s "
                      f"= {stored / elapsed:.1f} articles/s", flush=True)


if __name__ == "__main__":
    main()
