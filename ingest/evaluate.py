"""Extraction quality on saved pages with ground truth: body shingle F1 (the
article-extraction benchmark's metric) and publication-date accuracy (htmldate's).

Pure functions plus a runner; the folders are arguments (nothing here knows where the
benchmark lives)."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + size]) for i in range(max(len(tokens) - size + 1, 0)))


def body_precision_recall(predicted: str, truth: str) -> tuple[float | None, float | None]:
    """Per-page precision and recall over 4-token shingles; None where undefined
    (precision when nothing was predicted, recall when the truth is empty)."""
    pred, true = shingles(predicted), shingles(truth)
    matched = sum((pred & true).values())
    extra = sum(pred.values()) - matched
    missing = sum(true.values()) - matched
    precision = matched / (matched + extra) if pred else None
    recall = matched / (matched + missing) if true else None
    return precision, recall


@dataclass
class BodyScore:
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    pages: int = 0

    def add(self, predicted: str, truth: str) -> None:
        precision, recall = body_precision_recall(predicted, truth)
        if precision is not None:
            self.precisions.append(precision)
        if recall is not None:
            self.recalls.append(recall)
        self.pages += 1

    @property
    def precision(self) -> float:
        return sum(self.precisions) / len(self.precisions) if self.precisions else 0.0

    @property
    def recall(self) -> float:
        return sum(self.recalls) / len(self.recalls) if self.recalls else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class DateScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: date | None, truth: date | None) -> None:
        if predicted is None:
            self.fn += 1
        elif predicted == truth:
            self.tp += 1
        else:
            self.fp += 1

    @property
    def pages(self) -> int:
        return self.tp + self.fp + self.fn

    @property
    def accuracy(self) -> float:
        return self.tp / self.pages if self.pages else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.pages else 0.0


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def page_id(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    return name.removesuffix(".html").removesuffix(".htm")


def stated_date(raw: str | None, timezone: str = "UTC") -> date | None:
    """The calendar date a value states, in its own offset (not converted to UTC)."""
    if not raw:
        return None
    from ingest.dates import parse_datetime

    try:
        return datetime.fromisoformat(raw.strip().replace("Z", "+00:00")).date()
    except ValueError:
        parsed = parse_datetime(raw, timezone=timezone)
        return parsed.date() if parsed else None


def find_truth(folder: Path) -> tuple[Path, dict[str, dict]]:
    """A benchmark folder holds html/ and a JSON truth file (id -> fields)."""
    for name in ("ground-truth.json", "truth.json"):
        if (folder / name).is_file():
            pages = folder / "html" if (folder / "html").is_dir() else folder
            return pages, json.loads((folder / name).read_text(encoding="utf-8"))
    raise FileNotFoundError(f"{folder}: no ground-truth.json or truth.json")


@dataclass
class Extracted:
    """What one extractor said about one page (None: a field it does not extract)."""

    body: str | None = None
    title: str | None = None
    date: str | None = None
    error: str | None = None


Extractor = Callable[[bytes, str], Extracted]


def ours(html: bytes, url: str) -> Extracted:
    """Every field, in one call: what a crawl pays per page. The date as the site's
    calendar shows it (published_local)."""
    from ingest.dates import parse_local
    from ingest.extract.article import extract_article

    fields = extract_article(html, url)
    stated = parse_local(fields["published_raw"] or "", url=url, printed=fields["printed_date_raw"])
    return Extracted(fields["body"], fields["title"], stated.local if stated else None)


def trafilatura_body(html: bytes, url: str) -> str:
    """trafilatura's text without comments: its best setting on these benchmarks, whose
    truths leave user comments out."""
    import trafilatura

    return trafilatura.extract(html, url=url or None, include_comments=False) or ""


def trafilatura_title(html: bytes, url: str) -> str | None:
    import trafilatura

    metadata = trafilatura.extract_metadata(html, default_url=url or None)
    return metadata.title if metadata else None


def trafilatura(html: bytes, url: str) -> Extracted:
    return Extracted(body=trafilatura_body(html, url))


# Titles of extractors whose body call does not give one, asked apart and not timed.
UNTIMED_TITLES: dict[str, Callable[[bytes, str], str | None]] = {"trafilatura": trafilatura_title}


def htmldate(html: bytes, url: str) -> Extracted:
    from htmldate import find_date

    return Extracted(date=find_date(html, url=url or None, original_date=True))


def pages_with_truth(folder: Path, truth: dict[str, dict]) -> Iterator[tuple[str, bytes, dict]]:
    """(page id, page bytes, truth entry) for every saved page that has an entry."""
    for path in sorted(folder.glob("*.htm*")):
        entry = truth.get(page_id(path))
        if entry is not None:
            yield page_id(path), read_page(path), entry


def is_empty(text: str | None) -> bool:
    return not TOKEN.search(text or "")


@dataclass
class Row:
    """One extractor's scores on one folder."""

    folder: str
    extractor: str
    body: BodyScore | None = None
    empty: int = 0
    title_hits: int = 0
    title_pages: int = 0
    dates: DateScore | None = None
    failures: int = 0
    seconds: float = 0.0  # CPU time: what one extractor costs, whatever else the machine runs
    pages: int = 0


@dataclass
class Folder:
    name: str
    rows: list[Row]
    per_page: list[dict] = field(default_factory=list)


def _safe(extract: Extractor, html: bytes, url: str) -> tuple[Extracted, float]:
    started = time.process_time()
    try:
        result = extract(html, url)
    except Exception as exc:  # a crash is scored as an empty answer, and counted
        result = Extracted(error=f"{type(exc).__name__}: {exc}")
    return result, time.process_time() - started


def evaluate_folder(folder: Path, compare: bool = True) -> Folder:
    """Every extractor that applies, once per page: ours always (it gives every field),
    trafilatura where the truth has bodies or titles, htmldate where it has dates."""
    from ingest.dates import preload
    from ingest.extract.pubdate import preload as preload_heuristic
    from ingest.text import collapse_spaces

    pages_dir, truth = find_truth(folder)
    has_body = any("articleBody" in e for e in truth.values())
    has_title = any(e.get("title") for e in truth.values())
    has_date = any("date" in e for e in truth.values())
    extractors: dict[str, Extractor] = {"ingest": ours}
    if compare and (has_body or has_title):
        extractors["trafilatura"] = trafilatura
    if compare and has_date:
        extractors["htmldate"] = htmldate
    rows = {name: Row(folder.name, name, body=BodyScore() if has_body and name != "htmldate" else None,
                      dates=DateScore() if has_date and name != "trafilatura" else None)
            for name in extractors}
    preload()
    if compare:  # CPU per page beside the peers': a one-time load is not a per-page cost
        preload_heuristic()
    for _page, html, entry in itertools.islice(pages_with_truth(pages_dir, truth), 1):
        for extract in extractors.values():  # untimed: lazy imports and tables load on first use
            _safe(extract, html, entry.get("url") or "")
    per_page = []
    for page, html, entry in pages_with_truth(pages_dir, truth):
        url = entry.get("url") or ""
        record: dict = {"page": page}
        for name, extract in extractors.items():
            result, seconds = _safe(extract, html, url)
            if has_title and name in UNTIMED_TITLES and not result.error:
                result.title = UNTIMED_TITLES[name](html, url)
            row = rows[name]
            row.seconds += seconds
            row.pages += 1
            row.failures += result.error is not None
            scores: dict = {"error": result.error} if result.error else {}
            if row.body is not None:
                row.body.add(result.body or "", entry.get("articleBody") or "")
                row.empty += is_empty(result.body)
                precision, recall = body_precision_recall(result.body or "", entry.get("articleBody") or "")
                scores.update(precision=precision, recall=recall, words=len(TOKEN.findall(result.body or "")))
            if has_title and entry.get("title") and name != "htmldate":
                hit = collapse_spaces(result.title or "") == collapse_spaces(entry["title"])
                row.title_hits += hit
                row.title_pages += 1
                scores.update(title=result.title, title_ok=hit)
            if row.dates is not None:
                expected = date.fromisoformat(entry["date"]) if entry.get("date") else None
                try:
                    predicted = stated_date(result.date)
                except Exception:  # an unparsable date is a miss
                    predicted = None
                row.dates.add(predicted, expected)
                scores.update(date=predicted.isoformat() if predicted else None, date_ok=predicted == expected)
            record[name] = scores
        if has_title and entry.get("title"):
            record["true_title"] = entry["title"]
        if has_date:
            record["true_date"] = entry.get("date")
        per_page.append(record)
    return Folder(folder.name, list(rows.values()), per_page)


HEADER = (f"{'folder':14} {'extractor':12} {'pages':>5}  {'body P':>6} {'body R':>6} {'F1':>6} "
          f"{'empty':>5}  {'title':>17}  {'date acc':>8} {'F1':>6}  {'ms/page':>7} {'pages/CPU-s':>11}")


def format_row(row: Row) -> str:
    def num(value: float | None) -> str:
        return f"{value:6.3f}" if value is not None else f"{'-':>6}"

    body = row.body
    title = (f"{row.title_hits / row.title_pages:.3f} ({row.title_hits:3}/{row.title_pages:3})"
             if row.title_pages else "-")
    line = (f"{row.folder:14} {row.extractor:12} {row.pages:5}  "
            f"{num(body and body.precision)} {num(body and body.recall)} {num(body and body.f1)} "
            f"{row.empty if body else '-':>5}  {title:>17}  "
            f"{num(row.dates and row.dates.accuracy):>8} {num(row.dates and row.dates.f1)}  "
            f"{1000 * row.seconds / max(row.pages, 1):7.1f} {row.pages / max(row.seconds, 1e-9):11.1f}")
    return line + (f"  ({row.failures} failed)" if row.failures else "")


def report(folders: Iterable[Path], compare: bool = True, per_page: IO[str] | None = None
           ) -> Iterator[str]:
    """One table, a row per folder and extractor, each folder's rows from one pass over its
    pages. Per-page scores go to per_page as JSON Lines when given."""
    yield HEADER
    for folder in folders:
        result = evaluate_folder(folder, compare)
        if per_page is not None:
            for record in result.per_page:
                per_page.write(json.dumps({"folder": result.name, **record}, ensure_ascii=False) + "\n")
        for row in result.rows:
            yield format_row(row)
    yield ("body: 4-token shingle P/R/F1 (empty: pages with no word); title: exact match; "
           "date: htmldate's accuracy/F1; ms/page: CPU (ingest: every field; trafilatura: body, "
           "without comments; htmldate: date)")
