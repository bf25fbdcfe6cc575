"""What the WARC archive costs and how fast archived pages are worked through, on the local
demo site with a production theme's chrome (~30 KB article pages):

  1. archive overhead: `ingest crawl` of the site with archiving on and off, alternated in
     the same run: CPU per article (the crawl's process), disk per article (WARC files, and
     the store's files beside them)
  2. `ingest import-warc` of a WARC of N pages (written here with warcio as Common Crawl
     lays its files out: request, response and metadata records): pages/s, CPU per page,
     peak RSS, at a small and a large N (memory must stay flat)
  3. `ingest reextract --force` over the store the large import made: pages/s, CPU per page

Each command runs in its own process (CPU from wait4, peak RSS the sum of each process's
VmHWM). On a shared machine wall-clock rates are noisy: CPU per page is the steadier figure.

    .venv/bin/python benchmarks/warc.py                                  # 2,000 / 1,000 / 10,000
    .venv/bin/python benchmarks/warc.py --crawl-articles 500 --import-pages 200 1000 --runs 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from crawl_speed import run_child  # noqa: E402


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def crawl_once(base_url: str, work: Path, label: str, archive: bool) -> dict[str, Any]:
    from ingest.store.client import connect
    from ingest.store.embedded import EmbeddedMongo
    from ingest.store.crawlstate import last_run

    data = work / label
    with EmbeddedMongo(data / "store") as store:
        child = run_child([sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url",
                           base_url, "--all-categories", "--mongo-uri", store.uri, "--database",
                           "bench", "--data-dir", str(data), "--log-level", "WARNING",
                           "--set", f"INGEST_WARC_ENABLED={archive}"])
        with connect(store.uri) as client:
            stats = (last_run(client["bench"], "demo") or {}).get("stats") or {}
    articles = stats.get("extract/articles", 0)
    return {"articles": articles, "cpu": child["cpu"], "rss_mb": child["rss_mb"],
            "warc_bytes": folder_bytes(data / "warc"), "store_bytes": folder_bytes(data / "store"),
            "pages": stats.get("response_received_count", 0),
            "fsyncs": stats.get("archive/fsyncs", 0)}


def archive_overhead(n_articles: int, runs: int, work: Path) -> list[str]:
    from ingest.demo.site import DemoServer, DemoSite

    site = DemoSite(n_articles=n_articles, full_theme=True)
    results: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    with DemoServer(site) as server:
        for run in range(runs):
            for archive in (False, True):
                result = crawl_once(server.base_url, work, f"crawl-{run}-{archive}", archive)
                results[archive].append(result)
                print(f"  crawl run {run + 1}, archive {'on ' if archive else 'off'}: "
                      f"{result['articles']} articles, {result['pages']} pages, CPU {result['cpu']:.1f} s, "
                      f"WARC {result['warc_bytes'] / 1e6:.1f} MB, store {result['store_bytes'] / 1e6:.1f} MB, "
                      f"fsyncs {result['fsyncs']}", flush=True)

    def per_article(archive: bool, key: str) -> float:
        return statistics.median(r[key] / max(r["articles"], 1) for r in results[archive])

    off_cpu, on_cpu = per_article(False, "cpu"), per_article(True, "cpu")
    warc = per_article(True, "warc_bytes")
    store_off, store_on = per_article(False, "store_bytes"), per_article(True, "store_bytes")
    return [
        f"\n1. archive overhead, crawl of {n_articles} articles (median of {runs} run(s), same site, alternated)",
        f"   CPU per article:  off {1000 * off_cpu:.2f} ms, on {1000 * on_cpu:.2f} ms "
        f"({(on_cpu / off_cpu - 1) * 100:+.0f}%)",
        f"   disk per article: off {store_off / 1024:.1f} KB (store), on {(store_on + warc) / 1024:.1f} KB "
        f"(store {store_on / 1024:.1f} KB + WARC {warc / 1024:.1f} KB)",
        f"   WARC per 1,000 articles: {warc * 1000 / 1e6:.1f} MB (every response of the crawl: "
        f"listings, robots.txt, redirects included; gzip)",
    ]


def writer_alone(n_pages: int, work: Path) -> list[str]:
    """The archive's own CPU, without a crawl around it: RotatingWarcWriter over rendered
    article pages (in this process: steadier than the difference of two crawls)."""
    from ingest.archive.writer import Exchange, RotatingWarcWriter
    from ingest.demo.site import DemoServer, DemoSite

    site = DemoSite(n_articles=n_pages, full_theme=True)
    server = DemoServer(site)
    exchanges = []
    for article in site.articles:
        status, content_type, text, _ = server.respond(article.path, "news.example")
        exchanges.append(Exchange(f"http://news.example{article.path}", "GET",
                                  [("Host", "news.example"), ("User-Agent", "bench")], b"", status,
                                  "HTTP/1.1", [("Content-Type", content_type)], text.encode()))
    writer = RotatingWarcWriter(work / "writer-alone", "bench", 1_000_000_000, {"software": "bench"})
    cpu = time.process_time()
    for exchange in exchanges:
        writer.write(exchange)
    writer.close()
    cpu = time.process_time() - cpu
    raw = sum(len(e.body) for e in exchanges) / len(exchanges)
    return [f"   archive writer alone (warcio, gzip level 9): {1000 * cpu / n_pages:.2f} ms CPU per article "
            f"page ({raw / 1024:.0f} KB page -> {writer.bytes / n_pages / 1024:.1f} KB of WARC with its request)"]


def write_warc(path: Path, n_pages: int) -> float:
    """A WARC of the demo site's article pages in Common Crawl's record layout; returns the
    seconds it took."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from ingest.demo.site import DemoServer, DemoSite

    started = time.perf_counter()
    site = DemoSite(n_articles=n_pages, full_theme=True)
    server = DemoServer(site)  # not started: it renders pages for a host name
    host = "news.example"
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "benchmarks/warc.py"}))
        for article in site.articles:
            status, content_type, text, _ = server.respond(article.path, host)
            body = text.encode("utf-8")
            url = f"http://{host}{article.path}"
            http = StatusAndHeaders(f"{status} OK", [("Content-Type", content_type),
                                                     ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            response = writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                                 http_headers=http)
            request = writer.create_warc_record(url, "request", payload=BytesIO(b""), length=0,
                                                http_headers=StatusAndHeaders(f"GET {article.path} HTTP/1.1",
                                                                              [("Host", host)],
                                                                              is_http_request=True))
            writer.write_request_response_pair(request, response)
            writer.write_record(writer.create_warc_record(url, "metadata", payload=BytesIO(b"fetchTimeMs: 9\r\n"),
                                                          length=16, warc_content_type="application/warc-fields"))
    return time.perf_counter() - started


def timed_command(args: list[str]) -> dict[str, Any]:
    child = run_child([sys.executable, "-m", "ingest", *args, "--log-level", "WARNING"])
    return {"cpu": child["cpu"], "wall": child["wall"], "rss_mb": child["rss_mb"], "stderr": child["stderr"]}


def import_and_reextract(sizes: list[int], work: Path) -> list[str]:
    from ingest.store.client import ARTICLES, connect
    from ingest.store.embedded import EmbeddedMongo

    lines = []
    peaks = {}
    for n in sizes:
        warc = work / f"pages-{n}.warc.gz"
        seconds = write_warc(warc, n)
        print(f"  wrote {warc.name}: {warc.stat().st_size / 1e6:.1f} MB in {seconds:.0f} s", flush=True)
        with EmbeddedMongo(work / f"import-store-{n}") as store:
            store_args = ["--mongo-uri", store.uri, "--database", "bench"]
            imported = timed_command(["import-warc", str(warc), "--site", "demo", *store_args])
            with connect(store.uri) as client:
                stored = client["bench"][ARTICLES].count_documents({})
            peaks[n] = imported["rss_mb"]
            lines.append(f"   import-warc {n:>6,} pages: {n / imported['wall']:6.1f} pages/s, "
                         f"CPU {1000 * imported['cpu'] / n:5.2f} ms/page, peak RSS {imported['rss_mb']:.0f} MB "
                         f"({stored:,} stored)")
            print(lines[-1], flush=True)
            if n == max(sizes):
                again = timed_command(["reextract", "--force", *store_args])
                lines.append(f"   reextract   {stored:>6,} articles: {stored / again['wall']:6.1f} pages/s, "
                             f"CPU {1000 * again['cpu'] / max(stored, 1):5.2f} ms/page, "
                             f"peak RSS {again['rss_mb']:.0f} MB")
                print(lines[-1], flush=True)
    small, large = min(peaks), max(peaks)
    lines.append(f"   import-warc peak RSS {small:,} -> {large:,} pages: {peaks[small]:.0f} -> {peaks[large]:.0f} MB "
                 f"({(peaks[large] - peaks[small]) / (large - small) * 1000:+.2f} MB per 1,000 pages)")
    return ["\n2./3. import-warc and reextract (demo site's pages, --site demo, embedded store)", *lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crawl-articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=2, help="crawl runs per setting (medians)")
    parser.add_argument("--import-pages", type=int, nargs=2, default=[1000, 10000], metavar=("SMALL", "LARGE"))
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
          "(other processes share the cores: prefer the CPU figures)", flush=True)
    lines = []
    with tempfile.TemporaryDirectory(prefix="warc-bench-") as work:
        lines += archive_overhead(args.crawl_articles, args.runs, Path(work))
        lines += writer_alone(1000, Path(work))
        lines += import_and_reextract(sorted(args.import_pages), Path(work))
    print("\n".join(lines))
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
