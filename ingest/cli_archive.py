"""Commands over archived pages: import-warc (web archives into the store), reextract (the
stored corpus through the current extractor, from its archived pages)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.commands import crawl_settings, mongo_store, print_run, project_settings, run_crawl

if TYPE_CHECKING:
    from scrapy.settings import Settings

EXIT_INCOMPLETE = 1
EXIT_USAGE = 2


def _counts(stats: dict[str, Any], prefix: str) -> str:
    found = {key[len(prefix):]: value for key, value in sorted(stats.items())
             if key.startswith(prefix) and "/" not in key[len(prefix):]}
    return ", ".join(f"{name} {value}" for name, value in found.items()) or "none"


def cmd_import_warc(args: argparse.Namespace) -> int:
    from ingest.archive.spiders import WarcImportSpider
    from ingest.sites import ProfileError, load_profile

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    if args.site:
        try:
            load_profile(args.site)
        except ProfileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    spider_args: dict[str, Any] = {"files": [str(path) for path in args.files], "site": args.site,
                                   "url_pattern": args.url_pattern, "hosts": args.host or None,
                                   "languages": args.language or None}
    with mongo_store(project_settings(args), args.data_dir / "store") as store_uri:
        settings = crawl_settings(args, store_uri)
        _archive_nothing_new(settings)
        stats = run_crawl(spider_args, settings, WarcImportSpider).stats.get_stats()
        print_run(stats)
    get = stats.get
    print(f"import: files {get('import/files', 0)} | responses {get('import/responses', 0)} | "
          f"articles {get('import/articles', 0)} | skipped: {_counts(stats, 'import/skipped/')} | "
          f"damaged: {_counts(stats, 'import/problems/')}", file=sys.stderr)
    if get("finish_reason") != "finished":
        print(f"error: the import stopped early ({get('finish_reason')})", file=sys.stderr)
        return EXIT_INCOMPLETE
    not_html = get("import/skipped/not_html", 0)
    if get("import/problems") or not_html:
        print(f"error: incomplete: {get('import/problems', 0)} damaged, unreadable or oversized "
              f"stretches of the input and {not_html} non-HTML responses were not imported (see "
              "the messages above); the rest was", file=sys.stderr)
        return EXIT_INCOMPLETE
    if get("mongo/dead_lettered"):
        print(f"error: {get('mongo/dead_lettered')} articles could not be stored", file=sys.stderr)
        return EXIT_INCOMPLETE
    if not get("import/articles"):
        print("error: no article was imported", file=sys.stderr)
        return EXIT_INCOMPLETE
    return 0


def _archive_nothing_new(settings: Settings) -> None:
    """Imports and re-extractions fetch nothing, so they archive nothing unless `--set` asks:
    above the settings module and the environment, below the command line."""
    settings.set("INGEST_WARC_ENABLED", False, priority="project")


def cmd_reextract(args: argparse.Namespace) -> int:
    from ingest.archive.spiders import ReextractSpider
    from ingest.store.queries import ArticleFilter, QueryError

    params = {"site": args.site, "category": args.category, "tag": args.tag, "author": args.author,
              "language": args.language, "from": args.date_from, "to": args.date_to,
              "text": args.text}
    params = {key: value for key, value in params.items() if value is not None}
    try:
        ArticleFilter.from_params(params)
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with mongo_store(project_settings(args), args.data_dir / "store") as store_uri:
        settings = crawl_settings(args, store_uri)
        _archive_nothing_new(settings)
        stats = run_crawl({"filters": params, "force": args.force}, settings,
                          ReextractSpider).stats.get_stats()
        print_run(stats)
    get = stats.get
    print(f"reextract: matching {get('reextract/matching', 0)} | already current "
          f"{get('reextract/current', 0)} | re-extracted {get('reextract/extracted', 0)} | changed "
          f"{get('mongo/changed', 0)} | unchanged {get('mongo/unchanged', 0)} | archived page "
          f"missing {get('reextract/missing_record', 0)}", file=sys.stderr)
    if get("finish_reason") != "finished":
        print("note: stopped early; run it again to go on where it stopped", file=sys.stderr)
        return EXIT_INCOMPLETE
    if get("reextract/missing_record") or get("mongo/dead_lettered"):
        return EXIT_INCOMPLETE
    return 0


def add_archive_commands(sub: Any, store_options: Callable[[argparse.ArgumentParser], None],
                         log_options: Callable[[argparse.ArgumentParser], None]) -> None:
    from ingest.cli_read import filter_options

    p = sub.add_parser("import-warc", help="ingest the HTML responses of WARC files (any producer)")
    p.add_argument("files", nargs="+", type=Path, help=".warc or .warc.gz files")
    p.add_argument("--site", help="site profile whose rules to use (default: generic, every "
                                  "HTML page, each article filed under its host)")
    p.add_argument("--url-pattern", metavar="REGEX", help="import only URLs this matches")
    p.add_argument("--host", action="append", help="import only this host and its subdomains "
                                                   "(repeatable)")
    p.add_argument("--language", action="append", help="keep only articles in this language "
                                                       "(repeatable), e.g. en")
    store_options(p)
    log_options(p)
    p.set_defaults(func=cmd_import_warc)

    p = sub.add_parser("reextract", help="run the current extractor over the archived pages of "
                                         "stored articles (no network)")
    filter_options(p)
    p.add_argument("--force", action="store_true",
                   help="also articles the current extractor made")
    store_options(p)
    log_options(p)
    p.set_defaults(func=cmd_reextract)
