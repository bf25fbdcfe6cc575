"""Command line: `python -m ingest <command>` (or `./run <command>`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymongo.database import Database
    from scrapy.crawler import Crawler

    from ingest.extract.article import ExtractionRules

from ingest.commands import (DEFAULT_DATA_DIR, StoreUnreachable, crawl_settings, mongo_store,
                             open_database, print_run, project_settings, run_crawl,
                             store_database)

EXIT_LOCKED = 75  # EX_TEMPFAIL: a scheduler may simply try again later
EXIT_QUALITY = 65  # EX_DATAERR: the run went through, but extracted worse than the site's usual
SERVE_TIMEOUT_MS = 15_000  # any one store operation behind a web request
CRAWL_CONFLICT = "crawl_conflict"  # ingest.distributed.scheduler's close reason


def crawl_exit_code(crawler: Crawler) -> int:
    """0 when the run finished healthy; 1 otherwise (for schedulers): interrupted, no article
    link found at all, more failed requests than INGEST_MAX_ERROR_RATE, or articles that
    could not be stored; EXIT_QUALITY when it went through but the quality monitors
    flagged it."""
    stats = crawler.stats.get_stats()
    max_error_rate = crawler.settings.getfloat("INGEST_MAX_ERROR_RATE")
    if stats.get("finish_reason") != "finished":
        return 1
    # A worker of a shared crawl may have fetched only articles: the crawl's count decides.
    if not (stats.get("listing/article_links") or stats.get("distributed/crawl/listing/article_links")):
        print("error: no article link was found on any listing page", file=sys.stderr)
        return 1
    requests = stats.get("downloader/request_count", 0)
    failed = stats.get("fetch/errors", 0) + stats.get("extract/failed", 0)
    if requests and failed / requests > max_error_rate:
        print(f"error: {failed} of {requests} requests failed (over {max_error_rate:.0%})",
              file=sys.stderr)
        return 1
    if stats.get("mongo/dead_lettered"):
        print(f"error: {stats['mongo/dead_lettered']} articles could not be stored "
              "(see the dead-letter folder)", file=sys.stderr)
        return 1
    if stats.get("monitors/findings"):
        for line in stats.get("monitors/finding_lines") or ():
            print(f"quality: {line}", file=sys.stderr)
        return EXIT_QUALITY
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from ingest.archive.writer import check_gzip_level
    from ingest.monitors.checks import Thresholds
    from ingest.sites import ProfileError, load_profile

    try:
        profile = load_profile(args.site)
        checked = project_settings(args)
        checked.setdict(profile.settings, priority="spider")
        Thresholds.from_settings(checked)  # the quality monitors' settings, checked up front
        check_gzip_level(checked.getint("INGEST_WARC_GZIP_LEVEL"))  # ... and the archive's
    except (ProfileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    spider_args: dict[str, Any] = {"site": args.site}
    if args.start_url:
        spider_args["start_urls"] = ",".join(args.start_url)
    if args.base_url:
        spider_args["base_url"] = args.base_url
    if args.all_categories:
        spider_args["all_categories"] = "true"
    if args.max_pages is not None:
        spider_args["max_pages"] = str(args.max_pages)
    if args.full:
        spider_args["full"] = "true"
    if args.entry:
        spider_args["entry_points"] = args.entry
    from ingest.distributed import redis_url
    from ingest.runlock import LockHeld, RunLock

    settings = project_settings(args)
    shared_url = redis_url(settings)
    lock: RunLock | None = None
    if shared_url:
        from ingest.store.client import redact_uri

        # A shared crawl: other workers of this site may run here too. The crawl's parameters
        # in Redis refuse a conflicting start; the frontier there is what a restart resumes.
        if not settings.get("MONGO_URI"):  # each worker would start an embedded store of its own
            print("error: the workers of a shared crawl need a shared store: give --mongo-uri "
                  "or set MONGO_URI", file=sys.stderr)
            return 2
        print(f"frontier: shared, in {redact_uri(shared_url)}", file=sys.stderr)
    else:
        lock = RunLock(args.data_dir / "locks" / f"{Path(args.site).stem}.lock")
        try:
            lock.acquire()
        except LockHeld as exc:
            print(f"error: another crawl of {args.site} is running: {exc}", file=sys.stderr)
            return EXIT_LOCKED
        if lock.taken_over is not None:
            print(f"note: took over a stale lock left by pid {lock.taken_over.get('pid')}",
                  file=sys.stderr)
    try:
        with mongo_store(settings, args.data_dir / "store") as store_uri:
            if lock is not None and not args.full:  # the spider asks the crawl's store
                spider_args["resume"] = "auto"
            crawler = run_crawl(spider_args, crawl_settings(args, store_uri))
            print_run(crawler.stats.get_stats())
    finally:
        if lock is not None:
            lock.release()
    if crawler.stats.get_value("finish_reason") == CRAWL_CONFLICT:
        print(f"error: a crawl of {args.site} with other parameters is under way in Redis",
              file=sys.stderr)
        return EXIT_LOCKED
    return crawl_exit_code(crawler)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled demo site on 127.0.0.1 and crawl all of it into the store."""
    from ingest.demo.site import DemoServer, DemoSite

    started = time.monotonic()
    site = DemoSite(n_articles=args.articles)
    settings = project_settings(args)
    with DemoServer(site, port=args.port) as server, \
            mongo_store(settings, args.data_dir / "store") as store_uri, \
            open_database(settings, store_uri) as db:
        print(f"demo site: {server.base_url} ({len(site.articles)} articles, "
              f"{len(site.categories)} categories)", file=sys.stderr)
        from ingest.store.articles import remove_site

        removed = remove_site(db, "demo")  # the demo site lives on a new port each time
        if removed:
            print(f"removed the previous demo's {removed} articles", file=sys.stderr)
        spider_args = {"site": "demo", "base_url": server.base_url, "all_categories": "true"}
        console: dict[str, Any] = {"INGEST_PROGRESS_CONSOLE": True, "INGEST_PROGRESS_INTERVAL": 2.0}
        if not args.log_file:  # the console shows progress; details go to a file
            log_file = args.data_dir / "logs" / "demo.log"
            log_file.parent.mkdir(parents=True, exist_ok=True)
            console.update(LOG_FILE=str(log_file), LOG_FILE_APPEND=False)
            print(f"crawl log: {log_file}", file=sys.stderr)
        crawler = run_crawl(spider_args, crawl_settings(args, store_uri, **console))
        print_run(crawler.stats.get_stats())
        print_summary(db, site="demo")
    print(f"wall time: {time.monotonic() - started:.1f}s", file=sys.stderr)
    where = "" if args.data_dir == DEFAULT_DATA_DIR else f" --data-dir {args.data_dir}"
    where += f" --database {args.database}" if args.database else ""
    print(f"\nthe articles are in the store now; look at them with:\n"
          f"  ./run search --site demo{where}\n  ./run summary{where}\n"
          f"  ./run serve{where}      (then open http://127.0.0.1:8080/)")
    return crawl_exit_code(crawler)


def print_summary(db: Database, site: str | None = None) -> None:
    from ingest.store.queries import corpus_summary

    summary = corpus_summary(db, site)
    print(f"\n{summary['articles']} articles stored, {summary['revisions']} revisions")
    print(f"published from {summary['published_from']} to {summary['published_to']}")
    print("categories: " + ", ".join(f"{name} ({n})" for name, n in summary["categories"]))
    sample = summary["sample"]
    if sample:
        print("\nsample article:")
        print(f"  url:       {sample.get('canonical_url')}")
        print(f"  title:     {sample.get('title')}")
        print(f"  published: {sample.get('published_at')} (from {sample.get('date_source')})")
        print(f"  categories: {', '.join(sample.get('categories') or [])}")
        for caption in sample.get("captions") or []:
            print(f"  caption:   {caption.get('text')} [{caption.get('image_url')}]")
        body = textwrap.shorten(sample.get("body") or "", 400, placeholder=" ...")
        print(textwrap.indent(textwrap.fill(body, 90), "  "))


def cmd_summary(args: argparse.Namespace) -> int:
    with store_database(args) as db:
        print_summary(db, args.site)
    return 0


def cmd_frontier(args: argparse.Namespace) -> int:
    """A shared crawl's state in Redis, as JSON; --reset forgets the crawl."""
    import json

    from ingest.distributed import connect_redis, crawl_prefix
    from ingest.distributed.frontier import SharedFrontier
    from ingest.sites import ProfileError, load_profile
    from ingest.store.client import redact_uri

    settings = project_settings(args)
    url = settings.get("INGEST_REDIS_URL")
    if not url:
        print("error: give --redis-url or set REDIS_URL", file=sys.stderr)
        return 2
    try:
        site = load_profile(args.site).name
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    crawl = args.crawl or settings.get("INGEST_REDIS_CRAWL")
    frontier = SharedFrontier(connect_redis(url), crawl_prefix(site, crawl), worker="cli")
    if args.reset:
        print(f"removed {frontier.reset()} keys of {frontier.prefix} in {redact_uri(url)}", file=sys.stderr)
        return 0
    print(json.dumps(frontier.status(), indent=2, default=str))
    return 0


def cmd_sites(args: argparse.Namespace) -> int:
    from ingest.sites import available_profiles, load_profile

    for name in available_profiles():
        profile = load_profile(name)
        print(f"{name:14} {profile.title}  start: {', '.join(profile.start_urls) or '(give --start-url)'}")
    return 0


def _page_files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.name.endswith((".html", ".htm", ".html.gz")))
        else:
            yield path


# `extract` exits with the number of pages that failed, up to this (shells keep 126+).
MAX_EXIT_FAILURES = 125


def _extracted_record(path: Path, url: str | None, rules: ExtractionRules, tz: str) -> dict[str, Any]:
    """One saved page as `extract` writes it."""
    from ingest.dates import parse_datetime, parse_local
    from ingest.evaluate import read_page
    from ingest.extract.article import extract_article

    fields = extract_article(read_page(path), url or "", rules)
    published = parse_local(fields["published_raw"] or "", timezone=tz, url=url or "",
                            printed=fields["printed_date_raw"])
    modified = parse_datetime(fields["modified_raw"] or "", timezone=tz)
    return {
        "file": str(path), "url": url or None, "title": fields["title"],
        "body": fields["body"], "captions": fields["captions"], "authors": fields["authors"],
        "published_at": published.utc.isoformat() if published else None,
        "published_local": published.local if published else None,
        "published_zone": published.zone if published else None,
        "modified_at": modified.isoformat() if modified else None,
        "date_source": fields["date_source"], "language": fields["language"],
        "categories": fields["categories"], "tags": fields["tags"],
        "canonical_url": fields["canonical_url"] or None, "source_id": fields["source_id"],
    }


def cmd_extract(args: argparse.Namespace) -> int:
    """Saved pages -> JSON Lines, with the crawl's extractor and date parsing. Exit status:
    how many pages failed (each also gets a line with its "error")."""
    import json
    import traceback

    from ingest.extract.article import GENERIC
    from ingest.extract.html import ExtractionError
    from ingest.sites import ProfileError, load_profile

    try:
        profile = load_profile(args.site) if args.site else None
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rules = profile.extraction if profile else GENERIC
    tz = args.timezone or (profile.timezone if profile else "UTC")
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    failures = 0
    files = list(_page_files(args.paths))
    if not files:
        print("error: no .html, .htm or .html.gz files found", file=sys.stderr)
        return 2
    for index, path in enumerate(files, 1):
        try:
            record = _extracted_record(path, args.url, rules, tz)
        except Exception as exc:  # one page's failure costs that page only: a line says why
            failures += 1
            reason = str(exc) if isinstance(exc, (OSError, ExtractionError)) else f"{type(exc).__name__}: {exc}"
            print(f"error: {path}: {reason}", file=sys.stderr)
            if not isinstance(exc, (OSError, ExtractionError)):
                traceback.print_exc(file=sys.stderr)
            out.write(json.dumps({"file": str(path), "url": args.url or None, "error": reason},
                                 ensure_ascii=False) + "\n")
            continue
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if args.output and index % 50 == 0:
            print(f"{index}/{len(files)} pages", file=sys.stderr)
    if args.output:
        out.close()
    print(f"{len(files) - failures} pages extracted, {failures} failed", file=sys.stderr)
    return min(failures, MAX_EXIT_FAILURES)


def cmd_eval(args: argparse.Namespace) -> int:
    from ingest.evaluate import find_truth, report

    try:
        for folder in args.folders:
            find_truth(folder)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    per_page = open(args.pages, "w", encoding="utf-8") if args.pages else None
    try:
        for line in report(args.folders, compare=not args.no_compare, per_page=per_page):
            print(line, flush=True)
    finally:
        if per_page is not None:
            per_page.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The read-only web app over the store, until Ctrl-C (or SIGTERM)."""
    from ingest.web import create_app
    from ingest.web.server import WebServer, is_loopback, trusted_hosts

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # waitress stops on it; the embedded store is then stopped too

    signal.signal(signal.SIGTERM, stop)
    with store_database(args, timeoutMS=SERVE_TIMEOUT_MS) as db:
        app = create_app(db, trusted_hosts=trusted_hosts(args.host))
        try:
            server = WebServer(app, host=args.host, port=args.port, threads=args.threads)
        except OSError as exc:
            print(f"error: cannot listen on {args.host} port {args.port}: {exc}", file=sys.stderr)
            return 2
        if not is_loopback(args.host):
            print(f"warning: listening on {args.host}: other machines can reach it, and it has "
                  "no login", file=sys.stderr)
        print(f"serving {server.url} (database {db.name}; Ctrl-C stops)", flush=True)
        server.serve_forever()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingest", description="News crawling and ingestion.")
    sub = parser.add_subparsers(dest="command", required=True)

    def store_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mongo-uri", help="MongoDB to use (default: the setting MONGO_URI, e.g. "
                                           "$MONGO_URI; unset: an embedded server)")
        p.add_argument("--database", help="database name (default: the setting MONGO_DATABASE, news)")
        p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                       help="local data folder: embedded store, dead letters (default: ./data)")

    def log_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--log-file", type=Path, help="also write the crawl log to this file (appended)")
        p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
        p.add_argument("--set", action="append", metavar="NAME=VALUE",
                       help="any Scrapy setting for this run, e.g. --set DOWNLOAD_DELAY=2")

    crawl = sub.add_parser("crawl", help="crawl a site into the store")
    crawl.add_argument("--site", default="wordpress", help="site profile name or TOML path")
    crawl.add_argument("--start-url", action="append", help="category listing URL (repeatable)")
    crawl.add_argument("--base-url", help="resolve the profile's relative URLs against this")
    crawl.add_argument("--all-categories", action="store_true", help="crawl every category in the menu")
    crawl.add_argument("--max-pages", type=int, help="listing pages per category (0: all)")
    crawl.add_argument("--entry", metavar="LIST",
                       help="where article URLs come from, comma-separated: listings, sitemap, "
                            "feed, rest (default: the profile's)")
    crawl.add_argument("--full", action="store_true",
                       help="full re-crawl: every listing page and article, stored or not")
    crawl.add_argument("--redis-url", metavar="URL",
                       help="be one worker of a shared crawl: frontier and duplicate filter in "
                            "this Redis (default: $REDIS_URL; unset: a local crawl)")
    store_options(crawl)
    log_options(crawl)
    crawl.set_defaults(func=cmd_crawl)

    demo = sub.add_parser("demo", help="serve the demo site locally and crawl it")
    demo.add_argument("--articles", type=int, default=320)
    demo.add_argument("--port", type=int, default=0)
    store_options(demo)
    log_options(demo)
    demo.set_defaults(func=cmd_demo)

    frontier = sub.add_parser("frontier", help="a shared crawl's frontier in Redis: queue, workers, counters")
    frontier.add_argument("--site", required=True, help="site profile name or TOML path")
    frontier.add_argument("--crawl", help="the crawl's name (default: the setting INGEST_REDIS_CRAWL)")
    frontier.add_argument("--redis-url", metavar="URL",
                          help="default: the setting INGEST_REDIS_URL, e.g. $REDIS_URL")
    frontier.add_argument("--reset", action="store_true",
                          help="forget the crawl: queued and seen requests, workers, counters")
    frontier.set_defaults(func=cmd_frontier)

    summary = sub.add_parser("summary", help="what the store holds")
    summary.add_argument("--site")
    store_options(summary)
    summary.set_defaults(func=cmd_summary)

    extract = sub.add_parser("extract", help="extract saved pages to JSON Lines")
    extract.add_argument("paths", nargs="+", type=Path, help=".html/.html.gz files or folders")
    extract.add_argument("--url", help="the page's URL (for one page)")
    extract.add_argument("--site", help="site profile whose rules and time zone to use")
    extract.add_argument("--timezone", help="time zone for dates without one (default: profile's or UTC)")
    extract.add_argument("-o", "--output", help="write JSON Lines here instead of stdout")
    extract.set_defaults(func=cmd_extract)

    evaluate = sub.add_parser("eval", help="score extraction on folders of pages with ground truth")
    evaluate.add_argument("folders", nargs="+", type=Path,
                          help="folders holding html/ and ground-truth.json or truth.json")
    evaluate.add_argument("--no-compare", action="store_true", help="skip trafilatura and htmldate")
    evaluate.add_argument("--pages", metavar="FILE", type=Path,
                          help="also write each page's scores per extractor here (JSON Lines)")
    evaluate.set_defaults(func=cmd_eval)

    serve = sub.add_parser("serve", help="read-only web app: search, articles, revisions, stats, JSON")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0: any free one)")
    serve.add_argument("--threads", type=int, default=4, help="requests served at once (default: 4)")
    store_options(serve)
    serve.set_defaults(func=cmd_serve)

    from ingest.cli_read import add_read_commands

    add_read_commands(sub, store_options)

    from ingest.cli_archive import add_archive_commands

    add_archive_commands(sub, store_options, log_options)

    sites = sub.add_parser("sites", help="list the bundled site profiles")
    sites.set_defaults(func=cmd_sites)
    return parser


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds: temporary files removed, the store left


def main(argv: Sequence[str] | None = None) -> int:
    from ingest.store.embedded import EmbeddedStoreError

    args = build_parser().parse_args(argv)
    for chatty in ("htmldate", "trafilatura", "courlan", "pymongo"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if threading.current_thread() is threading.main_thread():  # Scrapy and serve set their own
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return args.func(args)
    except (StoreUnreachable, EmbeddedStoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
