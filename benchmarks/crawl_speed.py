"""Crawl speed on one machine, against the local demo site with a full WordPress theme
(~30 KB article pages) served from 127.0.0.1:

  (a) bare Scrapy: a minimal spider following the same listing -> article links, yielding
      url + title, no pipelines (the ceiling)
  (b) ours: `python -m ingest crawl` (crawl, extract, normalize, store) into an embedded
      store, and into the MongoDB that MONGO_URI names when it is set
  (c) extraction alone, ours (every field) and trafilatura's (body), on the site's pages

Each in its own process: articles/s (wall), CPU seconds per article (the process's user +
sys, start-up included for crawls), peak RSS; medians of --runs. The demo server's and the
embedded store's CPU are shown too: on a small machine they share the cores with the crawl.

    .venv/bin/python benchmarks/crawl_speed.py                      # 5,000 articles, 3 runs
    .venv/bin/python benchmarks/crawl_speed.py --articles 5000 50000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import scrapy  # noqa: E402

from ingest.store.client import redact_uri  # noqa: E402

THROUGHPUT_TARGET = 0.5  # (b) at least half of (a)'s articles/s
CPU_RATIO_TARGET = 1.6  # (b)'s CPU per article at most this multiple of (a)'s (it travels between machines)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# children ---------------------------------------------------------------------------------------
class BareSpider(scrapy.Spider):
    """The ceiling: the same links as our spider follows, nothing else done."""

    name = "bare"

    def __init__(self, home: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [home]

    def parse(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        for href in response.css("#primary-menu > li > a::attr(href)").getall():
            yield response.follow(href, self.parse_listing)

    def parse_listing(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        for href in response.css("h2.entry-title a::attr(href)").getall():
            yield response.follow(href, self.parse_article)
        next_page = response.css("a.next.page-numbers::attr(href)").get()
        if next_page:
            yield response.follow(next_page, self.parse_listing, priority=10)

    def parse_article(self, response: scrapy.http.Response) -> Iterator[dict[str, str]]:
        yield {"url": response.url, "title": response.css("h1.entry-title::text").get()}


def crawl_settings() -> dict[str, Any]:
    """Our crawl's concurrency and politeness settings for the demo site."""
    import ingest.settings as ours
    from ingest.sites import load_profile

    names = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
             "ROBOTSTXT_OBEY", "USER_AGENT", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE",
             "TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED")
    settings = {name: getattr(ours, name) for name in names}
    settings.update(load_profile("demo").settings)
    return settings


def child_bare(home: str) -> None:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess({**crawl_settings(), "LOG_LEVEL": "WARNING"})
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, home=home)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"articles": stats.get("item_scraped_count", 0),
                      "elapsed": stats.get("elapsed_time_seconds"),
                      "pages": stats.get("response_received_count", 0)}))


def child_extract(which: str, pages_file: str) -> None:
    from ingest.evaluate import trafilatura_body
    from ingest.extract.article import extract_article
    from ingest.sites import load_profile

    pages = [json.loads(line) for line in Path(pages_file).read_text(encoding="utf-8").splitlines()]
    rules = load_profile("demo").extraction
    if which == "ours":
        def extract(page: dict[str, str]) -> Any:
            return extract_article(page["html"], page["url"], rules)
    else:
        def extract(page: dict[str, str]) -> Any:
            return trafilatura_body(page["html"].encode("utf-8"), page["url"])
    extract(pages[0])  # lazy imports and caches, not part of the per-page cost
    wall, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        extract(page)
    print(json.dumps({"articles": len(pages), "elapsed": time.perf_counter() - wall,
                      "cpu": time.process_time() - cpu}))


# measuring --------------------------------------------------------------------------------------
def proc_cpu(pid: int) -> float:
    """CPU seconds (user + sys) of a running process so far; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    """A process's children, their children and so on (Linux's /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def peak_rss_kb(pids: list[int]) -> dict[int, int]:
    """Each process's own peak resident memory so far (VmHWM), in KB."""
    peaks = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks[pid] = next((int(line.split()[1]) for line in status.splitlines()
                           if line.startswith("VmHWM:")), 0)
    return peaks


def run_child(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a process to its end; its CPU (wait4: with every descendant it waited for, e.g. its
    extraction workers), its peak RSS and its stdout. Peak RSS is the sum of each process's
    own peak (VmHWM, read every 0.2 s while it runs), not wait4's ru_maxrss: that one starts
    from the size of this process, which spawned the child and holds the whole demo site."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, env=env)
        started = time.perf_counter()
        peaks: dict[int, int] = {}
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            for member, peak in peak_rss_kb([process.pid, *descendants(process.pid)]).items():
                peaks[member] = max(peaks.get(member, 0), peak)
            time.sleep(0.2)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... exited {process.returncode}:\n{stderr[-3000:]}")
    return {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": sum(peaks.values()) / 1024,
            "wall": wall, "stdout": stdout, "stderr": stderr}


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_bare(base_url: str) -> dict[str, Any]:
    server_cpu = self_cpu()
    child = run_child([sys.executable, __file__, "--child-bare", base_url + "/"])
    result = json.loads(child["stdout"].strip().splitlines()[-1])
    return {**result, "cpu": child["cpu"], "rss_mb": child["rss_mb"],
            "server_cpu": self_cpu() - server_cpu}


def measure_ours(base_url: str, uri: str, database: str, data_dir: Path,
                 store_pid: int | None, extract_processes: int | None = None) -> dict[str, Any]:
    from ingest.store.client import connect
    from ingest.store.crawlstate import last_run
    from ingest.store.queries import count_articles

    store_cpu, server_cpu = proc_cpu(store_pid) if store_pid else 0.0, self_cpu()
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
               "--all-categories", "--mongo-uri", uri, "--database", database,
               "--data-dir", str(data_dir), "--log-level", "WARNING"]
    if extract_processes is not None:
        command += ["--set", f"INGEST_EXTRACT_PROCESSES={extract_processes}"]
    child = run_child(command)
    measured = {"cpu": child["cpu"], "rss_mb": child["rss_mb"], "server_cpu": self_cpu() - server_cpu,
                "store_cpu": proc_cpu(store_pid) - store_cpu if store_pid else None}
    with connect(uri) as client:
        run = last_run(client[database], "demo") or {}
        stored = count_articles(client[database], "demo")
    stats = run.get("stats") or {}
    return {**measured, "articles": stats.get("extract/articles", 0), "stored": stored,
            "elapsed": stats.get("elapsed_time_seconds"), "pages": stats.get("response_received_count", 0)}


def measure_extraction(which: str, pages_file: Path) -> dict[str, Any]:
    child = run_child([sys.executable, __file__, "--child-extract", which, str(pages_file)])
    result = json.loads(child["stdout"].strip().splitlines()[-1])
    return {**result, "rss_mb": child["rss_mb"]}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return statistics.median(values) if values else None

    rates = [r["articles"] / r["elapsed"] for r in runs if r.get("elapsed")]
    return {"rate": statistics.median(rates) if rates else 0.0,
            "cpu_per_article": statistics.median(r["cpu"] / max(r["articles"], 1) for r in runs),
            "cpu_per_article_runs": [r["cpu"] / max(r["articles"], 1) for r in runs],
            "rss_mb": med("rss_mb"), "articles": med("articles"),
            "server_cpu_per_article": statistics.median(
                r["server_cpu"] / max(r["articles"], 1) for r in runs) if "server_cpu" in runs[0] else None,
            "store_cpu_per_article": statistics.median(
                r["store_cpu"] / max(r["articles"], 1) for r in runs) if runs[0].get("store_cpu") is not None else None}


def row(label: str, m: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return f"{1000 * value:8.2f}" if value is not None else "       -"

    return (f"{label:34} {m['rate']:9.1f} {ms(m['cpu_per_article'])} {m['rss_mb']:9.0f} "
            f"{ms(m['server_cpu_per_article'])} {ms(m['store_cpu_per_article'])}")


# the benchmark ------------------------------------------------------------------------------------
def bench(n_articles: int, runs: int, extract_pages: int, mongo_uri: str | None,
          work: Path, extract_processes: int = 0) -> dict[str, dict[str, Any]]:
    from ingest.demo.site import DemoServer, DemoSite
    from ingest.store.client import connect
    from ingest.store.embedded import EmbeddedMongo

    started = time.perf_counter()
    site = DemoSite(n_articles=n_articles, full_theme=True)
    print(f"\n== {n_articles} articles (site generated in {time.perf_counter() - started:.0f}s)",
          flush=True)
    results: dict[str, list[dict[str, Any]]] = {}
    with DemoServer(site) as server:
        pages_file = work / f"pages-{n_articles}.jsonl"
        with pages_file.open("w", encoding="utf-8") as stream:
            step = max(1, len(site.articles) // extract_pages)
            for article in site.articles[::step][:extract_pages]:
                html = server.respond(article.path, f"{server.host}:{server.port}")[2]
                stream.write(json.dumps({"url": server.base_url + article.path, "html": html}) + "\n")
        sizes = [len(json.loads(line)["html"].encode()) for line in pages_file.open(encoding="utf-8")]
        print(f"article pages: median {statistics.median(sizes) / 1024:.1f} KB", flush=True)
        for run in range(1, runs + 1):
            def record(key: str, result: dict[str, Any]) -> None:
                results.setdefault(key, []).append(result)
                rate = result["articles"] / result["elapsed"] if result.get("elapsed") else 0
                print(f"  run {run} {key}: {result['articles']} articles, {rate:.1f}/s, "
                      f"cpu {result['cpu']:.1f}s, peak RSS {result['rss_mb']:.0f} MB", flush=True)

            record("(a) bare Scrapy (url + title)", measure_bare(server.base_url))
            store_dir = work / f"store-{n_articles}-{run}"
            with EmbeddedMongo(store_dir) as store:
                result = measure_ours(server.base_url, store.uri, "bench", work / f"data-{n_articles}-{run}",
                                      store.server_pid)
            _check_stored(result, n_articles)
            record("(b) ours, embedded store", result)
            if extract_processes:
                with EmbeddedMongo(f"{store_dir}-workers") as store:
                    result = measure_ours(server.base_url, store.uri, "bench", work / f"data-{n_articles}-{run}-w",
                                          store.server_pid, extract_processes)
                _check_stored(result, n_articles)
                record(f"(b) ours, {extract_processes} extraction worker(s)", result)
            if mongo_uri:
                database = f"bench_{uuid.uuid4().hex[:8]}"
                try:
                    result = measure_ours(server.base_url, mongo_uri, database,
                                          work / f"data-{n_articles}-{run}-mongo", None)
                finally:
                    with connect(mongo_uri) as client:
                        client.drop_database(database)
                _check_stored(result, n_articles)
                record(f"(b) ours, {redact_uri(mongo_uri)}", result)
            record("(c) extraction, ours (all fields)", measure_extraction("ours", pages_file))
            record("(c) extraction, trafilatura (body)", measure_extraction("trafilatura", pages_file))
    return {key: median_of(values) for key, values in results.items()}


def _check_stored(result: dict[str, Any], expected: int) -> None:
    if result["stored"] != expected:
        print(f"  warning: {result['stored']} articles stored of {expected}", flush=True)


def report(n_articles: int, table: dict[str, dict[str, Any]], runs: int) -> list[str]:
    lines = [f"\n{n_articles} articles, median of {runs} run(s)",
             f"{'':34} {'art./s':>9} {'CPU ms/art':>8} {'RSS MB':>9} {'server ms':>8} {'store ms':>8}"]
    lines += [row(label, m) for label, m in table.items()]
    bare = table["(a) bare Scrapy (url + title)"]
    for label, m in table.items():
        if label.startswith("(b)"):
            share = m["rate"] / bare["rate"] if bare["rate"] else 0.0
            lines.append(f"target (b) >= {THROUGHPUT_TARGET:.0%} of (a): {share:.0%} "
                         f"[{label[4:]}] -> {'met' if share >= THROUGHPUT_TARGET else 'NOT met'}")
            ratios = paired_ratios(m, bare)
            ratio = statistics.median(ratios)
            lines.append(f"target (b) CPU per article <= {CPU_RATIO_TARGET}x (a)'s: {ratio:.2f}x "
                         f"(median of each run's ratio: {', '.join(f'{r:.2f}' for r in ratios)}) "
                         f"[{label[4:]}] -> {'met' if ratio <= CPU_RATIO_TARGET else 'NOT met'}")
    ours, theirs = table["(c) extraction, ours (all fields)"], table["(c) extraction, trafilatura (body)"]
    faster = ours["cpu_per_article"] < theirs["cpu_per_article"]
    lines.append(f"target extraction faster than trafilatura: {1000 * ours['cpu_per_article']:.1f} vs "
                 f"{1000 * theirs['cpu_per_article']:.1f} ms/article -> {'met' if faster else 'NOT met'}")
    return lines


def paired_ratios(ours: dict[str, Any], bare: dict[str, Any]) -> list[float]:
    """Each run's CPU per article over bare Scrapy's in the same run: runs measured minutes
    apart on shared cores differ by 10-20%, so a ratio of the two medians can pair a slow
    run with a fast one; the median of the paired ratios does not."""
    return [mine / theirs for mine, theirs in zip(ours["cpu_per_article_runs"], bare["cpu_per_article_runs"])
            if theirs]


def rss_report(tables: dict[int, dict[str, dict[str, Any]]]) -> list[str]:
    """Peak RSS as N grows: ours against bare Scrapy, whose growth is its duplicate filter's."""
    small, large = min(tables), max(tables)
    lines = [f"\npeak RSS from {small} to {large} articles"]
    growth = {}
    for label in tables[small]:
        if label.startswith(("(a)", "(b)")):
            before, after = tables[small][label]["rss_mb"], tables[large][label]["rss_mb"]
            growth[label] = (after - before) / (large - small) * 1000
            lines.append(f"  {label:34} {before:6.0f} -> {after:6.0f} MB "
                         f"({growth[label]:+.2f} MB per 1000 articles)")
    bare = growth.pop("(a) bare Scrapy (url + title)")
    for label, value in growth.items():
        lines.append(f"  {label[4:]}: {value - bare:+.2f} MB per 1000 articles beyond bare Scrapy's")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-bare"]:
        child_bare(argv[1])
        return 0
    if argv[:1] == ["--child-extract"]:
        child_extract(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[5000],
                        help="site sizes to measure (default 5000); two or more also compare peak RSS")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; medians are shown")
    parser.add_argument("--extract-pages", type=int, default=500,
                        help="article pages, spread over the site, for the extraction comparison")
    parser.add_argument("--extract-processes", type=int, default=0, metavar="N",
                        help="also measure (b) with extraction in N worker processes "
                             "(INGEST_EXTRACT_PROCESSES=N; their CPU and memory are included)")
    args = parser.parse_args(argv)
    if min(args.articles) < 50 or args.runs < 1 or args.extract_pages < 1:
        parser.error("--articles at least 50, --runs and --extract-pages at least 1")
    mongo_uri = os.environ.get("MONGO_URI") or None
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared cores make "
          f"figures noisy: medians of {args.runs} run(s))"
          + (f"; also measuring against {redact_uri(mongo_uri)}" if mongo_uri else ""), flush=True)
    tables = {}
    with tempfile.TemporaryDirectory(prefix="crawl-speed-") as work:
        for n in sorted(set(args.articles)):
            tables[n] = bench(n, args.runs, args.extract_pages, mongo_uri, Path(work), args.extract_processes)
            print("\n".join(report(n, tables[n], args.runs)), flush=True)
    if len(tables) > 1:
        print("\n".join(rss_report(tables)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
