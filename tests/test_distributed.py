"""Distributed mode against a real redis-server: worker processes share one frontier, a
SIGKILLed worker's requests are re-queued, every article is stored once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ingest.demo.site import DemoServer, DemoSite
from ingest.distributed.frontier import CrawlConflict, SharedFrontier, request_id
from ingest.distributed.localserver import LocalRedis
from ingest.store.client import ARTICLES, RUNS, connect

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "s3cret-frontier"
ARTICLES_ON_SITE = 2000
WORKERS = 3


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with LocalRedis(tmp_path_factory.mktemp("redis"), password=PASSWORD) as server:
        yield server.url


@pytest.fixture
def server(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def frontier(server: redis.Redis, worker: str, prefix: str = "ingest:t:main") -> SharedFrontier:
    return SharedFrontier(server, prefix, worker)


def test_a_dead_workers_leased_requests_go_back_to_the_queue(server):
    alive, doomed = frontier(server, "alive"), frontier(server, "doomed")
    assert alive.join({"site": "t"}, {}, lease_seconds=30) is True
    assert doomed.join({"site": "t"}, {}, lease_seconds=0.2) is False
    assert alive.push("fp-1", b"request-1", -10) and alive.push("fp-2", b"request-2", 0)
    assert not doomed.push("fp-1", b"request-1 again", -10)  # the shared duplicate filter
    assert doomed.lease() == b"request-1"  # highest priority first
    assert alive.lease() == b"request-2"
    assert alive.pending() == 0 and alive.busy()  # doomed holds a request: wait for it

    time.sleep(0.3)  # doomed's lease expires without a heartbeat
    assert alive.requeue_dead() == 1
    assert alive.lease() == b"request-1"
    assert alive.status()["workers"].keys() == {"alive"}
    alive.ack([request_id(b"request-1"), request_id(b"request-2")], {"extract/articles": 2})
    assert not alive.busy()
    assert alive.finish() is True
    assert not server.exists(alive.queue_key, alive.dupefilter_key, alive.params_key)
    assert alive.crawl_stats() == {"extract/articles": 2}


def test_the_frontier_is_kept_while_anyone_still_works(server):
    first, second = frontier(server, "first"), frontier(server, "second")
    first.join({"site": "t"}, {}, lease_seconds=30)
    first.seeded()
    second.join({"site": "t"}, {}, lease_seconds=30)
    assert first.busy()  # second is still yielding its start requests
    second.seeded()
    second.push("fp", b"listing", 0)
    second.lease()
    assert first.finish() is False  # second holds a listing that may yield more requests
    assert server.exists(first.dupefilter_key)
    with pytest.raises(CrawlConflict):
        frontier(server, "third").join({"site": "t", "full": True}, {}, lease_seconds=30)


@pytest.fixture(scope="module")
def big_site() -> Iterator[tuple[DemoSite, DemoServer]]:
    site = DemoSite(n_articles=ARTICLES_ON_SITE, seed=23)
    with DemoServer(site) as demo:
        yield site, demo


def worker_command(base_url: str, mongo_uri: str, database: str, data_dir: Path,
                   redis_url: str) -> list[str]:
    return [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
            "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
            "--data-dir", str(data_dir), "--redis-url", redis_url, "--log-level", "WARNING",
            "--set", "INGEST_REDIS_LEASE=3"]


def start_workers(count: int, base_url: str, mongo_uri: str, database: str, tmp_path: Path,
                  redis_url: str, *extra: str) -> list[subprocess.Popen]:
    """`count` workers of one shared crawl, each with a data folder of its own."""
    return [subprocess.Popen(worker_command(base_url, mongo_uri, database, tmp_path / f"w{i}", redis_url)
                             + list(extra),
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for i in range(count)]


def wait_until_stored(mongo_uri: str, database: str, wanted: float, workers: list[subprocess.Popen],
                      timeout: float = 120) -> None:
    """Until `wanted` articles are stored; every worker must still be running meanwhile."""
    deadline = time.monotonic() + timeout
    while len(_stored_ids(mongo_uri, database)) < wanted and time.monotonic() < deadline:
        assert all(w.poll() is None for w in workers), "a worker ended too early"
        time.sleep(0.2)


@contextlib.contextmanager
def reaped(workers: list[subprocess.Popen]) -> Iterator[list[subprocess.Popen]]:
    """The workers, killed on the way out if a test left any running."""
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()


def test_three_workers_one_killed_store_every_article_once(big_site, mongo_uri, redis_url, server,
                                                           tmp_path, figure):
    site, demo = big_site
    database = "distributed_kill"
    client = connect(mongo_uri)
    client.drop_database(database)
    articles = client[database][ARTICLES]
    started = time.monotonic()
    workers = start_workers(WORKERS, demo.base_url, mongo_uri, database, tmp_path, redis_url)
    try:
        wait_until_stored(mongo_uri, database, 0.35 * ARTICLES_ON_SITE, workers, timeout=300)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        stored_at_kill = articles.count_documents({})
        assert stored_at_kill < ARTICLES_ON_SITE

        logs = []
        for worker in workers[1:]:
            _, err = worker.communicate(timeout=300)
            logs.append(err)
            assert worker.returncode == 0, err[-3000:]
        elapsed = time.monotonic() - started

        docs = {d["source_id"]: d for d in articles.find({}, {"source_id": 1, "listed_in": 1})}
        stored = [d["source_id"] for d in articles.find({}, {"source_id": 1})]
        assert len(stored) == ARTICLES_ON_SITE
        assert set(stored) == {str(a.id) for a in site.articles}  # every article, each once
        wrong_categories = [key for key, truth in ((str(a["id"]), a) for a in site.expected())
                            if sorted(docs[key]["listed_in"]) != sorted(truth["categories"])]
        assert wrong_categories == []  # whichever worker saw a listing, it is in listed_in
        assert len(articles.distinct("canonical_url")) == ARTICLES_ON_SITE
        for err in logs:
            assert "DuplicateKeyError" not in err and "E11000" not in err
            assert PASSWORD not in err
        runs = {r["_id"]: r for r in client[database][RUNS].find()}
        finished = [r for r in runs.values() if r.get("finish_reason") == "finished"]
        assert len(runs) == WORKERS and len(finished) == WORKERS - 1  # the victim's stays "running"
        requeued = sum(r["stats"].get("distributed/requeued", 0) for r in finished)
        assert requeued > 0
        assert all(r["stats"]["mongo/new"] > 0 for r in finished)  # the work was shared
        assert sum(r["counts"]["dead_lettered"] for r in finished) == 0
        assert server.keys("ingest:demo:main:requests") == []  # the frontier is cleared at the end
        assert server.keys("ingest:demo:main:dupefilter") == []
        figure(f"distributed: {WORKERS} workers, one SIGKILLed at {stored_at_kill}/{ARTICLES_ON_SITE} "
               f"stored, {requeued} requests re-queued -> {len(stored)}/{ARTICLES_ON_SITE} stored once "
               f"in {elapsed:.0f}s, each with all its categories")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        client.drop_database(database)
        client.close()


def test_a_worker_with_other_parameters_is_refused(big_site, mongo_uri, redis_url, server, tmp_path):
    _, demo = big_site
    server.set("ingest:demo:main:params", json.dumps({"site": "demo", "full": True}))
    result = subprocess.run(worker_command(demo.base_url, mongo_uri, "distributed_refused",
                                           tmp_path, redis_url),
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 75, result.stderr[-3000:]
    assert "other parameters" in result.stderr
    assert PASSWORD not in result.stderr and "redis://***@127.0.0.1" in result.stderr
    with connect(mongo_uri) as client:
        assert client["distributed_refused"][ARTICLES].count_documents({}) == 0
        client.drop_database("distributed_refused")

    as_setting = worker_command(demo.base_url, mongo_uri, "distributed_refused", tmp_path, redis_url)
    at = as_setting.index("--redis-url")
    as_setting[at:at + 2] = ["--set", f"INGEST_REDIS_URL={redis_url}"]
    result = subprocess.run(as_setting, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 75, result.stderr[-3000:]  # the shared path, not the local lock's
    assert "frontier: shared, in redis://***@127.0.0.1" in result.stderr
    assert PASSWORD not in result.stderr

    no_store = [part for part in worker_command(demo.base_url, mongo_uri, "x", tmp_path, redis_url)
                if part not in ("--mongo-uri", mongo_uri)]
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    refused = subprocess.run(no_store, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and "need a shared store" in refused.stderr

    frontier_command = [sys.executable, "-m", "ingest", "frontier", "--site", "demo", "--redis-url", redis_url]
    shown = subprocess.run(frontier_command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert json.loads(shown.stdout)["params"] == {"site": "demo", "full": True}
    subprocess.run(frontier_command + ["--reset"], cwd=ROOT, check=True, capture_output=True, timeout=60)
    assert not server.exists("ingest:demo:main:params")


def _stored_ids(mongo_uri: str, database: str) -> list[str]:
    with connect(mongo_uri) as client:
        return [d["source_id"] for d in client[database][ARTICLES].find({}, {"source_id": 1})]


def _runs(mongo_uri: str, database: str) -> list[dict]:
    with connect(mongo_uri) as client:
        runs = list(client[database][RUNS].find())
        client.drop_database(database)
    return runs


def test_redis_paused_mid_crawl_loses_nothing(mongo_uri, tmp_path, figure):
    """A frozen Redis (a network partition, a stalled host): calls time out, the workers pause
    and keep what they find, and carry on when it answers; their leases expired meanwhile."""
    site = DemoSite(n_articles=1000, seed=31)
    database = "distributed_outage"
    with DemoServer(site) as demo, LocalRedis(tmp_path / "redis") as frontier_server:
        redis_pid = frontier_server.process.pid
        with reaped(start_workers(2, demo.base_url, mongo_uri, database, tmp_path, frontier_server.url,
                                  "--set", "INGEST_REDIS_TIMEOUT=0.5", "--set", "DOWNLOAD_DELAY=0.02")
                    ) as workers:
            try:
                wait_until_stored(mongo_uri, database, 250, workers)
                os.kill(redis_pid, signal.SIGSTOP)
                stored_at_pause = len(_stored_ids(mongo_uri, database))
                time.sleep(6)  # twice the lease (INGEST_REDIS_LEASE=3)
            finally:
                os.kill(redis_pid, signal.SIGCONT)
            logs = [w.communicate(timeout=300)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], "\n".join(log[-2000:] for log in logs)
    assert stored_at_pause < 1000
    stored = _stored_ids(mongo_uri, database)
    assert sorted(stored) == sorted(str(a.id) for a in site.articles)  # every article, once
    stats = [run["stats"] for run in _runs(mongo_uri, database)]
    outages = sum(s.get("distributed/redis_outages", 0) for s in stats)
    assert outages >= 1 and all(run.get("distributed/requests_not_queued") is None for run in stats)
    assert any("Redis answers again" in log for log in logs)
    figure(f"Redis frozen 6 s at {stored_at_pause}/1000 stored, 2 workers: {outages} outages seen, "
           f"{len(stored)}/1000 stored once, both exit 0")


def test_a_worker_stops_when_redis_stays_away(mongo_uri, tmp_path, figure):
    site = DemoSite(n_articles=400, seed=37)
    database = "distributed_gone"
    with DemoServer(site) as demo, LocalRedis(tmp_path / "redis") as frontier_server:
        redis_pid = frontier_server.process.pid
        with reaped(start_workers(1, demo.base_url, mongo_uri, database, tmp_path, frontier_server.url,
                                  "--set", "INGEST_REDIS_TIMEOUT=0.5", "--set", "INGEST_REDIS_MAX_OUTAGE=3",
                                  "--set", "DOWNLOAD_DELAY=0.02")) as [worker]:
            try:
                wait_until_stored(mongo_uri, database, 50, [worker])
                os.kill(redis_pid, signal.SIGSTOP)
                paused = time.monotonic()
                _, err = worker.communicate(timeout=120)
                waited = time.monotonic() - paused
            finally:
                os.kill(redis_pid, signal.SIGCONT)
    stored = _stored_ids(mongo_uri, database)
    [run] = _runs(mongo_uri, database)
    assert worker.returncode == 1, err[-3000:]
    assert run["finish_reason"] == "redis_unavailable"
    assert "Redis unreachable for over 3 s" in err
    assert run["counts"]["dead_lettered"] == 0 and len(stored) == run["stats"]["mongo/new"] > 0
    figure(f"Redis gone for good, INGEST_REDIS_MAX_OUTAGE=3: worker stopped after {waited:.1f} s, "
           f"exit 1 (redis_unavailable), {len(stored)} stored articles kept, 0 dead-lettered")


def test_a_worker_stopped_with_sigterm_hands_its_work_back(mongo_uri, redis_url, server, tmp_path, figure):
    """A graceful stop (systemd stop, a Kubernetes pod deleted): the worker finishes what it
    holds, gives the rest back to the queue at once, and the others complete the crawl."""
    site = DemoSite(n_articles=800, seed=41)
    database = "distributed_sigterm"
    with DemoServer(site) as demo, reaped(start_workers(2, demo.base_url, mongo_uri, database, tmp_path,
                                                        redis_url, "--set", "DOWNLOAD_DELAY=0.02")) as workers:
        wait_until_stored(mongo_uri, database, 200, workers)
        workers[0].send_signal(signal.SIGTERM)
        stopped_at = len(_stored_ids(mongo_uri, database))
        logs = [w.communicate(timeout=300)[1] for w in workers]
    assert workers[1].returncode == 0, logs[1][-3000:]
    stored = _stored_ids(mongo_uri, database)
    assert sorted(stored) == sorted(str(a.id) for a in site.articles)
    runs = {run["stats"]["distributed/worker"]: run for run in _runs(mongo_uri, database)}
    reasons = sorted(run["finish_reason"] for run in runs.values())
    assert reasons == ["finished", "shutdown"]
    assert all(run["counts"]["dead_lettered"] == 0 for run in runs.values())
    figure(f"distributed: one of 2 workers SIGTERMed at {stopped_at}/800 stored -> it stops cleanly "
           f"(shutdown), the other completes: {len(stored)}/800 stored once")
