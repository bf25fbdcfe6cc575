"""Extraction in worker processes: the same articles as in-process extraction, and neither a
page that never finishes nor a worker that dies costs the crawl anything but that page."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from fault_server import FaultServer, article_page, listing_page

from ingest.demo.site import DemoServer, DemoSite
from ingest.store.client import ARTICLES, connect
from ingest.store.crawlstate import last_run

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ("_id", "fetched_at", "crawl_id", "first_seen_at", "last_seen_at", "last_changed_at",
            "archive")  # where its archived page is: another file each run
ARTICLE = "/2024/05/{slug}/"


def slow_page(title: str, paragraphs: int = 350_000) -> str:
    """~3.5 MB of tiny paragraphs: about four CPU seconds of extraction."""
    return article_page(title).replace("</div>", "<p>a b</p>" * paragraphs + "</div>", 1)



def crawl_command(site_args: list[str], mongo_uri: str, database: str, data_dir: Path, *extra: str
                  ) -> list[str]:
    return [sys.executable, "-m", "ingest", "crawl", *site_args, "--mongo-uri", mongo_uri,
            "--database", database, "--data-dir", str(data_dir), "--log-level", "INFO",
            "--set", "AUTOTHROTTLE_ENABLED=false", *extra]


def stored_articles(mongo_uri: str, database: str) -> tuple[dict[str, dict], dict]:
    with connect(mongo_uri) as client:
        db = client[database]
        docs = {doc["url"]: {k: v for k, v in doc.items() if k not in VOLATILE}
                for doc in db[ARTICLES].find({})}
        for doc in docs.values():  # which listing reached an article first is the crawl's timing
            doc["listed_in"] = sorted(doc.get("listed_in") or [])
        stats = (last_run(db) or {}).get("stats") or {}
        client.drop_database(database)
    return docs, stats


def test_worker_processes_store_exactly_what_in_process_extraction_stores(mongo_uri, tmp_path):
    with DemoServer(DemoSite(n_articles=60)) as server:
        site_args = ["--site", "demo", "--base-url", server.base_url, "--all-categories"]
        runs = {}
        for processes in (0, 2):
            database = f"workers_{processes}"
            result = subprocess.run(
                crawl_command(site_args, mongo_uri, database, tmp_path / str(processes),
                              "--set", f"INGEST_EXTRACT_PROCESSES={processes}"),
                cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr[-3000:]
            assert ("extracting in 2 worker processes" in result.stderr) == (processes == 2)
            runs[processes] = stored_articles(mongo_uri, database)[0]
    assert len(runs[0]) == 60
    assert runs[2] == runs[0]


def test_a_page_over_the_time_limit_is_dropped_and_the_rest_stored(mongo_uri, tmp_path, figure):
    links = [ARTICLE.format(slug=slug) for slug in ("quick-1", "endless", "quick-2")]
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (404, {}, b"")
        server.routes["/category/news/"] = server.html(listing_page(links))
        for link in links:
            server.routes[link] = server.html(slow_page(link) if "endless" in link else article_page(link))
        started = time.monotonic()
        result = subprocess.run(
            crawl_command(["--site", "wordpress", "--start-url", server.base_url + "/category/news/"],
                          mongo_uri, "workers_timeout", tmp_path,
                          "--set", "INGEST_EXTRACT_PROCESSES=1", "--set", "INGEST_EXTRACT_TIMEOUT=0.5"),
            cwd=ROOT, capture_output=True, text=True, timeout=300)
        elapsed = time.monotonic() - started
    docs, stats = stored_articles(mongo_uri, "workers_timeout")
    assert sorted(url.rsplit("/", 2)[1] for url in docs) == ["quick-1", "quick-2"], result.stderr[-3000:]
    assert stats.get("extract/timed_out") == 1 and stats.get("extract/failed") == 1
    assert "extraction took longer than 0.5 s" in result.stderr
    figure(f"extraction time limit 0.5 s: the ~3.5 MB page dropped, 2/2 others stored, crawl {elapsed:.1f} s")


def _extraction_workers(pid: int) -> list[int]:
    """Worker processes spawned by the crawl `pid` (multiprocessing's spawn entry point)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == pid and b"multiprocessing" in cmdline and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _start_up_cpu() -> float:
    """CPU seconds a new extraction worker spends before its first page (its imports and
    warm-up), measured on a process doing just that."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "from ingest.extraction_workers import ExtractionWorkers\n"
                    "from ingest.extract.article import warm_up\nwarm_up()"], cwd=ROOT, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def test_a_worker_killed_mid_page_is_replaced_and_the_page_stored(mongo_uri, tmp_path, figure):
    link = ARTICLE.format(slug="long-read")
    into_the_page = _start_up_cpu() + 1.0  # the page itself takes several CPU seconds
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (404, {}, b"")
        server.routes["/category/news/"] = server.html(listing_page([link]))
        server.routes[link] = server.html(slow_page("Long read"))
        crawl = subprocess.Popen(
            crawl_command(["--site", "wordpress", "--start-url", server.base_url + "/category/news/"],
                          mongo_uri, "workers_killed", tmp_path, "--set", "INGEST_EXTRACT_PROCESSES=1"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and crawl.poll() is None:
            for worker in _extraction_workers(crawl.pid):
                if server.hits[link] and _cpu_seconds(worker) > into_the_page:
                    os.kill(worker, signal.SIGKILL)
                    killed = worker
            time.sleep(0.05)
        _, stderr = crawl.communicate(timeout=300)
    assert killed is not None, "the crawl ended before its worker could be killed:\n" + stderr[-3000:]
    assert crawl.returncode == 0, stderr[-3000:]
    docs, stats = stored_articles(mongo_uri, "workers_killed")
    assert [doc["title"] for doc in docs.values()] == ["Long read"]
    assert stats.get("extract/worker_died") == 1 and not stats.get("extract/failed")
    figure("extraction worker SIGKILLed mid-page: replaced, the page extracted again and stored, 1/1")
