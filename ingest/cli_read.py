"""The analysts' commands: search, article, stats, coverage, export. Every one reads through
ingest.store.queries (exports through ingest.store.exports) with the same filter flags."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, get_args

from pymongo.database import Database
from pymongo.errors import PyMongoError

from ingest.commands import store_database
from ingest.revisions import revision_changes
from ingest.store.exports import (
    DEFAULT_EXPORT_FIELDS, ExportFormat, export_articles, json_default,
)
from ingest.store.queries import (
    ArticleFilter, CountBy, QueryError, article_by_url, counts_by, field_coverage,
    monthly_counts_by_category, revisions_of, search_articles,
)
from ingest.store.times import as_datetime

EXIT_USAGE = 2
PROGRESS_INTERVAL = 2.0  # seconds between export progress lines


def filter_options(parser: argparse.ArgumentParser, text_flag: bool = True) -> None:
    """The filter flags every read command takes; their values go to ArticleFilter.from_params."""
    group = parser.add_argument_group("filters")
    if text_flag:
        group.add_argument("--text", help="words that must all appear in the title or body")
    group.add_argument("--site", help="site profile name, e.g. iranfreedom")
    group.add_argument("--category")
    group.add_argument("--tag")
    group.add_argument("--author")
    group.add_argument("--language", help="language code, e.g. en, fa")
    group.add_argument("--from", dest="date_from", metavar="DATE",
                       help="published on or after: YYYY-MM-DD (a day on the site's own "
                       "calendar) or an ISO 8601 instant")
    group.add_argument("--to", dest="date_to", metavar="DATE",
                       help="published on or before (YYYY-MM-DD takes in the whole local day)")


def args_filter(args: argparse.Namespace) -> ArticleFilter:
    text = args.text if isinstance(args.text, str) else " ".join(args.text or [])
    return ArticleFilter.from_params({
        "text": text, "site": args.site, "category": args.category, "tag": args.tag,
        "author": args.author, "language": args.language, "from": args.date_from,
        "to": args.date_to,
    })


def read_command(run: Callable[[argparse.Namespace, Database], int], filtered: bool = True,
                 check: Callable[[argparse.Namespace], None] | None = None,
                 ) -> Callable[[argparse.Namespace], int]:
    """The filter is checked before any store is opened; bad input exits 2, a store that
    does not answer exits 1, each with one line on stderr (never the URI's credentials)."""

    def command(args: argparse.Namespace) -> int:
        try:
            args.filter = args_filter(args) if filtered else None
            if check:
                check(args)
            with store_database(args) as db:
                return run(args, db)
        except QueryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except PyMongoError as exc:
            print(f"error: the store failed ({type(exc).__name__}); is it running, and is "
                  "--mongo-uri (or MONGO_URI) right?", file=sys.stderr)
            return 1

    return command


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=json_default))


def _day(value: Any) -> str:
    moment = as_datetime(value)
    return moment.strftime("%Y-%m-%d") if moment else "-" * 10


def search(args: argparse.Namespace, db: Database) -> int:
    result = search_articles(db, args.filter, page=args.page, per_page=args.per_page)
    if args.json:
        print_json({"filter": args.filter.as_params(), "total": result.total, "more": result.more,
                    "page": result.page, "per_page": result.per_page, "items": result.items})
        return 0
    more = "+" if result.more else ""
    print(f"{result.total}{more} articles | page {result.page} of {result.pages}{more}")
    for item in result.items:
        day, site = _day(item.get("published_local") or item.get("published_at")), item.get("site") or ""
        print(f"{day}  {site}  {item.get('title') or ''}")
        print(f"            {item.get('canonical_url')}")
    return 0


def article(args: argparse.Namespace, db: Database) -> int:
    doc = article_by_url(db, args.url)
    if doc is None:
        print(f"error: no stored article has the URL or canonical URL {args.url!r}",
              file=sys.stderr)
        return 1
    revisions = revisions_of(db, doc["canonical_url"])
    for revision in revisions:
        revision.pop("article_id", None)
    changes = revision_changes(revisions, doc)
    if args.json:
        print_json({"article": doc, "revisions": revisions,
                    "changes": [asdict(change) for change in changes]})
        return 0
    print(doc.get("title") or "(no title)")
    for label, field in (("url", "canonical_url"), ("site", "site"), ("published", "published_at"),
                         ("modified", "modified_at"), ("authors", "authors"),
                         ("categories", "categories"), ("tags", "tags"), ("language", "language"),
                         ("revision", "revision"), ("first seen", "first_seen_at"),
                         ("last changed", "last_changed_at")):
        value = doc.get(field)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        print(f"  {label + ':':14}{'' if value is None else value}")
    print()
    for paragraph in (doc.get("body") or "").split("\n\n"):
        print(textwrap.fill(paragraph, 90), end="\n\n")
    for caption in doc.get("captions") or []:
        print(f"caption: {caption.get('text')} [{caption.get('image_url')}]")
    print(f"\n{len(revisions) + 1} versions")
    for change in changes:
        because = {"reextract": ", re-extracted from the archived page", "import": ", imported",
                   "crawl": ", the page changed"}.get(change.reason or "", "")
        print(f"\nrevision {change.from_revision} -> {change.to_revision} "
              f"(seen {change.changed_at}{because})")
        for mark, text in change.lines:
            print(text if mark == "@" else f"{mark}{text}")
    return 0


MONTH_BY_CATEGORY = "month-category"


def stats(args: argparse.Namespace, db: Database) -> int:
    if args.by == MONTH_BY_CATEGORY:
        return month_by_category(args, db)
    rows = counts_by(db, args.filter, args.by)
    if args.json:
        print_json({"filter": args.filter.as_params(), "by": args.by,
                    "counts": [{"value": value, "articles": n} for value, n in rows]})
        return 0
    width = max([len(value) for value, _ in rows] + [len(args.by)])
    print(f"{args.by:{width}}  articles")
    for value, n in rows:
        print(f"{value:{width}}  {n:8}")
    return 0


def month_by_category(args: argparse.Namespace, db: Database) -> int:
    """The table behind the web app's chart: articles per month and category."""
    rows = monthly_counts_by_category(db, args.filter)
    if args.json:
        print_json({"filter": args.filter.as_params(), "by": args.by,
                    "counts": [{"month": month, "category": category, "articles": n}
                               for month, category, n in rows]})
        return 0
    width = max([len(category) for _, category, _ in rows] + [len("category")])
    print(f"month    {'category':{width}}  articles")
    for month, category, n in rows:
        print(f"{month}  {category:{width}}  {n:8}")
    return 0


def coverage(args: argparse.Namespace, db: Database) -> int:
    rows = field_coverage(db, args.filter)
    if args.json:
        print_json({"filter": args.filter.as_params(),
                    "fields": [{"field": field, "present": n, "articles": total}
                               for field, n, total in rows]})
        return 0
    print(f"{'field':16} {'present':>9} {'of':>9} {'share':>6}")
    for field, present, total in rows:
        share = f"{present / total:.0%}" if total else "-"
        print(f"{field:16} {present:9} {total:9} {share:>6}")
    return 0


class ExportProgress:
    """A line on stderr every PROGRESS_INTERVAL seconds, and one at the end."""

    def __init__(self, interval: float = PROGRESS_INTERVAL) -> None:
        self.interval = interval
        self.started = time.monotonic()
        self.last = self.started

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.interval or done >= total:
            self.last = now
            rate = done / max(now - self.started, 1e-6)
            print(f"export: {done:,}/{total:,} articles ({rate:,.0f}/s)", file=sys.stderr,
                  flush=True)


def check_export(args: argparse.Namespace) -> None:
    if args.output == "-":
        if args.format == "parquet":
            raise QueryError("parquet needs a file (-o FILE), not standard output")
    elif not Path(args.output).name or Path(args.output).is_dir():
        raise QueryError(f"-o: {args.output!r} is not a file name (give a file, or '-' for stdout)")


def export(args: argparse.Namespace, db: Database) -> int:
    if args.format == "warc":
        return export_archived(args, db)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    output = sys.stdout if args.output == "-" else Path(args.output)
    try:
        written = export_articles(db, args.filter, args.format, output, fields, ExportProgress())
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"exported {written:,} articles to {args.output}", file=sys.stderr)
    return 0


def export_archived(args: argparse.Namespace, db: Database) -> int:
    """The archived pages of the matching articles, as one WARC file."""
    from ingest.archive.export import export_warc

    if args.output == "-":
        raise QueryError("warc needs a file (-o FILE.warc.gz), not standard output")
    try:
        written, missing = export_warc(db, args.filter, Path(args.output), ExportProgress(),
                                       warc_dir=args.data_dir / "warc")
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"exported the archived pages of {written:,} articles to {args.output}", file=sys.stderr)
    if missing:
        print(f"error: {missing:,} matching articles' archived pages could not be read",
              file=sys.stderr)
        return 1
    return 0


def add_read_commands(sub: Any, store_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("search", help="full-text search with filters, newest first")
    p.add_argument("text", nargs="*", help="words that must all appear in the title or body")
    filter_options(p, text_flag=False)
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--per-page", type=int, default=20)
    p.add_argument("--json", action="store_true", help="the page as JSON")
    store_options(p)
    p.set_defaults(func=read_command(search))

    p = sub.add_parser("article", help="one stored article by URL, with its revisions and diffs")
    p.add_argument("url", help="the article's URL or canonical URL")
    p.add_argument("--json", action="store_true")
    store_options(p)
    p.set_defaults(func=read_command(article, filtered=False))

    p = sub.add_parser("stats", help="matching articles counted by a field")
    p.add_argument("--by", choices=(*get_args(CountBy), MONTH_BY_CATEGORY), default="category")
    filter_options(p)
    p.add_argument("--json", action="store_true")
    store_options(p)
    p.set_defaults(func=read_command(stats))

    p = sub.add_parser("coverage", help="how many matching articles hold each stored field")
    filter_options(p)
    p.add_argument("--json", action="store_true")
    store_options(p)
    p.set_defaults(func=read_command(coverage))

    p = sub.add_parser("export", help="matching articles to JSON Lines, CSV or Parquet, streamed; "
                                      "or their archived pages to a WARC file")
    p.add_argument("--format", choices=(*get_args(ExportFormat), "warc"), required=True)
    p.add_argument("-o", "--output", required=True, help="file to write ('-': stdout, jsonl/csv)")
    p.add_argument("--fields", metavar="A,B,...",
                   help=f"fields to export (default: {', '.join(DEFAULT_EXPORT_FIELDS)})")
    filter_options(p)
    store_options(p)
    p.set_defaults(func=read_command(export, check=check_export))
